"""Sessions are server-side and revocable (the issue's point 1): the cookie only names a session
row, and logout, a password change, deactivation and "sign out everywhere" end it at once, so a
replayed cookie reads and writes nothing. Sessions expire (absolute lifetime, idle timeout), and
a user sees their sessions and ends any or all of them."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import httpx
import pytest

from fupin.accounts.models import User, UserSession
from fupin.accounts.service import sessions
from fupin.core import clock
from fupin.core.models import AuditLog
from tests.conftest import TEST_SECRET
from tests.support.contract import CONTRACT_HOOKS
from tests.support.world import (
    CSRF,
    SESSION_KEY,
    TEST_PASSWORD,
    login_cookie,
    session_cookie,
    start_session,
    valid_uscc,
)

PHONE = (
    "Mozilla/5.0 (Linux; Android 12; V2145A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/96.0.4664.104 Mobile Safari/537.36"
)


def _browser(app, cookie: str | None = None, **kwargs) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=kwargs.pop("client", ("127.0.0.1", 5000))),
        base_url="http://testserver",
        cookies={"fupin_session": cookie} if cookie else None,
        follow_redirects=False,
        event_hooks=CONTRACT_HOOKS,
        **kwargs,
    )


async def _log_in(client: httpx.AsyncClient, username: str, password: str = TEST_PASSWORD) -> str:
    """Log in through the form as a browser does; returns the session cookie it then holds."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = await client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password}
    )
    assert done.status_code == 303, done.text[:300]
    return client.cookies["fupin_session"]


def _csrf_of(cookie: str) -> str:
    return str(json.loads(base64.b64decode(cookie.split(".", 1)[0]))["csrf"])


async def _participant_write(client: httpx.AsyncClient, csrf: str, code: str) -> httpx.Response:
    return await client.post(
        "/api/v1/participants",
        json={"kind": "enterprise", "name": f"企业{code[-4:]}", "uscc": code},
        headers={"X-CSRF-Token": csrf},
    )


@pytest.mark.both_databases
async def test_a_cookie_replayed_after_logout_reads_and_writes_nothing(app, world) -> None:
    async with _browser(app) as browser:
        cookie = await _log_in(browser, "national_admin")
        await browser.get("/account")  # the page gives the session its CSRF token
        cookie = browser.cookies["fupin_session"]
        csrf = _csrf_of(cookie)
        assert (await browser.get("/account")).status_code == 200
        write = await _participant_write(browser, csrf, valid_uscc("91530100MA6K2D8Y1"))
        assert write.status_code == 201
        out = await browser.post("/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
    async with _browser(app, cookie) as replay:  # the copy an attacker kept
        page = await replay.get("/account")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        refused = await _participant_write(replay, csrf, valid_uscc("91530100MA6K2D7Y1"))
        assert refused.status_code == 401
    assert await UserSession.filter(ended_at__isnull=True).count() == 0
    row = await UserSession.get(user_id=world.users["national_admin"].id)
    assert row.end_reason == "logout"


async def test_a_cookie_naming_only_a_user_id_is_anonymous(app, world) -> None:
    """The acting user comes only from a live session row, never from the cookie itself."""
    forged = session_cookie(TEST_SECRET, {"csrf": CSRF, "user_id": world.users["auditor"].id})
    async with _browser(app, forged) as client:
        assert (await client.get("/account")).status_code == 303


@pytest.mark.both_databases
async def test_only_the_hash_of_the_session_id_is_stored(world) -> None:
    key = await start_session(world.users["auditor"])
    row = await UserSession.get(user_id=world.users["auditor"].id)
    assert row.key_hash == sessions.key_hash(key) and key not in row.key_hash
    assert len(key) >= 40  # 32 random bytes


@pytest.mark.both_databases
async def test_sessions_end_after_their_lifetime_and_when_idle(app, world) -> None:
    user = world.users["county_officer"]
    cookie = session_cookie(TEST_SECRET, {SESSION_KEY: await start_session(user), "csrf": CSRF})

    async def status() -> int:  # a fresh copy of the same cookie each time
        async with _browser(app, cookie) as client:
            return (await client.get("/account")).status_code

    assert await status() == 200
    row = await UserSession.get(user_id=user.id)
    settings = app.state.settings
    assert (
        abs((row.expires_at - row.created_at).total_seconds() - settings.session_max_age_seconds)
        < 5
    )
    # Idle: not seen for longer than the idle timeout.
    stale = clock.now() - timedelta(seconds=settings.session_idle_seconds + 1)
    await UserSession.filter(id=row.id).update(last_seen_at=stale)
    assert await status() == 303
    # Seen recently, but past its absolute lifetime.
    await UserSession.filter(id=row.id).update(
        last_seen_at=clock.now(), expires_at=clock.now() - timedelta(seconds=1)
    )
    assert await status() == 303
    # Within both again: live (nothing but the row decides).
    await UserSession.filter(id=row.id).update(expires_at=clock.now() + timedelta(hours=1))
    assert await status() == 200


@pytest.mark.both_databases
async def test_a_session_is_marked_seen_at_most_once_a_minute(world) -> None:
    key = await start_session(world.users["auditor"])
    row = await UserSession.get(user_id=world.users["auditor"].id)
    first = row.last_seen_at
    assert (await sessions.resolve(key, idle_seconds=3600)).last_seen_at == first
    earlier = clock.now() - timedelta(minutes=5)
    await UserSession.filter(id=row.id).update(last_seen_at=earlier)
    await sessions.resolve(key, idle_seconds=3600)
    assert (await UserSession.get(id=row.id)).last_seen_at > first


@pytest.mark.both_databases
async def test_a_user_sees_their_sessions_and_ends_any_or_all(app, world) -> None:
    user = world.users["village_worker"]
    async with (
        _browser(app, client=("10.1.2.3", 4000), headers={"User-Agent": PHONE}) as phone,
        _browser(app, client=("10.9.9.9", 4000)) as laptop,
        _browser(app) as third,
    ):
        await _log_in(phone, "village_worker")
        await _log_in(laptop, "village_worker")
        await _log_in(third, "village_worker")
        page = await laptop.get("/account")
        assert "10.1.2.3" in page.text and "Chrome · Android" in page.text
        assert "10.9.9.9" in page.text and "当前会话" in page.text
        csrf = _csrf_of(laptop.cookies["fupin_session"])
        phone_row = await UserSession.get(user_id=user.id, ip="10.1.2.3")
        ended = await laptop.post(
            f"/account/sessions/{phone_row.id}/end", data={"csrf_token": csrf}
        )
        assert ended.status_code == 303
        assert (await phone.get("/account")).status_code == 303  # the phone is logged out
        assert (await third.get("/account")).status_code == 200
        others = await laptop.post("/account/sessions/end-others", data={"csrf_token": csrf})
        assert others.status_code == 303
        assert (await third.get("/account")).status_code == 303
        assert (await laptop.get("/account")).status_code == 200  # this one stays
        everywhere = await laptop.post("/account/sessions/end-all", data={"csrf_token": csrf})
        assert everywhere.status_code == 303
        assert (await laptop.get("/account")).status_code == 303
    assert await UserSession.filter(user_id=user.id, ended_at__isnull=True).count() == 0
    actions = set(await AuditLog.filter(actor_id=user.id).values_list("action", flat=True))
    assert {"session.end", "session.end_others", "session.end_all"} <= actions


async def test_a_user_cannot_end_another_users_session(client_as, world) -> None:
    await start_session(world.users["auditor"])
    theirs = await UserSession.get(user_id=world.users["auditor"].id)
    response = await client_as("county_officer").post(
        f"/account/sessions/{theirs.id}/end", data={"csrf_token": CSRF}
    )
    assert response.status_code == 404
    assert (await UserSession.get(id=theirs.id)).ended_at is None


@pytest.mark.both_databases
async def test_an_office_signs_a_user_out_everywhere(app, world, client_as) -> None:
    worker = world.users["village_worker"]
    async with _browser(app, await login_cookie(TEST_SECRET, worker)) as victim:
        assert (await victim.get("/account")).status_code == 200
        signed_out = await client_as("county_officer").post(
            f"/admin/users/{worker.id}/sign-out", data={"csrf_token": CSRF}
        )
        assert signed_out.status_code == 303
        assert (await victim.get("/account")).status_code == 303
    entry = await AuditLog.get(action="user.sign_out", object_id=str(worker.id))
    assert entry.actor_id == world.users["county_officer"].id and entry.after["sessions_ended"] == 1
    # Outside the office's scope: refused, nothing ended.
    other = world.users["other_village_worker"]
    await start_session(other)
    refused = await client_as("county_officer").post(
        f"/admin/users/{other.id}/sign-out", data={"csrf_token": CSRF}
    )
    assert refused.status_code == 403
    assert await UserSession.filter(user_id=other.id, ended_at__isnull=True).count() == 1


@pytest.mark.both_databases
async def test_login_replaces_the_browsers_previous_session(app, world) -> None:
    async with _browser(app) as browser:
        await _log_in(browser, "county_officer")
        await _log_in(browser, "auditor")  # someone else at the same browser
    officer = await UserSession.get(user_id=world.users["county_officer"].id)
    assert officer.ended_at is not None and officer.end_reason == "replaced"
    assert await User.filter(id=world.users["auditor"].id, last_login_at__isnull=False).exists()
