"""Input that must never cost the service, and the headers every response carries.

A body over its limit is refused before it is read (declared length) or the moment it passes
the limit (chunked), JSON nested too deep is a 422, and every page carries the security headers
(no page can be framed; scripts and styles only from the site)."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from fupin.app import API_MODULES
from fupin.middleware.headers import CONTENT_SECURITY_POLICY
from tests.support.world import CSRF

MIB = 1024 * 1024


async def test_a_json_body_over_the_limit_is_refused_before_it_is_read(client) -> None:
    response = await client.post(
        "/api/v1/needs",
        content=b"{" + b" " * (2 * MIB) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(app, world, client_as) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(200):  # bounded: 200 MiB at most, if nothing stopped it
            sent += MIB
            yield b"x" * MIB

    officer = client_as("county_officer")  # a user the handler reads the body for
    response = await officer.post(
        "/api/v1/needs",
        content=endless(),
        headers={"content-type": "application/json", "X-CSRF-Token": CSRF},
    )
    assert response.status_code == 413
    assert sent <= 3 * MIB  # read up to the 1 MiB limit, not the 200 MiB offered


async def test_a_multipart_upload_over_the_upload_limit_is_refused(client_as, world) -> None:
    officer = client_as("county_officer")
    big = b"%PDF-1.4\n" + b"0" * (12 * MIB)
    response = await officer.post(
        "/api/v1/needs/1/attachments",
        files={"file": ("budget.pdf", big, "application/pdf")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert response.status_code == 413


async def test_json_nested_too_deep_is_bad_input_not_a_server_error(client_as, world) -> None:
    officer = client_as("county_officer")
    deep = b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = await officer.post(
        "/api/v1/needs",
        content=deep,
        headers={"content-type": "application/json", "X-CSRF-Token": CSRF},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_json"


#: 1,000 nested brackets, at the root, in an object and in a field (the issue's reproduction).
DEEP_BODIES = {
    "array": b"[" * 1000 + b"]" * 1000,
    "objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "field": b'{"title": ' + b"[" * 1000 + b"]" * 1000 + b"}",
}
JSON_WRITES = [
    endpoint
    for name in API_MODULES
    for endpoint in getattr(importlib.import_module(name), "endpoints", [])
    if endpoint.body is not None
]


@pytest.mark.parametrize("shape", sorted(DEEP_BODIES))
async def test_deep_json_is_bad_input_on_every_json_endpoint(client_as, world, shape) -> None:
    # every JSON body of the API is parsed in one place (core/jsonapi.py parse_body), so every
    # endpoint that takes one answers the same 422 in the one error shape
    for endpoint in JSON_WRITES:
        who = world.user_let_in(endpoint.action)  # others are refused before the body is read
        # "11": a valid id and a valid region code, so the path passes and the body is read
        path = "/api/v1" + re.sub(r"\{\w+\}", "11", endpoint.path)
        response = await client_as(who).request(
            endpoint.method,
            path,
            content=DEEP_BODIES[shape],
            headers={
                "content-type": "application/json",
                "X-CSRF-Token": CSRF,
                "Idempotency-Key": "deep-json-probe-0001",
            },
        )
        assert response.status_code == 422, (endpoint.method, path, response.text[:200])
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("bad_json", "body"), (path, error)


PAGES = ["/", "/needs", "/search", "/login", "/ledger", "/regions", "/participants"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_carries_the_security_headers(client, world, path) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # development: plain HTTP


async def test_the_review_page_of_an_officer_cannot_be_framed(client_as, world) -> None:
    response = await client_as("county_officer").get("/workspace")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_pages_need_no_inline_style_or_script(client_as, world) -> None:
    # the policy allows neither, so a page that used one would break in the browser
    for path in ("/", "/needs", "/workspace", "/dashboards"):
        text = (await client_as("national_admin").get(path, follow_redirects=True)).text
        assert ' style="' not in text and "<style" not in text, path
        # scripts only from the site's file (on the pages that use it), and no inline handler
        assert set(re.findall(r"<script[^>]*>", text)) <= {
            '<script src="/static/js/fupin.js" defer>'
        }
        assert not re.search(r"\son[a-z]+=", text), path


async def test_production_adds_hsts(db) -> None:
    from asgi_lifespan import LifespanManager

    from fupin.app import create_app

    production = create_app(db.replace(env="production"), manage_database=False)
    async with (
        LifespanManager(production),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=production), base_url="http://testserver"
        ) as client,
    ):
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
