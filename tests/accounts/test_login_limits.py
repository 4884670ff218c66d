"""Login under attack (the issue's point 4): the lock-out holds under parallel requests, Argon2
runs off the event loop, unknown names cost what wrong passwords cost, a busy address is slowed
but never locks a correct password out, and every login is audited with the ASGI client address.
The design is in docs/security.md "Login"."""

from __future__ import annotations

import asyncio
import re
import threading

import httpx
import pytest

from fupin.accounts.models import LoginAttempt, User
from fupin.accounts.service import passwords
from fupin.accounts.service import users as accounts
from fupin.core.models import AuditLog
from fupin.errors import NotAuthenticated, RateLimited
from tests.support.world import TEST_PASSWORD


async def _login(username: str, password: str, ip: str = "10.0.0.1", **limits: int) -> User:
    options = {"max_failures": 5, "window_seconds": 900, "address_failures": 30, **limits}
    return await accounts.authenticate(username=username, password=password, ip=ip, **options)


@pytest.mark.both_databases
async def test_the_lock_out_holds_under_parallel_requests(world) -> None:
    """Fifteen wrong passwords at once against a limit of five: five are checked, ten refused."""
    results = await asyncio.gather(
        *(_login("county_officer", f"wrong-{i}", ip=f"10.0.0.{i}") for i in range(15)),
        return_exceptions=True,
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds.count("NotAuthenticated") == 5 and kinds.count("RateLimited") == 10, kinds
    assert await LoginAttempt.filter(username="county_officer", outcome="failed").count() == 5
    assert not await LoginAttempt.filter(outcome="pending").exists()
    with pytest.raises(RateLimited):  # and the right password waits for the window too
        await _login("county_officer", TEST_PASSWORD)
    # Refusals are audited; they do not extend the lock-out (their rows are not failures).
    assert await AuditLog.filter(action="login.locked").count() == 11


@pytest.mark.both_databases
async def test_a_success_forgives_the_failures_before_it(world) -> None:
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            await _login("auditor", "typo")
    await _login("auditor", TEST_PASSWORD)
    for _ in range(4):  # four more typos: still under the limit of five since the success
        with pytest.raises(NotAuthenticated):
            await _login("auditor", "typo")
    assert (await _login("auditor", TEST_PASSWORD)).username == "auditor"


async def test_argon2_runs_off_the_event_loop(world, monkeypatch) -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = passwords.verify_password

    def spy(password_hash: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    await _login("auditor", TEST_PASSWORD)
    with pytest.raises(NotAuthenticated):
        await _login("auditor", "wrong")
    with pytest.raises(NotAuthenticated):
        await _login("nobody-at-all", "wrong")
    assert len(threads) == 3 and loop_thread not in threads


async def test_the_event_loop_stays_responsive_during_logins(world) -> None:
    """Ten concurrent logins: the loop keeps ticking (with Argon2 on the loop it stopped for a
    whole verification at a time, ten in a row: /healthz waited 1.8 s)."""
    hashed = passwords.hash_password("x" * 12)
    one = asyncio.get_running_loop().time()
    passwords.verify_password(hashed, "x" * 12)
    single = asyncio.get_running_loop().time() - one
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = asyncio.get_running_loop().time()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = asyncio.get_running_loop().time()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.gather(
        *(_login("auditor", TEST_PASSWORD, ip=f"10.1.0.{i}", max_failures=50) for i in range(10)),
    )
    stop.set()
    await tick
    # Never stopped for as long as one verification (which a loop that ran them would, ten times).
    assert gaps and max(gaps) < 0.75 * single, (max(gaps), single)


async def test_unknown_and_unusable_accounts_cost_one_argon2_verification(
    world, monkeypatch
) -> None:
    calls: list[str] = []
    real = passwords.verify_password

    def spy(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    await User.filter(username="province_office").update(is_active=False)
    await User.create(username="pending_person", password_hash="", role="auditor")
    for username in ("no-such-user", "province_office", "pending_person", "auditor"):
        with pytest.raises(NotAuthenticated) as info:
            await _login(username, "wrong-password")
        assert info.value.message == "用户名或密码不正确。"
    assert len(calls) == 4 and all(h.startswith("$argon2id$") for h in calls)
    # A deactivated account's correct password is refused with the same words.
    with pytest.raises(NotAuthenticated):
        await _login("province_office", TEST_PASSWORD)


@pytest.mark.both_databases
async def test_a_busy_address_is_slowed_but_a_correct_password_gets_in(world, monkeypatch) -> None:
    """Everyone of a county office behind one NAT: twenty failed logins from its address (other
    accounts) must not lock a colleague with the right password out. They slow it down."""
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(accounts, "_sleep", no_sleep)
    nat = "203.0.113.7"
    for i in range(20):
        with pytest.raises(NotAuthenticated):
            await _login(f"guess-{i}", "123456", ip=nat, address_failures=10)
    user = await _login("county_officer", TEST_PASSWORD, ip=nat, address_failures=10)
    assert user.username == "county_officer"
    assert waits and waits[-1] == 10.0  # one second per failure over the limit, at most ten


@pytest.mark.both_databases
async def test_successes_from_one_address_never_slow_it(world, monkeypatch) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(accounts, "_sleep", no_sleep)
    for key in ("auditor", "county_officer", "village_worker", "province_office") * 2:
        await _login(key, TEST_PASSWORD, ip="198.51.100.1", address_failures=2)
    assert waits == []


@pytest.mark.both_databases
async def test_logins_are_audited_with_the_asgi_client_address(app, world) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.23", 5555)),
        base_url="http://testserver",
        # Believed only from a trusted proxy (FUPIN_TRUSTED_PROXIES, applied by `fupin serve`).
        headers={"X-Forwarded-For": "1.1.1.1", "User-Agent": "pytest-browser/1.0"},
    ) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        wrong = await client.post(
            "/login",
            data={"csrf_token": token, "username": "county_officer", "password": "wrong"},
        )
        assert wrong.status_code == 401
        right = await client.post(
            "/login",
            data={"csrf_token": token, "username": "county_officer", "password": TEST_PASSWORD},
        )
        assert right.status_code == 303
    failure = await AuditLog.get(action="login.failure")
    success = await AuditLog.get(action="login.success")
    officer = world.users["county_officer"]
    assert failure.ip == success.ip == "198.51.100.23"
    assert failure.object_id == success.object_id == str(officer.id)
    assert success.actor_id == officer.id and success.after["user_agent"] == "pytest-browser/1.0"
    assert failure.after["username"] == "county_officer"
    assert await LoginAttempt.filter(ip="198.51.100.23").count() == 2


def test_fupin_serve_believes_forwarded_addresses_only_from_trusted_proxies(monkeypatch) -> None:
    import uvicorn
    from click.testing import CliRunner

    from fupin.cli import main

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    runner = CliRunner()
    assert runner.invoke(main, ["serve"], env={"FUPIN_TRUSTED_PROXIES": ""}).exit_code == 0
    assert runner.invoke(main, ["serve"], env={"FUPIN_TRUSTED_PROXIES": "10.0.0.2"}).exit_code == 0
    assert calls[0]["proxy_headers"] is False and calls[0]["forwarded_allow_ips"] is None
    assert calls[1]["proxy_headers"] is True and calls[1]["forwarded_allow_ips"] == "10.0.0.2"
