"""Accounts: password hashing, login rate limit, tokens, scoped user creation."""

from __future__ import annotations

import pytest

from fupin.accounts.models import LoginAttempt, User
from fupin.accounts.service import users as accounts
from fupin.core.models import AuditLog
from fupin.errors import InvalidInput, NotAuthenticated, PermissionDenied, RateLimited
from tests.support.world import COUNTY, OTHER_COUNTY, TEST_PASSWORD


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = accounts.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert accounts.verify_password(hashed, "correct horse battery")
    assert not accounts.verify_password(hashed, "wrong")
    assert not accounts.verify_password("not-a-hash", "x")


@pytest.mark.both_databases
async def test_login_is_rate_limited_per_account(world) -> None:
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            await accounts.authenticate(
                username="county_officer",
                password="nope",
                ip="10.0.0.1",
                max_failures=3,
                window_seconds=900,
            )
    with pytest.raises(RateLimited):
        # even the right password is refused while the account is locked out
        await accounts.authenticate(
            username="county_officer",
            password=TEST_PASSWORD,
            ip="10.0.0.2",
            max_failures=3,
            window_seconds=900,
        )
    assert await LoginAttempt.filter(username="county_officer").count() == 3


@pytest.mark.both_databases
async def test_successful_login_returns_the_user(world) -> None:
    user = await accounts.authenticate(
        username="auditor", password=TEST_PASSWORD, ip="1.2.3.4", max_failures=5, window_seconds=900
    )
    assert user.role == "auditor" and user.last_login_at is not None


@pytest.mark.both_databases
async def test_api_token_is_stored_hashed(world) -> None:
    user = world.users["participant_member"]
    token = await accounts.create_api_token(user=user, name="erp")
    assert (await accounts.user_for_token(token)).id == user.id
    assert await accounts.user_for_token(token + "x") is None
    from fupin.accounts.models import ApiToken

    row = await ApiToken.get(user=user)
    assert token not in row.token_hash and len(row.token_hash) == 64


@pytest.mark.both_databases
async def test_county_officer_cannot_create_users_outside_their_county(world) -> None:
    officer = await accounts.actor_for(world.users["county_officer"])
    with pytest.raises(PermissionDenied):
        await accounts.create_user(
            actor=officer,
            username="x_worker",
            role="village_worker",
            region_code=world.other_village.code,
        )
    assert not await User.exists(username="x_worker")
    created = await accounts.create_user(
        actor=officer,
        username="y_worker",
        role="village_worker",
        region_code=world.village.code,
    )
    assert created.region_id == world.village.code
    entry = await AuditLog.get(action="user.create", object_id=str(created.id))
    assert entry.actor_id == officer.user_id and entry.after["role"] == "village_worker"


@pytest.mark.both_databases
async def test_county_officer_cannot_create_a_national_admin(world) -> None:
    officer = await accounts.actor_for(world.users["county_officer"])
    with pytest.raises(PermissionDenied):
        await accounts.create_user(actor=officer, username="boss", role="national_admin")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "a", "password": "long-enough-pw", "role": "auditor"}, "username"),
        ({"username": "abc", "password": "short", "role": "auditor"}, "password"),
        ({"username": "abc", "password": "long-enough-pw", "role": "king"}, "role"),
        (
            {"username": "abc", "password": "long-enough-pw", "role": "county_officer"},
            "region_code",
        ),
        (
            {
                "username": "abc",
                "password": "long-enough-pw",
                "role": "county_officer",
                "region_code": "999999",
            },
            "region_code",
        ),
        (
            {
                "username": "abc",
                "password": "long-enough-pw",
                "role": "county_officer",
                "region_code": "530000",
            },
            "region_code",
        ),
        (
            {"username": "abc", "password": "long-enough-pw", "role": "participant_member"},
            "participant_id",
        ),
    ],
)
async def test_bad_user_input_names_the_field(world, kwargs, field) -> None:
    with pytest.raises(InvalidInput) as info:
        await accounts.create_user(actor=None, **kwargs)
    assert info.value.field == field
    assert not await User.exists(username=kwargs["username"])


async def test_actor_carries_the_scope_codes(world) -> None:
    officer = await accounts.actor_for(world.users["county_officer"])
    assert (officer.county_code, officer.province_code) == (COUNTY, "530000")
    other = await accounts.actor_for(world.users["other_county_officer"])
    assert other.county_code == OTHER_COUNTY
    worker = await accounts.actor_for(world.users["village_worker"])
    assert worker.region_code == world.village.code and worker.county_code == COUNTY
