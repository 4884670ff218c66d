"""The statement calls a receipt a pre-tax deduction voucher only when it is one: official
numbers AND a recipient qualified that year (docs/rules.md §3); the CSV yearly summary of the
working paper carries the non-qualifying column the JSON has, so the adjustment is explained in
the row; the statement page states each recipient's qualification once per section."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from fupin.money.service import donations, receipts, recipients
from fupin.tax.service import papers, statements, tables
from tests.tax.builders import WAN, give, make_channels


async def _unqualified_gift(world, channels) -> int:  # type: ignore[no-untyped-def]
    other = await recipients.create_recipient_org(
        actor=None, kind="other", name="某村合作社", code="COOP0001", region_code="532627"
    )
    actor = channels.county_actor
    donation = await donations.record_donation(
        actor=actor,
        recipient_id=other.id,
        need_id=channels.targeted_need.id,
        donor_id=world.participants["enterprise"].id,
        amount_fen=20 * WAN,
        received_on=date(2024, 5, 6),
        confirm=True,
    )
    await receipts.issue_receipt(actor=actor, donation_id=donation.id, today=date(2024, 5, 6))
    await receipts.enter_official_numbers(
        actor=actor,
        donation_id=donation.id,
        receipt_code="53240119",
        receipt_number=f"{donation.id:010d}",
        check_code="CQ0001",
    )
    return donation.id


@pytest.mark.both_databases
async def test_a_gift_to_an_unqualified_recipient_is_no_voucher(client_as, world) -> None:
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    await give(channels, donor, received_on=date(2024, 3, 1), amount_fen=10 * WAN, targeted=True)
    bad = await _unqualified_gift(world, channels)
    statement = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2024, system=True, today=date(2026, 1, 5)
    )
    flags = {line.donation_id: line.is_tax_voucher for line in statement.lines}
    assert flags[bad] is False and sum(flags.values()) == 1
    rows = {r["donation_id"]: r for r in tables.statement_rows(statement)[1]}
    assert rows[bad]["voucher"] != "是" and "资格" in rows[bad]["voucher"]
    api = await client_as("participant_member").get(f"/api/v1/tax/{donor.id}/statements/2024")
    by_id = {line["donation_id"]: line for line in api.json()["lines"]}
    assert by_id[bad]["is_tax_voucher"] is False

    page = await client_as("participant_member").get(f"/tax/{donor.id}/2024")
    assert "受赠单位当年不具备公益性捐赠税前扣除资格" in page.text

    result = await papers.build_working_paper(
        actor=None,
        participant_id=donor.id,
        year=2024,
        profit_fen_by_year=dict.fromkeys(range(2021, 2025), 1000 * WAN),
        system=True,
    )
    columns, summary = tables.paper_summary_rows(result)
    assert "non_qualifying_fen" in [key for key, _label, _kind in columns]
    row_2024 = next(r for r in summary if r["year"] == 2024)
    assert row_2024["non_qualifying_fen"] == 20 * WAN
    text = tables.csv_plain(tables.paper_summary_rows(result))
    header = next(csv.reader(io.StringIO(text)))
    assert any("非合格" in h for h in header)


async def test_the_statement_page_states_each_qualification_once(client_as, world) -> None:
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    for day in range(1, 6):
        await give(
            channels, donor, received_on=date(2024, 3, day), amount_fen=1 * WAN, targeted=True
        )
    page = await client_as("participant_member").get(f"/tax/{donor.id}/2024")
    statement = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2024, system=True, today=date(2026, 1, 5)
    )
    sentence = statement.lines[0].qualification.reason.message
    assert len(statement.lines) == 5
    assert page.text.count(sentence) == 1
