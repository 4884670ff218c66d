"""CSRF is enforced in one place, ``CsrfMiddleware`` (fupin/middleware/csrf.py), before any handler.

Every HTML route that accepts an unsafe method is found by walking the app's routes (mounted
sub-apps included, except the API and the static files), filled with ids of real rows, and
posted to as a logged-in user: without the token, with a wrong one, with a wrong header, with
a multipart form, with the token in a JSON body. Each answer is the 403 error page, the handler
is never called and nothing in the database changes. With the right token (field or header)
the request reaches the handler with its body intact. The API's rule (a browser session needs
the X-CSRF-Token header; a bearer token or no login needs nothing) is checked the same way.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import Tortoise

from fupin.accounts.models import ApiToken, Pair
from fupin.accounts.service import users as accounts
from fupin.app import create_app
from fupin.commendation.models import CommendationRound, Nomination, Objection, RoundCategory
from fupin.core import clock
from fupin.core.clock import today_cn
from fupin.matching.models import Invitation
from fupin.middleware.csrf import BODY_MARGIN_BYTES
from fupin.money.service import donations, pledges, receipts
from fupin.sharing.models import WebhookDelivery, WebhookEvent
from fupin.sharing.service import endpoints as webhooks
from tests.conftest import TEST_SECRET
from tests.money.support import WAN, build_money, due
from tests.support.world import CSRF, SESSION_KEY, World, session_cookie, start_session

SAFE = {"GET", "HEAD", "OPTIONS"}
NOT_HTML = ("/api/v1", "/static")


def _methods(route: Route) -> set[str]:
    if route.methods is not None:
        return set(route.methods)
    endpoint = route.endpoint  # an HTTPEndpoint class answers the methods it defines
    if inspect.isclass(endpoint):
        return {
            m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(endpoint, m)
        }
    return {"GET", "HEAD"}


def _walk(routes: list, prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix, route


def _unsafe_routes(app: object, *, api: bool) -> list[tuple[str, str, Route]]:
    """(method, path template, route) for every route with an unsafe method: the HTML ones,
    or (api=True) the JSON API's."""
    found = []
    for prefix, route in _walk(app.routes):  # type: ignore[attr-defined]
        in_api = prefix.startswith("/api/v1")
        if in_api != api or (not api and prefix.startswith(NOT_HTML)):
            continue
        for method in sorted(_methods(route) - SAFE):
            found.append((method, prefix + route.path, route))
    return found


async def _real_ids(world: World) -> dict[str, str]:
    """An id of a real row for every path parameter the unsafe routes use."""
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=30 * WAN,
        received_on=today_cn(),
        payment_reference="BANK-CSRF",
    )
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    await accounts.create_api_token(user=world.users["national_admin"], name="csrf")
    token_row = await ApiToken.get(user_id=world.users["national_admin"].id, name="csrf")
    helper = world.participants["central_unit"]
    pair = await Pair.create(
        kind="designated", helper_id=helper.id, helped_region_id="532627", start_year=2021
    )
    invitation = await Invitation.create(
        sender_id=world.users["county_officer"].id,
        sender_role="county_officer",
        sender_office="广南县",
        participant_id=world.participants["enterprise"].id,
        need_id=m.need.id,
    )
    today = today_cn()
    round_ = await CommendationRound.create(
        title="测试表彰",
        first_year=2021,
        last_year=2025,
        window_start=today - timedelta(days=30),
        window_end=today + timedelta(days=30),
        state="notice",
    )
    category = await RoundCategory.create(
        round=round_, award_type="contribution", scope="collective", quota=3
    )
    nomination = await Nomination.create(
        round=round_,
        category=category,
        participant_id=world.participants["enterprise"].id,
        status="nominated",
        public_name="测试企业",
    )
    objection = await Objection.create(
        round=round_, nomination=nomination, name="张三", contact="13800000000", content="异议"
    )
    hook, _secret = await webhooks.create(
        m.officer,
        webhooks.EndpointInput("https://93.184.216.34/hook", "", ["need.published"]),
        allow_loopback=False,
    )
    event = await WebhookEvent.create(key="csrf", type="need.published", occurred_at=clock.now())
    delivery = await WebhookDelivery.create(endpoint_id=hook.id, event_id=event.id, state="failed")
    return {
        "endpoint_id": str(hook.id),
        "delivery_id": str(delivery.id),
        "need_id": str(m.need.id),
        "pledge_id": str(pledge.id),
        "donation_id": str(donation.id),
        "receipt_id": str(receipt.id),
        "org_id": str(m.county_gov.id),
        "token_id": str(token_row.id),
        "pid": str(world.participants["enterprise"].id),
        "year": str(today_cn().year),
        "pair_id": str(pair.id),
        "invitation_id": str(invitation.id),
        "rid": str(round_.id),
        "cid": str(category.id),
        "nid": str(nomination.id),
        "oid": str(objection.id),
        "code": "532627",  # 广南县: a region code (the county's village pages)
    }


def _concrete(path: str, route: Route, ids: dict[str, str]) -> str:
    # A parameter nobody has a row for yet gets "1": the middleware refuses before any lookup.
    values = {name: ids.get(name, "1") for name in route.param_convertors}
    prefix = path[: len(path) - len(route.path)]
    return prefix + route.path_format.format(**values)


def _record_calls(
    monkeypatch: pytest.MonkeyPatch, routes: list[tuple[str, str, Route]], stub: bool
) -> list[str]:
    """Wrap each route's ASGI app so a call is recorded. ``stub``: answer with the form the
    handler would have read instead of running it (to see the replayed body). Route objects
    are module-level, shared by every app: monkeypatch puts them back after the test."""
    calls: list[str] = []

    def wrap(key: str, inner: ASGIApp) -> ASGIApp:
        async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(key)
            if not stub:
                await inner(scope, receive, send)
                return
            request = Request(scope, receive)
            fields: dict[str, str] = {}
            async with request.form() as form:
                for name, value in form.multi_items():
                    fields[name] = value if isinstance(value, str) else (await value.read()).hex()
            await JSONResponse({"fields": fields})(scope, receive, send)

        return recorded

    seen: set[int] = set()
    for _method, path, route in routes:
        if id(route) not in seen:
            seen.add(id(route))
            monkeypatch.setattr(route, "app", wrap(path, route.app))
    return calls


async def _snapshot() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            rows = await model.all().values()
            tables[model._meta.db_table] = sorted(repr(sorted(r.items())) for r in rows)
    return tables


def _client(app: object, session: dict[str, object]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, session)},
        follow_redirects=False,
    )


def _sessions_of(client: httpx.AsyncClient) -> list[dict[str, object]]:
    """The sessions the browser holds now: the one it sent, and the response's if it set one."""
    values = [c.value for c in client.cookies.jar if c.name == "fupin_session"]
    return [json.loads(base64.b64decode(v.split(".", 1)[0])) if v else {} for v in values]


@pytest.fixture
async def logged_in(app, world) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    sids = {key: await start_session(user) for key, user in world.users.items()}

    def make(key: str = "national_admin") -> httpx.AsyncClient:
        clients.append(_client(app, {SESSION_KEY: sids[key], "csrf": CSRF}))
        return clients[-1]

    yield make
    for c in clients:
        await c.aclose()


#: Ways of getting it wrong: (label, request keyword arguments, session has a token).
BAD_REQUESTS = [
    ("no token", {"data": {"anything": "1"}}, True),
    ("wrong token", {"data": {"csrf_token": "wrong-token", "anything": "1"}}, True),
    ("empty token", {"data": {"csrf_token": "", "anything": "1"}}, True),
    ("wrong header", {"data": {"anything": "1"}, "headers": {"X-CSRF-Token": "wrong"}}, True),
    (
        "multipart, wrong token",
        {
            "data": {"csrf_token": "wrong-token"},
            "files": {"file": ("a.png", b"\x89PNG....", "image/png")},
        },
        True,
    ),
    ("token in a JSON body", {"json": {"csrf_token": CSRF}}, True),
    ("token only in the query string", {"params": {"csrf_token": CSRF}, "data": {"a": "1"}}, True),
    # A session that never rendered a page has no token: nothing matches, not even "".
    ("session without token", {"data": {"csrf_token": "", "anything": "1"}}, False),
]


async def test_every_unsafe_html_route_refuses_a_missing_or_wrong_token(
    app, world, monkeypatch
) -> None:
    ids = await _real_ids(world)
    routes = _unsafe_routes(app, api=False)
    paths = {path for _, path, _ in routes}
    # The walk finds the forms of every area (a sanity check that it walks at all).
    for expected in (
        "/login",
        "/logout",
        "/admin/users",
        "/needs/{need_id:id}/attachments",
        "/pledges",
        "/receipts/{receipt_id:id}/void",
        "/tax/{pid:id}/{year}/paper",
        "/commendation/{rid:id}/objections",
        "/dashboards/pairs/{pair_id:id}/figures",
        "/me/inbox/{invitation_id:id}/respond",
    ):
        assert expected in paths
    assert len(routes) >= 40
    calls = _record_calls(monkeypatch, routes, stub=False)
    sid = await start_session(world.users["national_admin"])
    before = await _snapshot()
    async with _client(app, {}) as client:
        for label, kwargs, session_has_token in BAD_REQUESTS:
            session = {SESSION_KEY: sid, **({"csrf": CSRF} if session_has_token else {})}
            for method, path, route in routes:
                url = _concrete(path, route, ids)
                client.cookies = httpx.Cookies(
                    {"fupin_session": session_cookie(TEST_SECRET, session)}
                )
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
                where = f"{method} {url} ({label})"
                assert response.status_code == 403, f"{where}: {response.status_code}"
                assert response.headers["content-type"].startswith("text/html"), where
                assert "没有权限" in response.text and "CSRF" in response.text, where
                # The session is untouched (no logout, no login): still this user.
                sessions = _sessions_of(client)
                assert sessions and all(s.get(SESSION_KEY) == sid for s in sessions), where
    assert calls == []
    assert await _snapshot() == before


async def test_the_right_token_reaches_every_handler_with_the_body_intact(
    app, world, logged_in, monkeypatch
) -> None:
    ids = await _real_ids(world)
    routes = _unsafe_routes(app, api=False)
    calls = _record_calls(monkeypatch, routes, stub=True)
    client = logged_in()
    for method, path, route in routes:
        url = _concrete(path, route, ids)
        field = await client.request(method, url, data={"csrf_token": CSRF, "title": "村道 1"})
        assert field.status_code == 200, f"{method} {url}: {field.status_code}"
        assert field.json()["fields"] == {"csrf_token": CSRF, "title": "村道 1"}
        header = await client.request(
            method, url, data={"title": "村道 2"}, headers={"X-CSRF-Token": CSRF}
        )
        assert header.json()["fields"] == {"title": "村道 2"}
        upload = await client.request(
            method,
            url,
            data={"purpose": "photo", "csrf_token": CSRF},
            files={"file": ("a.png", b"\x89PNG\x00\x01", "image/png")},
        )
        assert upload.json()["fields"] == {
            "purpose": "photo",
            "csrf_token": CSRF,
            "file": b"\x89PNG\x00\x01".hex(),
        }
    assert calls == [path for _, path, _ in routes for _ in range(3)]


async def test_a_real_form_post_with_the_token_is_handled(client_as) -> None:
    """Not a stub: the handler reads the replayed form (logout clears the session)."""
    client = client_as("county_officer")
    response = await client.post("/logout", data={"csrf_token": CSRF})
    assert response.status_code == 303
    assert (await client.get("/account")).status_code == 303  # logged out


async def test_login_form_is_protected_against_login_csrf(app, world) -> None:
    """No exemption for /login: a third-party page cannot log a browser into its own account."""
    from tests.support.world import TEST_PASSWORD

    form = {"username": "county_officer", "password": TEST_PASSWORD}
    async with _client(app, {}) as fresh:
        refused = await fresh.post("/login", data=form)
        assert refused.status_code == 403 and "CSRF" in refused.text
        page = await fresh.get("/login")  # the page gives the session its token
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        accepted = await fresh.post("/login", data={**form, "csrf_token": token})
        assert accepted.status_code == 303 and accepted.headers["location"] == "/workspace"


async def test_api_session_writes_need_the_header_and_tokens_do_not(
    app, world, logged_in, monkeypatch
) -> None:
    """The API's rule lives in the same middleware: checked before any API handler runs."""
    ids = await _real_ids(world)
    routes = _unsafe_routes(app, api=True)
    assert len(routes) >= 30
    calls = _record_calls(monkeypatch, routes, stub=True)
    session = logged_in()
    bearer = await accounts.create_api_token(user=world.users["national_admin"], name="api")
    async with (
        _client(app, {}) as anonymous,
        _client(app, {"csrf": CSRF}) as token_client,
    ):
        token_client.headers["Authorization"] = f"Bearer {bearer}"
        for method, path, route in routes:
            url = _concrete(path, route, ids)
            for headers in ({}, {"X-CSRF-Token": "wrong"}):
                refused = await session.request(method, url, json={}, headers=headers)
                assert refused.status_code == 403, f"{method} {url}: {refused.status_code}"
                assert refused.json()["error"]["code"] == "csrf"
            assert calls == []
            ok = await session.request(method, url, data={"a": "1"}, headers={"X-CSRF-Token": CSRF})
            assert ok.status_code == 200 and ok.json()["fields"] == {"a": "1"}
            assert (await token_client.request(method, url, data={"a": "2"})).status_code == 200
            assert (await anonymous.request(method, url, data={"a": "3"})).status_code == 200
            assert calls == [path] * 3
            calls.clear()


async def test_a_form_larger_than_the_upload_limit_is_refused_with_413(db, world) -> None:
    small = db.replace(max_upload_bytes=1000)
    application = create_app(small, manage_database=False)
    limit = small.max_upload_bytes + BODY_MARGIN_BYTES
    async with (
        LifespanManager(application),
        _client(
            application,
            {"csrf": CSRF, SESSION_KEY: await start_session(world.users["village_worker"])},
        ) as c,
    ):
        declared = await c.post(
            "/needs/1/attachments",
            data={"csrf_token": CSRF},
            files={"file": ("big.png", b"\x00" * (limit + 1), "image/png")},
        )
        assert declared.status_code == 413 and "上传内容过大" in declared.text

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            body = f"csrf_token={CSRF}&pad=".encode()
            yield body
            for _ in range(limit // 65536 + 1):
                yield b"x" * 65536

        streamed = await c.post(
            "/needs/new",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413 and "上传内容过大" in streamed.text
        # Within the limit the same form reaches the handler (which has its own file checks).
        within = await c.post("/needs/new", data={"csrf_token": CSRF, "pad": "x" * (limit // 2)})
        assert within.status_code not in (403, 413)
