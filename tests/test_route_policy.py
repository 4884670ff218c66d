"""Every route of the app declares its policy action, and every route × every role answers what
the policy table predicts (docs/security.md "Permissions").

The walk enumerates ``app.routes`` (pages and the mounted API) — so a route added later is
walked too — fills each path parameter with a real id of a built scenario (a need with a
pledge, a confirmed donation and its receipt, the recipients, a participant, a pair, a user),
and sends each method as the public and as every user of the ``world`` fixture. A role the
route's declaration does not let in must get 403 (401, or the login page, without a user);
no route may answer 5xx to anyone; a public route never asks for a login.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from fupin.accounts.models import Pair, User
from fupin.app import collect_routes
from fupin.core import clock, policy
from fupin.core.clock import today_cn
from fupin.core.endpoints import Endpoint
from fupin.core.routing import DeclaredRoute
from fupin.money.service import donations, pledges, receipts
from fupin.sharing.models import WebhookDelivery, WebhookEvent
from fupin.sharing.service import endpoints as webhooks
from tests.conftest import TEST_SECRET
from tests.money.support import WAN, build_money, due
from tests.support.world import CSRF, LoggedInClient, login_cookie, make_user, session_cookie

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            if route.path != "/static":
                yield from _walk(route.routes, prefix + route.path)
        else:
            yield prefix + route.path, route


def _requests(app: Any) -> list[tuple[str, str, Route]]:
    found = []
    for path, route in _walk(app.routes):
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                found.append((method, path, route))
    return found


def test_every_route_declares_an_action_the_policy_table_knows(app) -> None:
    requests = _requests(app)
    assert len(requests) > 200
    undeclared = [f"{m} {p}" for m, p, r in requests if not isinstance(r, DeclaredRoute)]
    assert not undeclared, undeclared
    for _method, _path, route in requests:
        assert isinstance(route, DeclaredRoute)
        policy.route_actions(route.action)  # raises for an action the table does not know
    public = {p for m, p, r in requests if isinstance(r, DeclaredRoute) and r.action == "public"}
    assert {"/", "/login", "/needs", "/ledger", "/api/v1/openapi.json"} <= public


def test_a_route_without_a_declared_action_stops_the_app(monkeypatch) -> None:
    async def handler(request: Request) -> Response:
        return PlainTextResponse("hi")

    module = types.ModuleType("fupin_fake_pages")
    module.routes = [Route("/fake", handler)]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fupin_fake_pages", module)
    with pytest.raises(TypeError, match="declare its policy action"):
        collect_routes(["fupin_fake_pages"])
    with pytest.raises(TypeError, match="declare its policy action"):
        Endpoint("GET", "/fake", handler, "A fake", auth="required")
    with pytest.raises(KeyError):
        Endpoint("GET", "/fake", handler, "A fake", auth="required", action="no.such.action")
    with pytest.raises(TypeError):  # a public operation cannot claim a role-only action
        Endpoint("GET", "/fake", handler, "A fake", action="need.draft")


def test_route_allows_follows_the_table() -> None:
    assert policy.route_allows(policy.PUBLIC, None)
    assert not policy.route_allows(policy.SIGNED_IN, None)
    assert policy.route_allows(policy.SIGNED_IN, "village_worker")
    assert policy.route_allows("donation.record", "participant_member")
    assert not policy.route_allows("donation.record", "auditor")
    assert policy.route_allows(("dashboard.view", "pair.report"), "participant_member")
    assert not policy.route_allows(("dashboard.view", "pair.report"), "village_worker")
    with pytest.raises(TypeError):
        policy.route_actions((policy.PUBLIC, "need.draft"))


async def _scenario(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=10 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    pair = await Pair.filter(helped_region_id="532627").first() or await Pair.first()
    # Unsafe requests act on this user, never on one of the world's.
    target = await make_user("village_worker", "walk_target", region=world.village.code)
    hook, _secret = await webhooks.create(
        m.officer,
        webhooks.EndpointInput("https://93.184.216.34/hook", "", ["need.published"]),
        allow_loopback=False,
    )
    event = await WebhookEvent.create(key="walk", type="need.published", occurred_at=clock.now())
    delivery = await WebhookDelivery.create(endpoint_id=hook.id, event_id=event.id, state="failed")
    return {
        "need_id": str(m.need.id),
        "pledge_id": str(pledge.id),
        "donation_id": str(donation.id),
        "receipt_id": str(receipt.id),
        "org_id": str(m.county_gov.id),
        "pair_id": str(pair.id) if pair else "1",
        "pid": str(world.participants["enterprise"].id),
        "user_id": str(target.id),
        "year": str(today_cn().year),
        "fmt": "csv",
        "lang": "zh",
        "token": "no-such-link",
        "endpoint_id": str(hook.id),
        "delivery_id": str(delivery.id),
        "day": today_cn().isoformat(),
        "name": "manifest.json",
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "code":
            return "530000" if "province" in path else "532627"
        return ids.get(name, "1")

    return _PARAM.sub(value, path)


def _predicted_refusal(role: str | None, method: str, url: str, response: httpx.Response) -> bool:
    if role is not None:
        return response.status_code == 403
    if url.startswith("/api/"):
        return response.status_code == 401
    if method == "GET":
        return response.status_code == 303 and response.headers["location"].startswith("/login")
    return response.status_code == 401


async def test_every_route_answers_every_role_as_the_policy_table_predicts(app, world) -> None:
    ids = await _scenario(world)
    requests = [(m, p, _fill(p, ids), r) for m, p, r in _requests(app)]
    roles: list[str | None] = [None, *world.users]
    wrong: list[str] = []
    checked = 0
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def client_for(key: str | None) -> httpx.AsyncClient:
        cookie = (
            session_cookie(TEST_SECRET, {"csrf": CSRF})
            if key is None
            else await login_cookie(TEST_SECRET, world.users[key])
        )
        return httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            cookies={"fupin_session": cookie},
            headers={"X-CSRF-Token": CSRF},
            follow_redirects=False,
        )

    # Reads first, one session per role; then every unsafe request with a session of its own
    # (a request may end its session: logout, "sign out everywhere").
    for key in roles:
        role = world.users[key].role if key else None
        async with await client_for(key) as client:
            for method, _path, url, route in requests:
                if method != "GET":
                    continue
                response = await client.get(url)
                checked += 1
                wrong += _judge(key, role, method, url, route, response)
    for key in roles:
        role = world.users[key].role if key else None
        for method, _path, url, route in requests:
            if method == "GET":
                continue
            async with await client_for(key) as client:
                if url.startswith("/api/"):
                    response = await client.request(method, url, json={})
                else:
                    response = await client.request(method, url, data={"csrf_token": CSRF})
            checked += 1
            wrong += _judge(key, role, method, url, route, response)
    assert checked > 200 * len(roles)
    assert not wrong, f"{len(wrong)} answers the policy table does not predict:\n" + "\n".join(
        wrong[:80]
    )


def _judge(  # type: ignore[no-untyped-def]
    key: str | None, role: str | None, method: str, url: str, route, response: httpx.Response
) -> list[str]:
    who = key or "public"
    status = response.status_code
    if status >= 500:
        return [f"{method} {url} as {who}: {status} {response.text[:200]}"]
    allowed = policy.route_allows(route.action, role)
    if not allowed and not _predicted_refusal(role, method, url, response):
        return [f"{method} {url} as {who}: {status}, but {route.action!r} refuses {role}"]
    if url == "/login" and method == "POST" and status == 401:
        return []  # the empty form is a wrong password: 401 is the login form's own answer
    if allowed and role is None and status in (401, 303):
        location = response.headers.get("location", "")
        if status == 401 or location.startswith("/login"):
            return [f"{method} {url} is declared public but asks the public to log in"]
    if allowed and role is not None and status == 401:
        return [f"{method} {url} as {who}: 401 for a signed-in user"]
    return []


async def test_the_county_inbox_is_the_recipients_officers_only(app, client_as, world) -> None:
    """The navigation shows 到账登记 to county officers; the route itself lets in only those
    who record a recipient's donations (county officers, members of a receiving
    organisation), and each only into its own organisation's inbox."""
    m = await build_money(world)
    for key in ("village_worker", "auditor", "province_office", "national_admin"):
        assert (await client_as(key).get("/inbox")).status_code == 403, key
    # A participant member whose organisation receives nothing has no inbox.
    assert (await client_as("participant_member").get("/inbox")).status_code == 403
    assert (await client_as("county_officer").get("/inbox")).status_code == 200
    fund = await User.get(username="fund_member")
    client = LoggedInClient(
        secret=TEST_SECRET,
        user=fund,
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
    )
    async with client:
        assert (await client.get("/inbox")).status_code == 200  # its own foundation's
        county = await client.get(f"/inbox?org={m.county_gov.id}")
        assert county.status_code == 403  # never the county's
        api = await client.get(f"/api/v1/recipients/{m.county_gov.id}/inbox")
        assert api.status_code == 403
