"""Dates that cannot be: money cannot arrive for a need before the need was
drafted, nor against a pledge before the pledge was made — except in an explicit historical
import by the national office, which the record and its ledger entry say."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.errors import InvalidInput, PermissionDenied
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, Pledge
from fupin.money.service import donations, ledger_check, pledges
from fupin.needs.models import Need
from tests.money.support import WAN, actor, build_money, due
from tests.support.world import CSRF

pytestmark = pytest.mark.both_databases


def _early() -> date:
    """A day long before the need was drafted, read when the test runs (tests/test_midnight.py)."""
    return today_cn() - timedelta(days=400)


async def _drafted_recently(need: Need) -> None:
    """The need was drafted 30 days ago (China time), so money dated before that cannot be."""
    drafted = datetime.now(UTC) - timedelta(days=30)
    await Need.filter(id=need.id).update(created_at=drafted)


async def test_money_received_before_the_need_was_drafted_is_refused(world) -> None:
    m = await build_money(world)
    await _drafted_recently(m.need)
    with pytest.raises(InvalidInput) as caught:
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            need_id=m.need.id,
            donor_id=world.participants["enterprise"].id,
            amount_fen=WAN,
            received_on=_early(),
        )
    assert caught.value.field == "received_on"
    assert caught.value.code == "before_need"
    assert not await Donation.exists()
    # The day the need was drafted is fine.
    drafted_on = today_cn() - timedelta(days=30)
    recorded = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=world.participants["enterprise"].id,
        amount_fen=WAN,
        received_on=drafted_on,
    )
    assert recorded.received_on == drafted_on and recorded.historical is False


async def test_payment_dated_before_its_pledge_is_refused_also_when_corrected(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    yesterday = today_cn() - timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            pledge_id=pledge.id,
            amount_fen=WAN,
            received_on=yesterday,
        )
    assert (caught.value.field, caught.value.code) == ("received_on", "before_pledge")
    ok = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=WAN,
        received_on=today_cn(),
    )
    with pytest.raises(InvalidInput) as edited:
        await donations.update_donation(
            actor=m.officer, donation_id=ok.id, changes={"received_on": yesterday}
        )
    assert edited.value.code == "before_pledge"
    assert (await Donation.get(id=ok.id)).received_on == today_cn()


async def test_api_and_form_answer_422_naming_received_on(client, client_as, world) -> None:
    from fupin.accounts.service import users as accounts

    m = await build_money(world)
    await _drafted_recently(m.need)
    token = await accounts.create_api_token(user=world.users["county_officer"])
    response = await client.post(
        "/api/v1/donations",
        json={
            "recipient_id": m.county_gov.id,
            "need_id": m.need.id,
            "donor_id": world.participants["enterprise"].id,
            "amount_fen": WAN,
            "received_on": _early().isoformat(),
        },
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "dates-0123456789"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "received_on" and error["code"] == "before_need"
    assert "需求" in error["message"]
    officer = client_as("county_officer")
    form = await officer.post(
        "/donations",
        data={
            "csrf_token": CSRF,
            "org": str(m.county_gov.id),
            "need_id": str(m.need.id),
            "donor_id": str(world.participants["enterprise"].id),
            "amount": "10000",
            "received_on": _early().isoformat(),
            "kind": "cash",
            "idempotency_key": "dates-form-0123456789",
        },
    )
    assert form.status_code == 422
    assert 'aria-invalid="true"' in form.text and "登记（起草）之前" in form.text
    assert not await Donation.exists()


async def test_historical_import_by_the_national_office_is_marked_on_record_and_ledger(
    world,
) -> None:
    m = await build_money(world)
    await _drafted_recently(m.need)
    enterprise = world.participants["enterprise"].id
    with pytest.raises(PermissionDenied):  # the recipient's own officer may not import
        await donations.import_historical_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            need_id=m.need.id,
            donor_id=enterprise,
            amount_fen=WAN,
            received_on=_early(),
            note="2017 年纸质台账补录",
        )
    with pytest.raises(InvalidInput) as no_note:  # the import says where the record comes from
        await donations.import_historical_donation(
            actor=await actor(world, "national_admin"),
            recipient_id=m.county_gov.id,
            need_id=m.need.id,
            donor_id=enterprise,
            amount_fen=WAN,
            received_on=_early(),
            note="",
        )
    assert no_note.value.field == "note"
    imported = await donations.import_historical_donation(
        actor=await actor(world, "national_admin"),
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=enterprise,
        amount_fen=WAN,
        received_on=_early(),
        note="2017 年纸质台账补录",
    )
    assert imported.historical is True and imported.state == "confirmed"
    assert imported.received_on == _early()
    entry = await LedgerEntry.get(seq=imported.ledger_seq)
    assert json.loads(entry.payload_json)["historical"] is True
    # An ordinary donation's entry says nothing of it, and the ledger check holds for both.
    assert (await ledger_check.verify_database()).ok
    assert not await Pledge.exists()


async def test_cli_import_is_all_or_nothing_and_only_for_the_national_office(
    world, settings, tmp_path
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    m = await build_money(world)
    await _drafted_recently(m.need)
    enterprise = world.participants["enterprise"].id
    good = f"{m.county_gov.id},{m.need.id},{enterprise},1万,{_early().isoformat()},2017 年纸质台账"
    bad = f"{m.county_gov.id},{m.need.id},{enterprise},一万,{_early().isoformat()},台账"
    header = "recipient_id,need_id,donor_id,amount,received_on,note"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(FUPIN_DATABASE_URL=settings.database_url, FUPIN_VAR_DIR=str(settings.var_dir))
    fupin = str(Path(sys.executable).parent / "fupin")

    def run(rows: list[str], user: str) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "old.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return subprocess.run(
            [fupin, "donations", "import-historical", str(path), "--as", user],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    officer = world.users["county_officer"].username
    admin = world.users["national_admin"].username
    refused = run([good], officer)
    assert refused.returncode != 0 and not await Donation.exists()
    half = run([good, bad], admin)
    assert half.returncode != 0 and "row 3, amount" in half.stderr, half.stderr
    assert not await Donation.exists()
    done = run([good], admin)
    assert done.returncode == 0, done.stderr
    (imported,) = await Donation.all()
    assert imported.historical and imported.amount_fen == WAN and imported.received_on == _early()
