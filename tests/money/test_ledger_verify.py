"""`fupin ledger verify` on the database and on exports: the chain, the records against it, and
durability when the writing process is killed (docs/domain.md §3.7, §5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import connections

from fupin import REPO_ROOT
from fupin.core.clock import today_cn
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, Pledge
from fupin.money.service import donations, ledger_check, pledges, receipts
from fupin.settings import Settings
from tests.money.support import WAN, build_money, due, fresh

pytestmark = pytest.mark.both_databases

FUPIN = str(Path(sys.executable).parent / "fupin")
WORKER = Path(__file__).with_name("money_worker.py")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(FUPIN_DATABASE_URL=settings.database_url, FUPIN_VAR_DIR=str(settings.var_dir))
    return subprocess.run([FUPIN, *args], env=env, capture_output=True, text=True, timeout=120)


async def _some_money(m) -> Donation:  # type: ignore[no-untyped-def]
    """A small history: pledges (one anonymous), a paid and receipted donation, a reversal."""
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    anon = await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due(), anonymous=True
    )
    await pledges.amend_pledge(actor=m.other_donor, pledge_id=anon.id, amount_fen=12 * WAN)
    paid = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=30 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await receipts.issue_receipt(actor=m.officer, donation_id=paid.id)
    anon_paid = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=anon.id,
        amount_fen=5 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await donations.reverse_donation(actor=m.officer, donation_id=anon_paid.id, reason="误记")
    return paid


async def _execute(sql: str) -> None:
    await connections.get("default").execute_query(sql)


async def test_verify_passes_on_an_honest_history(world, db) -> None:
    m = await build_money(world)
    await _some_money(m)
    result = await ledger_check.verify_database()
    assert result.ok, result.findings
    assert result.counts["donations"] == 3 and result.counts["receipts"] == 1
    run = _cli(db, "ledger", "verify")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK 校验通过" in run.stdout


async def test_changing_one_stored_ledger_row_fails_verify_at_that_entry(world, db) -> None:
    m = await build_money(world)
    await _some_money(m)
    target = await LedgerEntry.filter(kind="pledge_amended").first()
    assert target is not None
    await _execute(
        f"UPDATE ledger_entry SET payload_json = replace(payload_json, '120000', '120001') WHERE seq = {target.seq}"
    )
    result = await ledger_check.verify_database()
    assert not result.ok and result.first_bad_seq == target.seq
    small_batches = await ledger_check.verify_database(batch=1)  # the streamed chain stops early
    assert (
        small_batches.first_bad_seq == target.seq
        and small_batches.counts["entries"] == result.counts["entries"]
    )
    run = _cli(db, "ledger", "verify")
    assert run.returncode == 1
    assert f"第 {target.seq} 条" in run.stdout and "hash_mismatch" in run.stdout


async def test_changing_one_donation_amount_fails_verify_at_its_ledger_entry(world, db) -> None:
    m = await build_money(world)
    paid = await _some_money(m)
    row = await Donation.get(id=paid.id)
    await _execute(f"UPDATE donation SET amount_fen = amount_fen + 1 WHERE id = {paid.id}")
    result = await ledger_check.verify_database()
    assert result.chain.ok and not result.ok
    assert result.first_bad_seq == row.ledger_seq
    run = _cli(db, "ledger", "verify")
    assert run.returncode == 1
    assert f"第 {row.ledger_seq} 条" in run.stdout
    assert f"donation:{paid.id}" in run.stdout and "amount_fen" in run.stdout


async def test_a_donation_confirmed_behind_the_ledgers_back_is_caught(world, db) -> None:
    m = await build_money(world)
    await _some_money(m)
    sneaky = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=m.world.participants["individual"].id,
        amount_fen=WAN,
        received_on=today_cn(),
    )
    await _execute(f"UPDATE donation SET state = 'confirmed' WHERE id = {sneaky.id}")
    result = await ledger_check.verify_database()
    assert not result.ok
    assert any(
        f"donation {sneaky.id} is confirmed but has no ledger entry" in f.detail
        for f in result.findings
    )


async def test_an_anonymous_donors_identity_is_checked_through_its_commitment(world, db) -> None:
    m = await build_money(world)
    await _some_money(m)
    anon = await Donation.filter(anonymous=True, reverses_id=None).first()
    assert anon is not None
    other = m.world.participants["central_unit"].id
    await _execute(f"UPDATE donation SET donor_id = {other} WHERE id = {anon.id}")
    result = await ledger_check.verify_database()
    assert not result.ok and result.first_bad_seq == anon.ledger_seq


async def test_export_verifies_alone_with_the_cli_and_the_standalone_script(
    world, db, tmp_path
) -> None:
    m = await build_money(world)
    await _some_money(m)
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"ledger.{fmt}"
        run = _cli(db, "ledger", "export", "--format", fmt, "--output", str(path))
        assert run.returncode == 0, run.stderr
        ours = _cli(db, "ledger", "verify", "--file", str(path))
        script = subprocess.run(
            [sys.executable, str(REPO_ROOT / "tools" / "verify_ledger.py"), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ours.returncode == 0 and script.returncode == 0, ours.stdout + script.stdout
        count = await LedgerEntry.all().count()
        assert (
            f"entries 记录数: {count}" in ours.stdout
            and f"entries 记录数: {count}" in script.stdout
        )
        # one changed byte: both name the same entry
        data = path.read_bytes().replace(b"300000", b"300009", 1)
        path.write_bytes(data)
        ours = _cli(db, "ledger", "verify", "--file", str(path))
        script = subprocess.run(
            [sys.executable, str(REPO_ROOT / "tools" / "verify_ledger.py"), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ours.returncode == 1 and script.returncode == 1
        first_line = [line for line in script.stdout.splitlines() if line.startswith("FAIL")][0]
        assert first_line in ours.stdout


async def test_a_process_killed_while_recording_leaves_a_ledger_that_verifies(world, db) -> None:
    m = await build_money(world, target_fen=10**9)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            "donate",
            db.database_url,
            str(world.users["county_officer"].id),
            str(m.county_gov.id),
            str(m.need.id),
            str(m.world.participants["individual"].id),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert json.loads(proc.stdout.readline()) == {"ready": True}
        proc.stdin.write("go\n")
        proc.stdin.flush()
        confirmed = 0
        deadline = time.monotonic() + 60
        while confirmed < 25 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            confirmed += "confirmed" in line
        time.sleep(0.05)  # let it get into the middle of the next write
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert confirmed >= 25
    run = _cli(db, "ledger", "verify")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = await Donation.filter(state="confirmed").values_list("id", "ledger_seq")
    assert len(rows) >= 25
    entries = await LedgerEntry.filter(kind="donation_confirmed").values_list("subject", "seq")
    assert sorted(entries) == sorted((f"donation:{i}", seq) for i, seq in rows)
    need = await fresh(m.need)
    assert need.received_fen == need.pledged_fen == 100 * len(rows)


async def test_pledges_lapse_command_lapses_overdue_pledges(world, db) -> None:
    m = await build_money(world)
    late = await pledges.make_pledge(
        actor=m.donor,
        need_id=m.need.id,
        amount_fen=WAN,
        due_date=today_cn() - timedelta(days=1),
        today=today_cn() - timedelta(days=20),
    )
    run = _cli(db, "pledges", "lapse")
    assert run.returncode == 0 and "lapsed 1 pledge(s)" in run.stdout, run.stderr
    assert (await Pledge.get(id=late.id)).state == "lapsed"
    assert (await fresh(m.need)).pledged_fen == 0
    assert _cli(db, "ledger", "verify").returncode == 0
