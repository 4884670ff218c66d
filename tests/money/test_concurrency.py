"""Correctness under concurrency (docs/domain.md §5): no over-pledge, gapless receipt serials, one record
per idempotency key — with real concurrent writers: many connections on PostgreSQL, several
processes on one SQLite file, and asyncio tasks in one process on both.

Each test prints how long its writers took (run with ``-s -n 0`` to see the figures).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fupin.accounts.models import Participant, User
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.db import close_database, open_database
from fupin.errors import RuleViolation
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, IdempotencyRecord, Pledge, Receipt, ReceiptCounter
from fupin.money.rules import receipt_numbers
from fupin.money.rules.caps import PledgeCaps
from fupin.money.service import ledger_check, pledges, receipts
from fupin.settings import Settings
from tests.money.support import WAN, build_money, due, fresh
from tests.support.contract import CONTRACT_HOOKS
from tests.support.world import password_hash

WORKER = Path(__file__).with_name("money_worker.py")
PROCESS_TIMEOUT = 180


async def _pool_of_20(settings: Settings) -> None:
    """PostgreSQL: reopen with 20 pooled connections, so 20 transactions really overlap."""
    if settings.is_sqlite:
        return
    await close_database()
    await open_database(settings.replace(database_url=settings.database_url + "?maxsize=20"))


#: The pledgers are individuals pledging up to ¥200,000 each: the per-pledge caps
#: (money.rules.caps) would refuse most of them before the race this file is about.
NO_CAPS = PledgeCaps(individual_fen=0, new_participant_fen=0)


async def _pledgers(count: int) -> list[User]:
    await Participant.bulk_create(
        [Participant(kind="individual", name=f"并发捐赠人{i:03d}") for i in range(count)]
    )
    people = await Participant.filter(name__startswith="并发捐赠人").order_by("id")
    await User.bulk_create(
        [
            User(
                username=f"pledger{i:03d}",
                password_hash=password_hash(),
                role="participant_member",
                participant_id=p.id,
            )
            for i, p in enumerate(people)
        ]
    )
    return list(await User.filter(username__startswith="pledger").order_by("id"))


async def _assert_pledges_add_up(need_id: int, accepted_fen: int, target_fen: int) -> None:
    need = await fresh_need(need_id)
    active = await Pledge.filter(
        need_id=need_id, state__in=["pledged", "partially_paid", "honoured"]
    )
    assert sum(p.amount_fen for p in active) == accepted_fen == need.pledged_fen
    assert need.pledged_fen <= target_fen
    assert await LedgerEntry.filter(kind="pledge_made").count() == len(active)
    result = await ledger_check.verify_database()
    assert result.ok, result.findings[:3]


async def fresh_need(need_id: int):  # type: ignore[no-untyped-def]
    from fupin.needs.models import Need

    return await Need.get(id=need_id)


@pytest.mark.both_databases
async def test_200_concurrent_pledgers_never_exceed_the_target(world, db) -> None:
    rng = random.Random(4)
    amounts = [rng.randint(1, 20) * WAN for _ in range(200)]
    target = sum(amounts) * 2 // 3  # about a third of the pledgers must lose the race
    m = await build_money(world, target_fen=target)
    users = await _pledgers(200)
    actors = [await accounts.actor_for(u) for u in users]
    await _pool_of_20(db)

    async def one(index: int) -> tuple[bool, int, int | None]:
        try:
            await pledges.make_pledge(
                actor=actors[index],
                need_id=m.need.id,
                amount_fen=amounts[index],
                due_date=due(),
                caps=NO_CAPS,  # the race is the subject; caps: test_pledge_squatting.py
            )
            return True, amounts[index], None
        except RuleViolation as exc:
            assert exc.code == "over_pledge", exc.message
            return False, amounts[index], exc.extra["open_fen"]

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(200)))
    elapsed = time.perf_counter() - started
    accepted = [amount for ok, amount, _ in results if ok]
    refused = [(amount, open_fen) for ok, amount, open_fen in results if not ok]
    print(
        f"\n200 concurrent pledgers on {db.database_url.split(':')[0]}: {elapsed:.2f} s, "
        f"{len(accepted)} accepted, {len(refused)} refused"
    )
    assert accepted and refused
    for amount, open_fen in refused:  # each loser was told a true open amount smaller than its ask
        assert 0 <= open_fen < amount
    await _assert_pledges_add_up(m.need.id, sum(accepted), target)
    # the last refusal cannot be beaten: what is open now is less than the smallest refused ask
    need = await fresh(m.need)
    assert need.target_fen - need.pledged_fen < min(amount for amount, _ in refused)
    assert elapsed < 90


def _start(job: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), job, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_together(procs: list[subprocess.Popen[str]]) -> list[dict]:
    """Wait until every process is ready, release them at once, collect their JSON results."""
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert json.loads(line) == {"ready": True}, line + (
                proc.stderr.read() if proc.stderr else ""
            )
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = []
        for proc in procs:
            out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
            assert proc.returncode == 0, err[-3000:]
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        return outputs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


async def test_pledgers_in_four_processes_on_one_sqlite_file_never_exceed_the_target(
    world, db
) -> None:
    rng = random.Random(7)
    amounts = [rng.randint(1, 20) * WAN for _ in range(200)]
    target = sum(amounts) // 2
    m = await build_money(world, target_fen=target)
    users = await _pledgers(40)
    procs = [
        _start(
            "pledge",
            db.database_url,
            m.need.id,
            ",".join(str(u.id) for u in users[i * 10 : (i + 1) * 10]),
            ",".join(str(a) for a in amounts[i * 50 : (i + 1) * 50]),
        )
        for i in range(4)
    ]
    started = time.perf_counter()
    outputs = await asyncio.to_thread(_run_together, procs)
    elapsed = time.perf_counter() - started
    results = [r for out in outputs for r in out["results"]]
    accepted = [amount for status, amount, _ in results if status == "accepted"]
    refused = [(amount, open_fen) for status, amount, open_fen in results if status != "accepted"]
    print(
        f"\n200 pledgers in 4 processes on SQLite: {elapsed:.2f} s (incl. start-up), "
        f"{len(accepted)} accepted, {len(refused)} refused"
    )
    assert {status for status, _, _ in results} <= {"accepted", "over_pledge"}
    assert accepted and refused
    assert all(0 <= open_fen < amount for amount, open_fen in refused)
    await _assert_pledges_add_up(m.need.id, sum(accepted), target)


async def _confirmed_donations(m, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Confirmed donations to receipt. Written as rows: this test is about the register, and
    recording 500 donations through the services would only slow it down."""
    donor = m.world.participants["individual"].id
    await Donation.bulk_create(
        [
            Donation(
                need_id=m.need.id,
                recipient_id=m.county_gov.id,
                donor_id=donor,
                amount_fen=100 + i,
                received_on=today_cn(),
                state="confirmed",
            )
            for i in range(count)
        ]
    )
    return list(await Donation.all().order_by("id").values_list("id", flat=True))


@pytest.mark.both_databases
async def test_500_receipts_issued_concurrently_get_serials_1_to_500(world, db) -> None:
    m = await build_money(world)
    ids = await _confirmed_donations(m, 500)
    await _pool_of_20(db)
    started = time.perf_counter()
    issued = await asyncio.gather(
        *(receipts.issue_receipt(actor=m.officer, donation_id=i) for i in ids)
    )
    elapsed = time.perf_counter() - started
    print(f"\n500 concurrent receipts on {db.database_url.split(':')[0]}: {elapsed:.2f} s")
    serials = sorted(r.serial for r in issued)
    assert serials == list(range(1, 501))
    assert len({r.number for r in issued}) == 500
    stored = await Receipt.filter(issuer_id=m.county_gov.id).values_list("serial", flat=True)
    assert receipt_numbers.check_gapless(stored, expected_last=500) == []
    counter = await ReceiptCounter.get(issuer_id=m.county_gov.id, year=today_cn().year)
    assert counter.last_serial == 500
    assert await LedgerEntry.filter(kind="receipt_issued").count() == 500
    assert elapsed < 120


async def test_receipts_issued_from_four_processes_on_sqlite_are_gapless(world, db) -> None:
    m = await build_money(world)
    ids = await _confirmed_donations(m, 200)
    user = world.users["county_officer"].id
    procs = [
        _start("receipt", db.database_url, user, ",".join(map(str, ids[i::4]))) for i in range(4)
    ]
    started = time.perf_counter()
    outputs = await asyncio.to_thread(_run_together, procs)
    elapsed = time.perf_counter() - started
    numbers = [n for out in outputs for n in out["numbers"]]
    print(f"\n200 receipts from 4 processes on SQLite: {elapsed:.2f} s (incl. start-up)")
    serials = sorted(receipt_numbers.parse_receipt_number(n).serial for n in numbers)
    assert serials == list(range(1, 201))


@pytest.mark.both_databases
async def test_the_same_idempotency_key_sent_50_times_at_once_records_one_pledge(
    world, db, app
) -> None:
    import httpx

    m = await build_money(world)
    token = await accounts.create_api_token(user=world.users["participant_member"])
    await _pool_of_20(db)
    body = {"need_id": m.need.id, "amount_fen": 12 * WAN, "due_date": due().isoformat()}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-2026-0001-abcdef"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", event_hooks=CONTRACT_HOOKS
    ) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(client.post("/api/v1/pledges", json=body, headers=headers) for _ in range(50))
        )
        elapsed = time.perf_counter() - started
    print(f"\n50 concurrent retries on {db.database_url.split(':')[0]}: {elapsed:.2f} s")
    assert {r.status_code for r in responses} == {201}, [
        r.text for r in responses if r.status_code != 201
    ][:2]
    assert len({r.text for r in responses}) == 1  # same body every time
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 49
    assert await Pledge.all().count() == 1
    assert await IdempotencyRecord.all().count() == 1
    assert await LedgerEntry.filter(kind="pledge_made").count() == 1
    assert (await fresh(m.need)).pledged_fen == 12 * WAN


async def test_the_same_key_from_three_processes_on_sqlite_records_once(world, db) -> None:
    m = await build_money(world)
    user = world.users["participant_member"].id
    procs = [
        _start("idem", db.database_url, m.need.id, user, 5 * WAN, "same-key-from-3-procs", 10)
        for _ in range(3)
    ]
    outputs = await asyncio.to_thread(_run_together, procs)
    results = [r for out in outputs for r in out["results"]]
    assert len(results) == 30
    assert {(status, json.dumps(body)) for status, body, _ in results} == {
        (201, json.dumps(results[0][1]))
    }
    assert sum(not replayed for _, _, replayed in results) == 1
    assert await Pledge.all().count() == 1
    assert (await fresh(m.need)).pledged_fen == 5 * WAN
