"""Statements and working papers from the database (docs/domain.md §3.8): the worked example of
docs/rules.md §1.4 from real, receipted donations, traceability, input validation, permissions."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.accounts.service import users as accounts
from fupin.errors import InvalidInput, NotFound, PermissionDenied
from fupin.money.service import donations, recipients
from fupin.tax.rules.paper import LineKind
from fupin.tax.service import papers, statements, views
from tests.tax.builders import (
    EXAMPLE_PROFIT_WAN,
    EXAMPLE_TABLE,
    WAN,
    build_example_e,
    give,
    make_channels,
)

PROFITS = {year: wan * WAN for year, wan in EXAMPLE_PROFIT_WAN.items()}


@pytest.mark.both_databases
async def test_worked_example_reproduces_to_the_fen_from_receipted_donations(world) -> None:
    channels = await build_example_e(world)
    member = await accounts.actor_for(world.users["participant_member"])
    result = await papers.build_working_paper(
        actor=member,
        participant_id=world.participants["enterprise"].id,
        year=2026,
        profit_fen_by_year=PROFITS,
    )
    assert [paper.year for paper in result.paper.years] == list(range(2019, 2027))
    for year, (cap, brought, current, carried, expired, total) in EXAMPLE_TABLE.items():
        paper = result.paper.year(year)
        assert paper.cap_fen == cap, year
        assert views.brought_forward_by_origin(paper) == brought, year
        assert paper.current_general_deducted_fen == current, year
        assert paper.carried_forward_fen == carried, year
        assert views.expired_by_origin(paper) == expired, year
        assert paper.deducted_fen == total, year
    # Every line traces back to real donations and their platform receipts.
    known = {d.id: d for d in channels.by_label.values()}
    for line in result.paper.lines():
        for share in line.sources:
            assert share.donation_id in known
            assert share.receipt_number == result.receipts[share.donation_id].receipt_number
    # The 2019 excess carried forward is the later 2019 general receipt.
    (carried,) = result.paper.year(2019).carried_forward
    assert carried.donation_ids == (channels.by_label["G2019b"].id,)


@pytest.mark.both_databases
async def test_statement_splits_targeted_and_general_with_receipt_and_official_numbers(
    world,
) -> None:
    channels = await build_example_e(world)
    member = await accounts.actor_for(world.users["participant_member"])
    statement = await statements.build_statement(
        actor=member, participant_id=world.participants["enterprise"].id, year=2019
    )
    assert statement.total(group="targeted", kind="cash") == 300 * WAN
    assert statement.total(group="general", kind="cash") == 150 * WAN
    assert statement.total(group="non_qualifying") == 0
    t2019 = next(ln for ln in statement.lines if ln.donation_id == channels.by_label["T2019"].id)
    assert t2019.receipt_number.startswith("GN532627-2019-")
    assert t2019.is_tax_voucher and t2019.official_number
    assert t2019.recipient_kind == "government" and t2019.qualifies
    assert t2019.targeted_basis == "county_832"
    assert t2019.ledger_hash and len(t2019.ledger_hash) == 64
    g = next(ln for ln in statement.lines if ln.donation_id == channels.by_label["G2019a"].id)
    assert g.recipient_kind == "qualified_org"
    assert g.qualification.reason.code == "recipient_qualified_in_period"
    assert not g.targeted


async def test_receipt_without_official_numbers_is_not_a_voucher_and_stays_out_of_the_paper(
    world,
) -> None:
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    with_numbers = await give(
        channels, donor, received_on=date(2025, 3, 1), amount_fen=10 * WAN, targeted=False
    )
    without = await give(
        channels,
        donor,
        received_on=date(2025, 4, 1),
        amount_fen=5 * WAN,
        targeted=False,
        official=False,
    )
    unreceipted = await give(
        channels,
        donor,
        received_on=date(2025, 5, 1),
        amount_fen=WAN,
        targeted=False,
        receipt=False,
    )
    statement = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2025, system=True
    )
    assert [ln.donation_id for ln in statement.lines] == [with_numbers.id, without.id]
    assert [ln.is_tax_voucher for ln in statement.lines] == [True, False]
    assert [u.donation_id for u in statement.unreceipted] == [unreceipted.id]
    result = await papers.build_working_paper(
        actor=None,
        participant_id=donor.id,
        year=2025,
        profit_fen_by_year={2025: 1000 * WAN},
        system=True,
    )
    assert result.paper.year(2025).booked_fen == 10 * WAN
    assert [ln.donation_id for ln in result.pending] == [without.id]


async def test_reversed_donation_leaves_the_statement(world) -> None:
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    kept = await give(channels, donor, received_on=date(2024, 3, 1), amount_fen=WAN, targeted=True)
    gone = await give(channels, donor, received_on=date(2024, 4, 1), amount_fen=WAN, targeted=True)
    await donations.reverse_donation(
        actor=channels.county_actor, donation_id=gone.id, reason="重复登记"
    )
    statement = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2024, system=True
    )
    assert [ln.donation_id for ln in statement.lines] == [kept.id]
    assert statement.unreceipted == ()


async def test_paper_asks_only_for_years_whose_carry_forward_reaches_the_year(world) -> None:
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    years_2026 = await papers.paper_years(actor=None, participant_id=pid, year=2026, system=True)
    # The 2021 carry-forward expired in 2025: 2026 alone decides the 2026 paper.
    assert years_2026.required == (2026,)
    assert years_2026.optional == tuple(range(2019, 2026))
    years_2023 = await papers.paper_years(actor=None, participant_id=pid, year=2023, system=True)
    assert years_2023.required == (2019, 2020, 2021, 2022, 2023)
    single = await papers.build_working_paper(
        actor=None,
        participant_id=pid,
        year=2026,
        profit_fen_by_year={2026: 1000 * WAN},
        system=True,
    )
    assert single.paper.year(2026).deducted_fen == 100 * WAN
    assert single.paper.year(2026).booked[0].reason.code == "booked_targeted_as_general"


async def test_missing_profit_year_is_refused_naming_each_field(world) -> None:
    await build_example_e(world)
    with pytest.raises(InvalidInput) as caught:
        await papers.build_working_paper(
            actor=None,
            participant_id=world.participants["enterprise"].id,
            year=2022,
            profit_fen_by_year={2019: 1, 2022: 5},
            system=True,
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"profit_2020", "profit_2021"}


async def test_profit_for_a_year_after_the_paper_is_outside_the_data(world) -> None:
    await build_example_e(world)
    with pytest.raises(InvalidInput) as caught:
        await papers.build_working_paper(
            actor=None,
            participant_id=world.participants["enterprise"].id,
            year=2026,
            profit_fen_by_year={2026: 1, 2027: 5},
            system=True,
        )
    assert caught.value.code == "year_outside_data"
    assert caught.value.field == "profit_2027"


@pytest.mark.parametrize("year", ["2031", "1999", "20x9", "", 2007])
async def test_year_outside_the_data_is_refused(world, year) -> None:
    with pytest.raises(InvalidInput) as caught:
        await statements.build_statement(
            actor=None,
            participant_id=world.participants["enterprise"].id,
            year=year,
            system=True,
            today=date(2026, 11, 29),
        )
    assert caught.value.field == "year"
    assert caught.value.code in ("year_outside_data", "not_a_year")


async def test_donor_cannot_see_another_donors_papers_but_an_auditor_can(world) -> None:
    other = await accounts.actor_for(world.users["other_participant_member"])
    with pytest.raises(PermissionDenied):
        await statements.build_statement(
            actor=other, participant_id=world.participants["enterprise"].id, year=2025
        )
    with pytest.raises(PermissionDenied):  # no existence oracle either
        await statements.build_statement(actor=other, participant_id=999999, year=2025)
    auditor = await accounts.actor_for(world.users["auditor"])
    statement = await statements.build_statement(
        actor=auditor, participant_id=world.participants["enterprise"].id, year=2025
    )
    assert statement.lines == ()
    with pytest.raises(NotFound):
        await statements.build_statement(actor=auditor, participant_id=999999, year=2025)
    admin = await accounts.actor_for(world.users["national_admin"])
    with pytest.raises(PermissionDenied):
        await statements.build_statement(
            actor=admin, participant_id=world.participants["enterprise"].id, year=2025
        )


async def test_individual_gets_the_30_percent_helper(world) -> None:
    channels = await make_channels(world)
    person = world.participants["individual"]
    await give(channels, person, received_on=date(2025, 3, 1), amount_fen=40 * WAN, targeted=True)
    result = await papers.build_individual_helper(
        actor=None,
        participant_id=person.id,
        year=2025,
        taxable_income_fen=100 * WAN,
        system=True,
    )
    helper = result.helper
    assert helper.cap_fen == 30 * WAN
    assert helper.deductible_fen == 30 * WAN
    assert helper.excess_fen == 10 * WAN  # no full deduction, no carry-forward for individuals
    assert helper.booked[0].reason.code == "individual_booked_targeted_capped"
    with pytest.raises(InvalidInput) as caught:
        await papers.build_individual_helper(
            actor=None, participant_id=person.id, year=2025, taxable_income_fen=-1, system=True
        )
    assert caught.value.field == "taxable_income"
    with pytest.raises(InvalidInput):
        await papers.build_working_paper(
            actor=None,
            participant_id=person.id,
            year=2025,
            profit_fen_by_year={2025: 1},
            system=True,
        )


def test_deduction_lines_have_kinds_for_every_label() -> None:
    assert set(views.LINE_KIND_LABELS) == set(LineKind)


async def test_qualification_listed_later_is_applied_to_earlier_donations(world) -> None:
    """A donation recorded before the recipient's qualification listing was entered: the
    statement applies the listing (and so the targeted rule) as it stands now."""
    channels = await make_channels(world)
    late = await recipients.create_recipient_org(
        actor=None,
        kind="qualified_org",
        name="后登记资格的基金会",
        code="LATE0001",
        participant_id=world.participants["social_org"].id,
    )
    donor = world.participants["enterprise"]
    donation = await donations.record_donation(
        actor=channels.foundation_actor,
        recipient_id=late.id,
        need_id=channels.targeted_need.id,
        donor_id=donor.id,
        amount_fen=WAN,
        received_on=date(2024, 5, 5),
    )
    await donations.confirm_donation(actor=channels.foundation_actor, donation_id=donation.id)
    from fupin.money.service import receipts

    await receipts.issue_receipt(
        actor=channels.foundation_actor, donation_id=donation.id, today=date(2024, 5, 5)
    )
    before = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2024, system=True
    )
    assert [line.group for line in before.lines] == ["non_qualifying"]
    await recipients.add_qualification(
        actor=None, org_id=late.id, start_year=2023, end_year=2025, list_reference="补登名单"
    )
    after = await statements.build_statement(
        actor=None, participant_id=donor.id, year=2024, system=True
    )
    (line,) = after.lines
    assert (line.group, line.targeted_basis) == ("targeted", "county_832")


@pytest.mark.both_databases
async def test_paper_asks_for_the_years_that_decide_an_expiry_and_shows_it(world) -> None:
    """2019's excess over the cap (1.8 万元) could be deducted until 2022 and
    expires in 2023, so a 2023 paper needs the profits of 2019–2022 to know how much expired,
    and shows the expiry; with only 2023 entered it is refused, not silently incomplete."""
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    gift = await give(
        channels, donor, received_on=date(2019, 6, 1), amount_fen=138_000_00, targeted=False
    )
    pid = donor.id
    years = await papers.paper_years(actor=None, participant_id=pid, year=2023, system=True)
    assert years.required == (2019, 2020, 2021, 2022, 2023)
    with pytest.raises(InvalidInput) as caught:
        await papers.build_working_paper(
            actor=None, participant_id=pid, year=2023, profit_fen_by_year={2023: 0}, system=True
        )
    assert {e.field for e in caught.value.errors} == {
        "profit_2019",
        "profit_2020",
        "profit_2021",
        "profit_2022",
    }
    result = await papers.build_working_paper(
        actor=None,
        participant_id=pid,
        year=2023,
        profit_fen_by_year={2019: 100 * WAN, 2020: 0, 2021: 0, 2022: 0, 2023: 50 * WAN},
        system=True,
    )
    paper_2023 = result.paper.year(2023)
    assert paper_2023.expired_fen == 18_000_00
    (expired,) = paper_2023.expired
    assert expired.origin_year == 2019 and expired.last_usable_year == 2022
    assert expired.donation_ids == (gift.id,)
    assert paper_2023.deducted_fen == 0
    # A 2024 paper no longer depends on 2019: its expiry belongs to 2023's paper.
    years_2024 = await papers.paper_years(actor=None, participant_id=pid, year=2024, system=True)
    assert years_2024.required == (2024,)
