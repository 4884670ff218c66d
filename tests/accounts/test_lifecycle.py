"""The account lifecycle (the issue's points 2 and 3): an office creates an account without
choosing or seeing its password, the person activates it through a one-time expiring link;
offices create and manage only roles below their own, in scope; a reset is a new link;
deactivation ends sessions and makes API tokens fail; users change their own password."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from fupin.accounts.models import ApiToken, PasswordLink, User, UserSession
from fupin.accounts.service import links
from fupin.accounts.service import users as accounts
from fupin.core import clock
from fupin.core.models import AuditLog
from fupin.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import TEST_SECRET
from tests.support.world import CSRF, TEST_PASSWORD, login_cookie, start_session

NEW_PASSWORD = "石门村-道路-2026-新"


def _link_of(page: str) -> str:
    return re.search(r"<code>https?://[^/]+(/set-password/[^<]+)</code>", page).group(1)


async def _authenticate(username: str, password: str) -> User:
    return await accounts.authenticate(
        username=username, password=password, ip="127.0.0.1", max_failures=50, window_seconds=900
    )


async def _set_password(client: httpx.AsyncClient, path: str, password: str) -> httpx.Response:
    return await client.post(
        path, data={"csrf_token": CSRF, "password": password, "confirm": password}
    )


@pytest.mark.both_databases
async def test_an_office_creates_an_account_the_person_activates_with_the_link(
    client_as, world
) -> None:
    officer = client_as("county_officer")
    form = await officer.get("/admin/users/new")
    assert 'name="password"' not in form.text  # the office never chooses a password
    created = await officer.post(
        "/admin/users",
        data={
            "csrf_token": CSRF,
            "username": "shimen2",
            "display_name": "石门村二号信息员",
            "role": "village_worker",
            "region_code": world.village.code,
        },
    )
    assert created.status_code == 200
    path = _link_of(created.text)
    user = await User.get(username="shimen2")
    assert user.password_hash == "" and not user.has_password and user.password_changed_at is None
    assert user.created_by_id == world.users["county_officer"].id
    # The link is shown once: not stored (only its hash), not in the office's cookie.
    token = path.rsplit("/", 1)[1]
    row = await PasswordLink.get(user_id=user.id)
    assert row.purpose == "activate" and token not in row.token_hash
    assert all(token not in c.value for c in officer.cookies.jar)
    # Nobody logs in before the person has set a password.
    with pytest.raises(Exception, match="用户名或密码不正确"):
        await _authenticate("shimen2", "")
    person = client_as(None)
    page = await person.get(path)
    assert page.status_code == 200 and "shimen2" in page.text
    weak = await _set_password(person, path, "woaini1314")
    assert weak.status_code == 422 and "常见密码" in weak.text
    done = await _set_password(person, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert (await _authenticate("shimen2", NEW_PASSWORD)).id == user.id
    again = await _set_password(client_as(None), path, NEW_PASSWORD + "x")
    assert again.status_code == 404  # one use only
    set_entry = await AuditLog.get(action="user.password_set", object_id=str(user.id))
    assert set_entry.actor_label == "shimen2"


@pytest.mark.both_databases
async def test_offices_create_accounts_only_below_their_own_level(world) -> None:
    county = await accounts.actor_for(world.users["county_officer"])
    with pytest.raises(PermissionDenied):  # a peer county officer, in the officer's own county
        await accounts.create_user(
            actor=county, username="peer_officer", role="county_officer", region_code="532627"
        )
    province = await accounts.actor_for(world.users["province_office"])
    with pytest.raises(PermissionDenied):
        await accounts.create_user(
            actor=province, username="peer_province", role="province_office", region_code="530000"
        )
    national = await accounts.actor_for(world.users["national_admin"])
    with pytest.raises(PermissionDenied):
        await accounts.create_user(actor=national, username="peer_admin", role="national_admin")
    assert not await User.filter(username__startswith="peer_").exists()
    made = await accounts.create_user(
        actor=province, username="new_county", role="county_officer", region_code="532627"
    )
    assert made.created_by_id == province.user_id


@pytest.mark.both_databases
async def test_an_office_can_never_set_a_password(world) -> None:
    county = await accounts.actor_for(world.users["county_officer"])
    with pytest.raises(PermissionDenied):
        await accounts.create_user(
            actor=county,
            username="chosen_pw",
            password="long-enough-pw-2026",
            role="village_worker",
            region_code=world.village.code,
        )
    # The operator (CLI, demo loader) still may; its accounts have no creator.
    operator_made = await accounts.create_user(
        actor=None, username="by_cli", password="long-enough-pw-2026", role="auditor"
    )
    assert operator_made.created_by_id is None and operator_made.has_password


@pytest.mark.both_databases
async def test_an_office_resets_a_password_only_by_issuing_a_link(client_as, world, app) -> None:
    worker = world.users["village_worker"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"fupin_session": await login_cookie(TEST_SECRET, worker)},
    ) as workers_phone:
        assert (await workers_phone.get("/account")).status_code == 200
        office = client_as("county_officer")
        issued = await office.post(
            f"/admin/users/{worker.id}/password-link", data={"csrf_token": CSRF}
        )
        assert issued.status_code == 200
        path = _link_of(issued.text)
        # Until the link is used the old password still works.
        assert (await _authenticate("village_worker", TEST_PASSWORD)).id == worker.id
        second = _link_of(
            (
                await office.post(
                    f"/admin/users/{worker.id}/password-link", data={"csrf_token": CSRF}
                )
            ).text
        )
        person = client_as(None)
        assert (await person.get(path)).status_code == 404  # a newer link replaced it
        assert (await _set_password(person, second, NEW_PASSWORD)).status_code == 303
        assert (await workers_phone.get("/account")).status_code == 303  # sessions ended
    with pytest.raises(Exception, match="用户名或密码不正确"):
        await _authenticate("village_worker", TEST_PASSWORD)
    assert (await _authenticate("village_worker", NEW_PASSWORD)).id == worker.id
    entry = await AuditLog.filter(action="user.password_link", object_id=str(worker.id)).first()
    assert entry.after["purpose"] == "reset" and entry.actor_id == world.users["county_officer"].id
    # Outside the office's scope, or a peer: refused.
    for key in ("other_village_worker", "county_officer"):
        refused = await office.post(
            f"/admin/users/{world.users[key].id}/password-link", data={"csrf_token": CSRF}
        )
        assert refused.status_code == 403


@pytest.mark.both_databases
async def test_an_expired_link_sets_nothing(world) -> None:
    issued = await links.issue(actor=None, user_id=world.users["auditor"].id, lifetime_seconds=3600)
    await PasswordLink.filter(user_id=world.users["auditor"].id).update(
        expires_at=clock.now() - timedelta(seconds=1)
    )
    with pytest.raises(NotFound):
        await links.set_password(token=issued.token, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert (await _authenticate("auditor", TEST_PASSWORD)).role == "auditor"


@pytest.mark.both_databases
async def test_deactivation_ends_sessions_and_api_tokens_fail_until_reactivated(
    app, client_as, world
) -> None:
    worker = world.users["village_worker"]
    token = await accounts.create_api_token(user=worker, name="phone")
    bearer = {"Authorization": f"Bearer {token}"}
    cookie = await login_cookie(TEST_SECRET, worker)
    api = client_as(None)
    assert (await api.get("/api/v1/participants", headers=bearer)).status_code == 200
    office = client_as("county_officer")
    off = await office.post(f"/admin/users/{worker.id}/deactivate", data={"csrf_token": CSRF})
    assert off.status_code == 303
    assert (await api.get("/api/v1/participants", headers=bearer)).status_code == 401
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"fupin_session": cookie},
    ) as replay:
        assert (await replay.get("/account")).status_code == 303
    assert await UserSession.filter(user_id=worker.id, ended_at__isnull=True).count() == 0
    with pytest.raises(Exception, match="用户名或密码不正确"):
        await _authenticate("village_worker", TEST_PASSWORD)
    on = await office.post(f"/admin/users/{worker.id}/activate", data={"csrf_token": CSRF})
    assert on.status_code == 303
    assert (await api.get("/api/v1/participants", headers=bearer)).status_code == 200
    assert (await _authenticate("village_worker", TEST_PASSWORD)).id == worker.id
    actions = await AuditLog.filter(object_type="user", object_id=str(worker.id)).values_list(
        "action", flat=True
    )
    assert "user.deactivate" in actions and "user.activate" in actions
    # Out of scope, or the office itself: refused.
    other = world.users["other_village_worker"]
    assert (
        await office.post(f"/admin/users/{other.id}/deactivate", data={"csrf_token": CSRF})
    ).status_code == 403
    me = world.users["county_officer"]
    assert (
        await office.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": CSRF})
    ).status_code == 403
    assert await User.filter(id__in=[other.id, me.id], is_active=True).count() == 2


async def test_the_office_lists_only_the_accounts_it_manages(client_as, world) -> None:
    page = await client_as("county_officer").get("/admin/users")
    assert page.status_code == 200
    assert ">village_worker<" in page.text and "other_village_worker" not in page.text
    assert ">county_officer<" not in page.text  # not its own, nor peers
    detail = await client_as("county_officer").get(
        f"/admin/users/{world.users['village_worker'].id}"
    )
    assert detail.status_code == 200 and "停用账号" in detail.text
    assert (
        await client_as("county_officer").get(f"/admin/users/{world.users['auditor'].id}")
    ).status_code == 403
    assert (await client_as("village_worker").get("/admin/users")).status_code == 403


@pytest.mark.both_databases
async def test_a_user_changes_their_own_password_and_their_other_sessions_end(
    app, client_as, world
) -> None:
    user = world.users["participant_member"]
    other_cookie = await login_cookie(TEST_SECRET, user)
    client = client_as("participant_member")
    assert (await client.get("/account/password")).status_code == 200
    wrong = await client.post(
        "/account/password",
        data={
            "csrf_token": CSRF,
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    common = await client.post(
        "/account/password",
        data={
            "csrf_token": CSRF,
            "current_password": TEST_PASSWORD,
            "new_password": "1qaz2wsx3edc",
            "confirm": "1qaz2wsx3edc",
        },
    )
    assert common.status_code == 422 and "常见密码" in common.text
    assert (await User.get(id=user.id)).password_changed_at is None
    done = await client.post(
        "/account/password",
        data={
            "csrf_token": CSRF,
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303
    assert (await client.get("/account")).status_code == 200  # this session stays
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"fupin_session": other_cookie},
    ) as other:
        assert (await other.get("/account")).status_code == 303  # the other one ended
    assert (await _authenticate("participant_member", NEW_PASSWORD)).id == user.id
    entry = await AuditLog.get(action="user.password_change", object_id=str(user.id))
    assert entry.after["sessions_ended"] == 1


async def test_a_new_password_may_not_contain_the_username(world) -> None:
    actor = await accounts.actor_for(world.users["auditor"])
    with pytest.raises(InvalidInput) as info:
        await accounts.change_password(
            actor=actor,
            current_password=TEST_PASSWORD,
            new_password="my-auditor-2026",
            keep_session_id=None,
            ip="",
            limits=accounts.LoginLimits(5, 900, 30),
        )
    assert info.value.field == "new_password" and "用户名" in info.value.message


@pytest.mark.both_databases
async def test_api_tokens_expire_and_keep_their_last_use(world) -> None:
    user = world.users["participant_member"]
    default = await accounts.create_api_token(user=user, name="year")
    short = await accounts.create_api_token(user=user, name="month", days=30)
    rows = {t.name: t for t in await ApiToken.filter(user_id=user.id)}
    year = round((rows["year"].expires_at - rows["year"].created_at).total_seconds() / 86400)
    month = round((rows["month"].expires_at - rows["month"].created_at).total_seconds() / 86400)
    assert (year, month) == (365, 30)
    with pytest.raises(InvalidInput):
        await accounts.create_api_token(user=user, name="forever", days=100000)
    assert (await accounts.user_for_token(short)).id == user.id
    assert (await ApiToken.get(name="month")).last_used_at is not None
    await ApiToken.filter(name="month").update(expires_at=clock.now() - timedelta(seconds=1))
    assert await accounts.user_for_token(short) is None
    assert (await accounts.user_for_token(default)).id == user.id


async def test_the_token_lifetime_is_chosen_on_the_account_page(client_as, world) -> None:
    client = client_as("auditor")
    page = await client.get("/account")
    assert 'name="days"' in page.text and 'value="365" selected' in page.text
    made = await client.post(
        "/account/tokens", data={"csrf_token": CSRF, "name": "q", "days": "90"}
    )
    assert made.status_code == 200
    row = await ApiToken.get(name="q")
    assert round((row.expires_at - row.created_at).total_seconds() / 86400) == 90
    bad = await client.post("/account/tokens", data={"csrf_token": CSRF, "name": "z", "days": "7"})
    assert bad.status_code == 422 and not await ApiToken.filter(name="z").exists()


async def test_a_started_session_counts_for_the_admin_page(client_as, world) -> None:
    await start_session(world.users["village_worker"])
    detail = await client_as("county_officer").get(
        f"/admin/users/{world.users['village_worker'].id}"
    )
    assert "127.0.0.1" in detail.text
