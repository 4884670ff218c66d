"""Ids and codes out of range or out of shape are the caller's mistake, never a server error.

An id past the database's integer (2^63 overflows SQLite's, 2^31 PostgreSQL's ``integer``), a
region code longer than the column's 12 characters and a malformed USCC all reached the database
or an identifier check as they were and answered 500. In the API they are refused by the shared
types of ``core/schemas.py`` (422, the field named); in an HTML URL the ``id`` and ``region``
path convertors (``core/convertors.py``) do not match them, so the page does not exist (404).
"""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Mount, Route

from fupin.core import policy
from fupin.core.convertors import MAX_ID, id_pattern
from fupin.money.api import recipients as recipients_api
from tests.support.world import CSRF

TOO_BIG_IDS = [str(2**63), str(2**31), "1" * 30]
TOO_LONG_CODES = ["1234567890123", str(2**63)]


def _html_routes(app: object) -> list[tuple[str, str]]:
    """(method, path template) of every HTML route with a path parameter."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[object], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes or []), prefix + route.path)
            elif isinstance(route, Route) and "{" in route.path:
                path = prefix + route.path
                if not path.startswith("/api/"):
                    found.extend((m, path) for m in sorted(route.methods or ()) if m != "HEAD")

    walk(list(app.routes), "")  # type: ignore[attr-defined]
    return found


def test_the_id_pattern_matches_exactly_the_database_ids() -> None:
    pattern = re.compile(id_pattern(MAX_ID))
    for good in ("1", "9", "10", "2147483647", "2147483639", "1999999999", "999999999"):
        assert pattern.fullmatch(good), good
    for bad in ("0", "007", "-1", "2147483648", "2147483650", "9999999999", str(2**63), "1e3"):
        assert not pattern.fullmatch(bad), bad
    small = re.compile(id_pattern(1234))
    assert [n for n in range(0, 3000) if small.fullmatch(str(n))] == list(range(1, 1235))


@pytest.mark.both_databases
async def test_a_too_big_id_in_an_html_url_is_not_found(client_as, world) -> None:
    admin = client_as("national_admin")
    for path in ("/needs/{}", "/admin/users/{}", "/dashboards/pairs/{}", "/participants/{}"):
        for value in TOO_BIG_IDS:
            response = await admin.get(path.format(value))
            assert response.status_code == 404, (path, value)
    for value in TOO_LONG_CODES:
        for path in ("/regions/{}", "/dashboards/province/{}", "/dashboards/county/{}"):
            response = await admin.get(path.format(value))
            assert response.status_code == 404, (path, value)


@pytest.mark.both_databases
async def test_no_html_route_answers_a_server_error_to_an_id_or_code_out_of_range(
    app, client_as, world
) -> None:
    admin = client_as("national_admin")
    routes = _html_routes(app)
    assert len(routes) > 60
    failures = []
    for method, template in routes:
        for value in [*TOO_BIG_IDS, *TOO_LONG_CODES, "abc"]:
            path = re.sub(r"\{\w+(:\w+)?\}", value, template)
            try:
                response = await admin.request(
                    method,
                    path,
                    headers={"X-CSRF-Token": CSRF},
                    data={} if method == "POST" else None,
                )
                status = response.status_code
            except Exception as exc:  # the ASGI transport re-raises what the app did not handle
                status = 500
                failures.append((method, path, type(exc).__name__))
                continue
            if status >= 500:
                failures.append((method, path, status))
    assert not failures


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/needs/{}",
        "/api/v1/pledges/{}",
        "/api/v1/participants/{}",
        "/api/v1/commendation/rounds/{}",
        "/api/v1/tax/{}/years",
    ],
)
async def test_a_too_big_id_in_the_api_is_bad_input(client_as, world, path) -> None:
    donor = client_as("participant_member")
    for value in TOO_BIG_IDS:
        response = await donor.get(path.format(value))
        assert response.status_code == 422, (path, value, response.text)
        assert response.json()["error"]["code"] == "out_of_range"


@pytest.mark.both_databases
async def test_a_too_long_region_code_in_the_api_is_bad_input(client_as, world) -> None:
    admin = client_as("national_admin")
    for value in TOO_LONG_CODES:
        for path in (
            f"/api/v1/regions/{value}",
            f"/api/v1/dashboards/provinces/{value}",
            f"/api/v1/dashboards/counties/{value}",
            f"/api/v1/needs?region={value}",
            f"/api/v1/needs?county={value}",
            f"/api/v1/pairs?region={value}",
            f"/api/v1/regions?province={value}",
            f"/api/v1/dashboards/alerts?region={value}",
        ):
            response = await admin.get(path)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["error"]["code"] in ("bad_format", "too_long"), path


@pytest.mark.parametrize("who", ["participant_member", "national_admin"])
async def test_an_invalid_uscc_on_a_new_recipient_is_bad_input(client_as, world, who) -> None:
    """Never a 500: a role the route lets in gets the field named (422); a role it does not
    is refused before the body is read (403, docs/security.md "Permissions")."""
    client: httpx.AsyncClient = client_as(who)
    (create,) = [
        e for e in recipients_api.endpoints if (e.method, e.path) == ("POST", "/recipients")
    ]
    allowed = policy.route_allows(create.action, world.users[who].role)
    for uscc, code in (
        ("91110000600037341X", "uscc_check"),  # a wrong check character
        ("123", "uscc_length"),
        ("9111000060003734IO", "uscc_charset"),
    ):
        response = await client.post(
            "/api/v1/recipients",
            json={"kind": "qualified_org", "name": "某慈善会", "uscc": uscc},
            headers={"X-CSRF-Token": CSRF},
        )
        if not allowed:
            assert response.status_code == 403, (uscc, response.text)
            continue
        assert response.status_code == 422, (uscc, response.text)
        error = response.json()["error"]
        assert (error["field"], error["code"]) == ("uscc", code)
