"""Donations (record, confirm, lock, reverse, targeted flag) and the receipt register (numbers,
void, re-issue, duplicates, official numbers, in-kind rule) — docs/domain.md §3.6, docs/rules.md §1.2, §3."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.core.clock import today_cn
from fupin.errors import InvalidInput, InvalidTransition, PermissionDenied, RuleViolation
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, Pledge, Receipt
from fupin.money.rules import receipt_numbers
from fupin.money.service import donations, pledges, receipts, recipients
from fupin.regions.models import Region
from tests.money.support import WAN, build_money, due, fresh, made_on, make_need

pytestmark = pytest.mark.both_databases


async def _paid_pledge(m, amount=30 * WAN, **kwargs):
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=amount, due_date=due(), **kwargs
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=amount,
        received_on=today_cn(),
        payment_reference="BANK-001",
    )
    return pledge, donation


async def test_recording_counts_nothing_until_the_recipient_confirms(world) -> None:
    m = await build_money(world)
    pledge, donation = await _paid_pledge(m)
    assert donation.state == "recorded"
    assert (await fresh(m.need)).received_fen == 0
    assert not await LedgerEntry.filter(kind="donation_confirmed").exists()
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    need = await fresh(m.need)
    assert need.received_fen == 30 * WAN and need.pledged_fen == 30 * WAN
    assert (await Pledge.get(id=pledge.id)).state == "honoured"
    entry = await LedgerEntry.get(kind="donation_confirmed")
    assert entry.subject == f"donation:{donation.id}"
    assert "BANK-001" not in entry.payload_json  # the bank reference is a commitment


async def test_confirming_twice_is_refused_and_writes_nothing(world) -> None:
    m = await build_money(world)
    _, donation = await _paid_pledge(m)
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    entries = await LedgerEntry.all().count()
    with pytest.raises(RuleViolation) as caught:
        await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    assert caught.value.code == "already_confirmed"
    assert await LedgerEntry.all().count() == entries
    assert (await fresh(m.need)).received_fen == 30 * WAN


async def test_a_confirmed_donation_is_locked_and_corrected_by_a_reversing_entry(world) -> None:
    m = await build_money(world)
    pledge, donation = await _paid_pledge(m)
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    with pytest.raises(RuleViolation) as caught:
        await donations.update_donation(
            actor=m.officer, donation_id=donation.id, changes={"amount_fen": 1}
        )
    assert caught.value.code == "donation_locked"
    with pytest.raises(RuleViolation):
        await donations.cancel_donation(actor=m.officer, donation_id=donation.id)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    reversal = await donations.reverse_donation(
        actor=m.officer, donation_id=donation.id, reason="银行退票"
    )
    assert reversal.amount_fen == -30 * WAN and reversal.reverses_id == donation.id
    original = await Donation.get(id=donation.id)
    assert (original.amount_fen, original.state) == (30 * WAN, "confirmed")  # never edited
    need = await fresh(m.need)
    assert need.received_fen == 0 and need.pledged_fen == 30 * WAN  # the pledge itself stands
    assert (await Pledge.get(id=pledge.id)).state == "pledged"
    voided = await Receipt.get(id=receipt.id)
    assert voided.state == "voided" and "退票" in voided.void_reason
    with pytest.raises(RuleViolation):
        await donations.reverse_donation(
            actor=m.officer, donation_id=donation.id, reason="再来一次"
        )
    with pytest.raises(RuleViolation):
        await donations.reverse_donation(
            actor=m.officer, donation_id=reversal.id, reason="冲正的冲正"
        )


async def test_recorded_donations_can_be_corrected_before_confirmation(world) -> None:
    m = await build_money(world)
    pledge, donation = await _paid_pledge(m)
    await made_on(pledge, date(2024, 12, 1))  # the pledge was made before the corrected day
    edited = await donations.update_donation(
        actor=m.officer,
        donation_id=donation.id,
        changes={"amount_fen": 20 * WAN, "received_on": date(2024, 12, 30)},
    )
    assert edited.amount_fen == 20 * WAN and edited.received_on == date(2024, 12, 30)


async def test_donation_beyond_the_pledge_or_the_open_amount_is_refused(world) -> None:
    m = await build_money(world, target_fen=100 * WAN)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    with pytest.raises(RuleViolation) as caught:
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            pledge_id=pledge.id,
            amount_fen=31 * WAN,
            received_on=today_cn(),
        )
    assert caught.value.code == "over_pledge_payment"
    standalone = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=m.world.participants["individual"].id,
        amount_fen=70 * WAN,
        received_on=today_cn(),
    )
    await donations.confirm_donation(actor=m.officer, donation_id=standalone.id)
    assert (await fresh(m.need)).state == "funded"
    late = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=m.world.participants["individual"].id,
        amount_fen=WAN,
        received_on=today_cn(),
    )
    with pytest.raises(RuleViolation) as caught:
        await donations.confirm_donation(actor=m.officer, donation_id=late.id)
    assert caught.value.code == "over_pledge" and caught.value.extra["open_fen"] == 0


async def test_only_the_recipients_officers_record_and_confirm(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    for intruder in (m.other_officer, m.donor, m.foundation_member):
        with pytest.raises(PermissionDenied):
            await donations.record_donation(
                actor=intruder,
                recipient_id=m.county_gov.id,
                pledge_id=pledge.id,
                amount_fen=WAN,
                received_on=today_cn(),
            )
    # the foundation may not take money pledged to the county government
    with pytest.raises(RuleViolation) as caught:
        await donations.record_donation(
            actor=m.foundation_member,
            recipient_id=m.foundation.id,
            pledge_id=pledge.id,
            amount_fen=WAN,
            received_on=today_cn(),
        )
    assert caught.value.code == "wrong_recipient"


async def test_money_may_arrive_in_an_earlier_year_but_not_in_the_future(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    earlier = date(today_cn().year - 1, 12, 31)
    await made_on(pledge, date(today_cn().year - 1, 12, 1))
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=WAN,
        received_on=earlier,
    )
    assert donation.received_on == earlier
    with pytest.raises(InvalidInput) as caught:
        await donations.update_donation(
            actor=m.officer,
            donation_id=donation.id,
            changes={"received_on": date(today_cn().year + 1, 1, 1)},
        )
    assert caught.value.field == "received_on"


async def test_targeted_flag_is_derived_from_the_place_and_the_channel(world) -> None:
    m = await build_money(world)
    individual = m.world.participants["individual"].id
    # 广南县 is one of the 832 and the county government is a qualifying channel
    gov = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=individual,
        amount_fen=WAN,
        received_on=today_cn(),
    )
    assert (gov.targeted, gov.targeted_basis, gov.channel_qualifies) == (True, "county_832", True)
    assert "广南县" in gov.target_area_text
    # the foundation qualifies only inside its qualification period
    fund = await donations.record_donation(
        actor=m.foundation_member,
        recipient_id=m.foundation.id,
        need_id=m.need.id,
        donor_id=individual,
        amount_fen=WAN,
        received_on=date(today_cn().year - 3, 6, 1),
    )
    assert (fund.channel_qualifies, fund.targeted) == (False, False)
    # an unqualified organisation is not a qualifying channel at all
    other = await recipients.create_recipient_org(
        actor=None, kind="other", name="某村委会", code="VILLAGE01"
    )
    direct = await donations.derive_targeted(m.need, other, today_cn())
    assert (direct.channel_qualifies, direct.targeted) == (False, False)


async def test_a_registered_poor_village_outside_the_832_is_a_target_area(world) -> None:
    m = await build_money(world)
    county = await Region.filter(
        level="county", is_poverty_county=False, province_code="530000"
    ).first()
    assert county is not None
    village = await Region.create(
        code=county.code + "100299",
        name="新寨村",
        level="village",
        parent_id=county.code,
        province_code="530000",
        prefecture_code=county.prefecture_code,
        county_code=county.code,
        full_name=f"{county.full_name} 新寨村",
        is_poor_village=True,
        is_generated=True,
    )
    need = await make_need(village)
    facts = await donations.derive_targeted(need, m.foundation, today_cn())
    assert (facts.targeted, facts.basis) == (True, "registered_poor_village")
    await Region.filter(code=village.code).update(is_poor_village=False)
    facts = await donations.derive_targeted(need, m.foundation, today_cn())
    assert facts.targeted is False


async def test_receipts_only_for_confirmed_donations(world) -> None:
    m = await build_money(world)
    _, donation = await _paid_pledge(m)
    with pytest.raises(RuleViolation) as caught:
        await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert caught.value.code == "not_confirmed"
    assert not await Receipt.exists()


async def test_in_kind_gift_without_fair_value_evidence_gets_no_receipt(world) -> None:
    m = await build_money(world)
    individual = m.world.participants["individual"].id
    goods = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=individual,
        amount_fen=2 * WAN,
        received_on=today_cn(),
        kind="in_kind",
        valuation_basis="market_price",
        items=[donations.ItemSpec("水泥", 40, "吨", 500 * 100)],
        confirm=True,
    )
    with pytest.raises(RuleViolation) as caught:
        await receipts.issue_receipt(actor=m.officer, donation_id=goods.id)
    assert caught.value.code == "no_fair_value_evidence"
    proven = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=individual,
        amount_fen=2 * WAN,
        received_on=today_cn(),
        kind="in_kind",
        valuation_basis="invoice",
        fair_value_evidence="增值税发票 No.12345678",
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=proven.id)
    assert "实物捐赠" in receipt.remarks
    with pytest.raises(InvalidInput) as caught:
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            need_id=m.need.id,
            donor_id=individual,
            amount_fen=2 * WAN,
            received_on=today_cn(),
            kind="in_kind",
        )
    assert caught.value.field == "valuation_basis"


async def test_void_keeps_the_number_and_reissue_points_to_it(world) -> None:
    m = await build_money(world)
    _, donation = await _paid_pledge(m)
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    first = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert first.number == f"GOV532627-{today_cn().year}-000001"
    with pytest.raises(RuleViolation) as caught:
        await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert caught.value.code == "receipt_exists"
    with pytest.raises(InvalidInput):
        await receipts.void_receipt(actor=m.officer, receipt_id=first.id, reason="  ")
    await receipts.void_receipt(actor=m.officer, receipt_id=first.id, reason="交款人名称有误")
    with pytest.raises(InvalidTransition):
        await receipts.void_receipt(actor=m.officer, receipt_id=first.id, reason="again")
    second = await receipts.reissue_receipt(actor=m.officer, receipt_id=first.id)
    assert (
        second.number == f"GOV532627-{today_cn().year}-000002" and second.reissue_of_id == first.id
    )
    voided = await Receipt.get(id=first.id)
    assert (voided.number, voided.state, voided.void_reason) == (
        first.number,
        "voided",
        "交款人名称有误",
    )
    with pytest.raises(RuleViolation):
        await receipts.reissue_receipt(actor=m.officer, receipt_id=first.id)
    kinds = [
        e.kind for e in await LedgerEntry.filter(subject__startswith="receipt:").order_by("seq")
    ]
    assert kinds == ["receipt_issued", "receipt_voided", "receipt_issued"]
    serials = [r.serial for r in await Receipt.filter(issuer_id=m.county_gov.id)]
    assert receipt_numbers.check_gapless(serials, expected_last=2) == []


async def test_copies_after_the_first_are_duplicates_and_official_numbers_lift_the_label(
    world,
) -> None:
    m = await build_money(world)
    _, donation = await _paid_pledge(m)
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    view = await receipts.receipt_view(receipt)
    assert "非税前扣除凭证" in view["labels"]
    assert view["amount_words"] == "叁拾万元整"
    _, first = await receipts.record_print(actor=m.donor, receipt_id=receipt.id)
    _, second = await receipts.record_print(actor=m.officer, receipt_id=receipt.id)
    assert (first, second) == (1, 2)
    assert "副本" in (await receipts.receipt_view(receipt, copy_number=second))["labels"]
    assert "副本" not in (await receipts.receipt_view(receipt, copy_number=first))["labels"]
    with pytest.raises(PermissionDenied):
        await receipts.record_print(actor=m.other_donor, receipt_id=receipt.id)
    await receipts.enter_official_numbers(
        actor=m.officer,
        donation_id=donation.id,
        receipt_code="53010124",
        receipt_number="0000012345",
        check_code="a1b2c3",
    )
    assert "非税前扣除凭证" not in (await receipts.receipt_view(receipt))["labels"]


async def test_targeted_receipt_names_the_target_area(world) -> None:
    m = await build_money(world)
    _, donation = await _paid_pledge(m)
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert "目标脱贫地区" in receipt.remarks and "广南县" in receipt.remarks
    assert receipt.payer_identifier == m.world.participants["enterprise"].uscc
