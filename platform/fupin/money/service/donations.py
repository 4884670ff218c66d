"""Donations: record, correct, cancel, confirm, reverse (docs/domain.md §3.6). Recipient organisations are
``money.service.recipients``; receipts and the official voucher numbers ``money.service.receipts``.

A donation is what a recipient organisation actually received, recorded and then confirmed by
that recipient's officer. Confirming is the money event: in one transaction it locks the
donation, pays the pledge (or, for a donation standing alone, reserves the amount on the need
with the same conditional UPDATE as a pledge), raises the need's received amount, appends the
``donation_confirmed`` ledger entry, writes the audit and outbox rows. A confirmed donation is
locked: a correction is a reversing donation (negated amount, ``reverses`` → the original) with
its own ledger entry, and the original's live receipt is voided with it.

The targeted-poverty flag is derived, never typed in (docs/rules.md §1.2): the need's place is a
target area (one of the 832 counties, a county of Aksu prefecture, or a registered poor village)
AND the recipient is a qualifying channel on the day the money arrived (a county-level-or-higher
government body, or an organisation whose deduction qualification covers that day); the pure
rules are ``channels.qualifies_for_deduction`` and ``channels.is_targeted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.accounts.models import Participant
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.core.policy import EVERYWHERE, Actor, require
from fupin.core.reasons import Reason
from fupin.errors import FieldError, InvalidInput, RuleViolation
from fupin.i18n import N_, _
from fupin.money.models import (
    DONATION_KINDS,
    VALUATION_BASES,
    Donation,
    DonationItem,
    Pledge,
    Receipt,
    RecipientOrg,
)
from fupin.money.rules import channels
from fupin.money.rules.schedules import check_amount, check_received_on
from fupin.money.rules.states import DONATION_MACHINE, PLEDGE_MACHINE, DonationFacts, PledgeFacts
from fupin.money.service import pledges, receipts
from fupin.money.service.readers import View, may_see_donor, seen
from fupin.money.service.recipients import (
    get_recipient,
    is_recipient_officer,
    qualification_periods,
    require_recipient,
)
from fupin.money.service.unit import money_change
from fupin.needs.models import Need
from fupin.notify.service.inbox import notify_participant
from fupin.regions.models import Region

#: Needs that may still receive money: a pledge is often paid after the project has started.
DONATABLE_NEED_STATES = ("published", "funded", "in_progress", "completed")
EARLIEST_RECEIVED_ON = date(2000, 1, 1)

DONATION_STATE_LABELS = {
    "recorded": N_("待确认"),
    "confirmed": N_("已确认"),
    "cancelled": N_("已取消"),
}
VALUATION_BASIS_LABELS = {
    "invoice": N_("发票价格"),
    "market_price": N_("市场价格"),
    "appraisal": N_("评估价格"),
    "contract": N_("协议价格"),
}
TARGET_BASIS_LABELS = {
    "county_832": N_("832个贫困县"),
    "aksu_prefecture": N_("阿克苏地区"),
    "registered_poor_village": N_("建档立卡贫困村"),
}


# --- targeted-poverty derivation --------------------------------------------------------------


@dataclass(frozen=True)
class TargetedFacts:
    channel_qualifies: bool
    targeted: bool
    basis: str
    area_text: str
    # The rules' own words for both decisions (the pledge page states them before any money moves).
    channel_reason: Reason | None = None
    targeted_reason: Reason | None = None


async def derive_targeted(need: Need, org: RecipientOrg, received_on: date) -> TargetedFacts:
    """The targeted flag of docs/rules.md §1.2 from the need's place and the channel on that day."""
    channel = channels.qualifies_for_deduction(
        recipient_kind=org.kind,
        qualification_periods=await qualification_periods(org.id),
        donated_on=received_on,
    )
    place = await Region.get(code=need.region_id)
    county = await Region.get_or_none(code=need.county_code)
    area_text = (place.full_name or place.name).strip()
    decision = channels.is_targeted(
        channel_qualifies=channel.ok,
        county_code=need.county_code or None,
        village_is_registered_poor=place.level == "village" and place.is_poor_village,
        receipt_area_text=area_text,
        poverty_county_codes={county.code} if county and county.is_poverty_county else set(),
        target_area_names=[n for n in (county.name if county else "", place.name) if n],
    )
    return TargetedFacts(
        channel_qualifies=channel.ok,
        targeted=decision.ok,
        basis=str(decision.basis) if decision.ok and decision.basis else "",
        area_text=area_text,
        channel_reason=channel.reason,
        targeted_reason=decision.reason,
    )


# --- recording --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    name: str
    quantity: int
    unit: str
    unit_value_fen: int


def _check_items(items: Sequence[ItemSpec], amount_fen: int) -> list[ItemSpec]:
    checked: list[ItemSpec] = []
    for index, item in enumerate(items, start=1):
        name = (item.name or "").strip()
        unit = (item.unit or "").strip()
        if not name or len(name) > 64:
            raise InvalidInput(_("请填写物品名称（不超过 64 字）。"), field=f"items[{index}].name")
        if not unit or len(unit) > 16:
            raise InvalidInput(_("请填写计量单位。"), field=f"items[{index}].unit")
        if (
            isinstance(item.quantity, bool)
            or not isinstance(item.quantity, int)
            or item.quantity <= 0
        ):
            raise InvalidInput(_("数量必须是正整数。"), field=f"items[{index}].quantity")
        check_amount(item.unit_value_fen, field=f"items[{index}].unit_value_fen")
        checked.append(ItemSpec(name, item.quantity, unit, item.unit_value_fen))
    if checked and sum(i.quantity * i.unit_value_fen for i in checked) != amount_fen:
        raise InvalidInput(
            _("物品数量×单价的合计与捐赠金额不一致。"), field="items", code="items_mismatch"
        )
    return checked


DONATION_AUDIT_FIELDS = (
    "need_id",
    "pledge_id",
    "recipient_id",
    "donor_id",
    "anonymous",
    "kind",
    "amount_fen",
    "valuation_basis",
    "fair_value_evidence",
    "received_on",
    "payment_reference",
    "state",
    "targeted",
    "targeted_basis",
    "channel_qualifies",
    "historical",
)


@dataclass(frozen=True)
class _Checked:
    need: Need
    pledge: Pledge | None
    donor: Participant
    anonymous: bool
    items: list[ItemSpec]
    facts: TargetedFacts


async def _check_donation_input(
    *,
    org: RecipientOrg,
    need_id: int | None,
    pledge_id: int | None,
    donor_id: int | None,
    anonymous: bool | None,
    amount_fen: int,
    kind: str,
    received_on: date,
    payment_reference: str,
    valuation_basis: str,
    fair_value_evidence: str,
    items: Sequence[ItemSpec],
    today: date,
    historical: bool = False,
) -> _Checked:
    # Problems with what was typed are collected and given all at once (a form shows each next
    # to its field); a rule's refusal (a closed need, another recipient's pledge) stops at once.
    errors: list[FieldError] = []

    def refuse(message: str, field: str, code: str = "invalid") -> None:
        errors.append(FieldError(field, message, code))

    try:
        check_amount(amount_fen)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if kind not in DONATION_KINDS:
        refuse(_("捐赠方式应为现金或实物。"), "kind")
    if received_on > today:
        refuse(_("到账日期不能晚于今天。"), "received_on")
    if received_on < EARLIEST_RECEIVED_ON:
        refuse(_("到账日期过早，请检查。"), "received_on")
    if len(payment_reference) > 64:
        refuse(_("付款凭证号不超过 64 个字符。"), "payment_reference")
    if kind == "in_kind":
        if valuation_basis not in VALUATION_BASES:
            refuse(_("实物捐赠须说明公允价值的确定依据。"), "valuation_basis")
        if len(fair_value_evidence) > 2000:
            refuse(_("公允价值证明说明过长。"), "fair_value_evidence")
    elif valuation_basis or items:
        refuse(_("现金捐赠不填写估值依据和物品明细。"), "valuation_basis")
    checked_items: list[ItemSpec] = []
    if not errors:
        checked_items = _check_items(items, amount_fen)
    pledge: Pledge | None = None
    if pledge_id is not None:
        pledge = await Pledge.get_or_none(id=pledge_id)
        if pledge is None:
            raise InvalidInput(_("认捐不存在。"), field="pledge_id", code="not_found")
        if need_id is not None and need_id != pledge.need_id:
            raise InvalidInput(_("认捐不属于该需求。"), field="pledge_id")
        need_id = pledge.need_id
        if donor_id is not None and donor_id != pledge.participant_id:
            raise InvalidInput(_("捐赠人与认捐人不一致。"), field="donor_id")
        donor_id = pledge.participant_id
        if anonymous is None:
            anonymous = pledge.anonymous
        if pledge.recipient_id is not None and pledge.recipient_id != org.id:
            raise RuleViolation(
                _("该认捐约定由其他受赠单位接收，不能由本单位登记。"),
                code="wrong_recipient",
                field="pledge_id",
            )
        if not errors:
            # the payment this donation will be, checked now so a wrong one is never recorded
            PLEDGE_MACHINE.check(
                pledge.state,
                "pay",
                PledgeFacts(pledge.amount_fen, pledge.paid_fen + amount_fen, pledge.paid_fen),
            )
    need = await Need.get_or_none(id=need_id) if need_id is not None else None
    if need_id is None:
        refuse(_("请选择需求或认捐。"), "need_id", "required")
    elif need is None:
        refuse(_("需求不存在。"), "need_id", "not_found")
    donor = await Participant.get_or_none(id=donor_id) if donor_id is not None else None
    if donor_id is None:
        refuse(_("请选择捐赠人。"), "donor_id", "required")
    elif donor is None:
        refuse(_("捐赠人不存在。"), "donor_id", "not_found")
    if errors:
        raise InvalidInput(errors=errors)
    assert need is not None and donor is not None
    if need.state not in DONATABLE_NEED_STATES:
        raise RuleViolation(
            _("该需求当前不能登记到账（状态：%(state)s）。", state=need.state),
            code="need_not_open",
            field="need_id",
        )
    if not pledges.recipient_covers(org, need):
        raise RuleViolation(
            _("本单位不能接收该需求的捐赠（不在本单位辖区内）。"),
            code="wrong_recipient",
            field="need_id",
        )
    check_received_on(
        received_on,
        need_drafted_on=today_cn(need.created_at),
        pledge_made_on=today_cn(pledge.created_at) if pledge is not None else None,
        historical=historical,
    )
    facts = await derive_targeted(need, org, received_on)
    return _Checked(need, pledge, donor, bool(anonymous), checked_items, facts)


async def record_donation(
    *,
    actor: Actor | None,
    recipient_id: int,
    amount_fen: int,
    received_on: date,
    need_id: int | None = None,
    pledge_id: int | None = None,
    donor_id: int | None = None,
    anonymous: bool | None = None,
    kind: str = "cash",
    payment_reference: str = "",
    valuation_basis: str = "",
    fair_value_evidence: str = "",
    items: Sequence[ItemSpec] = (),
    note: str = "",
    today: date | None = None,
    is_demo: bool = False,
    confirm: bool = False,
    historical: bool = False,
) -> Donation:
    """Record money the recipient has received (not yet confirmed, so not yet counted);
    ``confirm`` also confirms it in the same transaction (both or neither). ``historical`` is
    the national office's import (``import_historical_donation``), never the recipient's."""
    org = await get_recipient(recipient_id)
    if historical:
        require(actor, "donation.import_historical", EVERYWHERE)
    else:
        await require_recipient(actor, "donation.record", org)
    today = today or today_cn()
    payment_reference = (payment_reference or "").strip()
    checked = await _check_donation_input(
        org=org,
        need_id=need_id,
        pledge_id=pledge_id,
        donor_id=donor_id,
        anonymous=anonymous,
        amount_fen=amount_fen,
        kind=kind,
        received_on=received_on,
        payment_reference=payment_reference,
        valuation_basis=valuation_basis or "",
        fair_value_evidence=(fair_value_evidence or "").strip(),
        items=items,
        today=today,
        historical=historical,
    )
    async with money_change(actor, writes_ledger=False) as change:
        donation = await Donation.create(
            need_id=checked.need.id,
            pledge_id=checked.pledge.id if checked.pledge else None,
            recipient_id=org.id,
            donor_id=checked.donor.id,
            anonymous=checked.anonymous,
            kind=kind,
            amount_fen=amount_fen,
            valuation_basis=valuation_basis or "",
            fair_value_evidence=(fair_value_evidence or "").strip(),
            received_on=received_on,
            payment_reference=payment_reference,
            note=(note or "").strip()[:2000],
            state="recorded",
            targeted=checked.facts.targeted,
            targeted_basis=checked.facts.basis,
            channel_qualifies=checked.facts.channel_qualifies,
            target_area_text=checked.facts.area_text[:255],
            recorded_by_id=actor.user_id if actor else None,
            is_demo=is_demo,
            historical=historical,
        )
        for item in checked.items:
            await DonationItem.create(
                donation_id=donation.id,
                name=item.name,
                quantity=item.quantity,
                unit=item.unit,
                unit_value_fen=item.unit_value_fen,
            )
        await change.audit(
            action="donation.import_historical" if historical else "donation.record",
            object_type="donation",
            object_id=donation.id,
            after=audit.snapshot(donation, DONATION_AUDIT_FIELDS),
        )
        if confirm:
            donation = await confirm_donation(actor=actor, donation_id=donation.id)
    return donation


async def import_historical_donation(
    *,
    actor: Actor | None,
    recipient_id: int,
    amount_fen: int,
    received_on: date,
    note: str,
    need_id: int | None = None,
    pledge_id: int | None = None,
    donor_id: int | None = None,
    anonymous: bool | None = None,
    kind: str = "cash",
    payment_reference: str = "",
    valuation_basis: str = "",
    fair_value_evidence: str = "",
    items: Sequence[ItemSpec] = (),
    today: date | None = None,
    is_demo: bool = False,
) -> Donation:
    """The historical-records import (docs/domain.md §3.6): the national office enters, recorded and
    confirmed at once, money received before the platform knew of the need or the pledge (paper
    ledgers of earlier years). The one way such a date is accepted, so it is explicit: only the
    national office, a note saying where the record comes from, and the record and its ledger
    entry marked ``historical``."""
    require(actor, "donation.import_historical", EVERYWHERE)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            _("历史记录导入须说明记录来源（如纸质台账、原始凭证）。"), field="note", code="required"
        )
    return await record_donation(
        actor=actor,
        recipient_id=recipient_id,
        amount_fen=amount_fen,
        received_on=received_on,
        need_id=need_id,
        pledge_id=pledge_id,
        donor_id=donor_id,
        anonymous=anonymous,
        kind=kind,
        payment_reference=payment_reference,
        valuation_basis=valuation_basis,
        fair_value_evidence=fair_value_evidence,
        items=items,
        note=note,
        today=today,
        confirm=True,
        historical=True,
        is_demo=is_demo,
    )


async def update_donation(
    *,
    actor: Actor | None,
    donation_id: int,
    changes: dict[str, Any],
    today: date | None = None,
) -> Donation:
    """Correct a recorded, not yet confirmed donation. Confirmed donations are locked."""
    allowed = {
        "amount_fen",
        "received_on",
        "payment_reference",
        "note",
        "kind",
        "valuation_basis",
        "fair_value_evidence",
        "anonymous",
    }
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(_("不能修改此字段：%(field)s", field=unknown[0]), field=unknown[0])
    today = today or today_cn()
    async with money_change(actor, writes_ledger=False) as change:
        donation = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=donation.recipient_id)
        await require_recipient(actor, DONATION_MACHINE.permission("edit"), org)
        DONATION_MACHINE.check(donation.state, "edit")
        before = audit.snapshot(donation, DONATION_AUDIT_FIELDS)
        merged = {field: getattr(donation, field) for field in allowed} | changes
        items = [
            ItemSpec(i.name, i.quantity, i.unit, i.unit_value_fen)
            for i in await DonationItem.filter(donation_id=donation.id)
        ]
        if merged["kind"] == "cash":
            items = []
        checked = await _check_donation_input(
            org=org,
            need_id=donation.need_id,
            pledge_id=donation.pledge_id,
            donor_id=donation.donor_id,
            anonymous=bool(merged["anonymous"]),
            amount_fen=merged["amount_fen"],
            kind=merged["kind"],
            received_on=merged["received_on"],
            payment_reference=(merged["payment_reference"] or "").strip(),
            valuation_basis=merged["valuation_basis"] or "",
            fair_value_evidence=(merged["fair_value_evidence"] or "").strip(),
            items=items,
            today=today,
            historical=donation.historical,
        )
        for field in allowed:
            setattr(donation, field, merged[field])
        donation.targeted = checked.facts.targeted
        donation.targeted_basis = checked.facts.basis
        donation.channel_qualifies = checked.facts.channel_qualifies
        await donation.save()
        await change.audit(
            action="donation.edit",
            object_type="donation",
            object_id=donation.id,
            before=before,
            after=audit.snapshot(donation, DONATION_AUDIT_FIELDS),
        )
    return donation


async def cancel_donation(*, actor: Actor | None, donation_id: int, reason: str = "") -> Donation:
    """Discard a recorded donation entered in error (it was never counted)."""
    async with money_change(actor, writes_ledger=False) as change:
        donation = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=donation.recipient_id)
        await require_recipient(actor, DONATION_MACHINE.permission("cancel"), org)
        donation.state = DONATION_MACHINE.check(donation.state, "cancel").to
        donation.note = ((donation.note + "\n") if donation.note else "") + (reason or "").strip()[
            :500
        ]
        await donation.save(update_fields=["state", "note"])
        await change.audit(
            action="donation.cancel",
            object_type="donation",
            object_id=donation.id,
            before={"state": "recorded"},
            after={"state": "cancelled", "reason": reason},
        )
    return donation


def _donor_split(donation: Donation, donor: Participant) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {"donor_id": donor.id, "donor_name": donor.name}
    return ({}, fields) if donation.anonymous else (fields, {})


def confirmed_payload(donation: Donation) -> dict[str, Any]:
    """The public facts of a confirmed donation as its ledger entry states them; ``fupin ledger
    verify`` compares the stored row with them, so an altered row is caught."""
    return {
        "need": donation.need_id,
        "pledge": donation.pledge_id,
        "recipient": donation.recipient_id,
        "amount_fen": donation.amount_fen,
        "kind": donation.kind,
        "received_on": donation.received_on.isoformat(),
        "targeted": donation.targeted,
        "targeted_basis": donation.targeted_basis,
        "anonymous": donation.anonymous,
        # Only when set, so the entries written before the flag existed still verify.
        **({"historical": True} if donation.historical else {}),
    }


#: Fields kept private in every donation entry (a bank reference may identify a person).
ALWAYS_PRIVATE = ("payment_reference",)


async def confirm_donation(*, actor: Actor | None, donation_id: int) -> Donation:
    """Confirm a recorded donation: it is counted, locked and entered in the public ledger."""
    async with money_change(actor) as change:
        donation = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=donation.recipient_id)
        if donation.historical:
            require(actor, "donation.import_historical", EVERYWHERE)
        else:
            await require_recipient(actor, DONATION_MACHINE.permission("confirm"), org)
        confirmed = DONATION_MACHINE.check(donation.state, "confirm").to
        if donation.pledge_id is not None:
            pledge = await change.lock_pledge(donation.pledge_id)
            await pledges.apply_payment(
                change,
                pledge,
                donation.amount_fen,
                donation_id=donation.id,
                received_on=donation.received_on,
            )
        else:
            await change.reserve(
                donation.need_id, donation.amount_fen, states=DONATABLE_NEED_STATES
            )
        await change.add_received(donation.need_id, donation.amount_fen)
        donation.state = confirmed
        donation.confirmed_by_id = actor.user_id if actor else None
        donation.confirmed_at = clock.now()
        donor = await Participant.get(id=donation.donor_id)
        public, private = _donor_split(donation, donor)
        await donation.save(update_fields=["state", "confirmed_by_id", "confirmed_at"])
        await change.ledger(
            kind="donation_confirmed",
            subject=f"donation:{donation.id}",
            payload={**confirmed_payload(donation), **public},
            private={**private, "payment_reference": donation.payment_reference},
            seq_into=donation,
        )
        await change.audit(
            action="donation.confirm",
            object_type="donation",
            object_id=donation.id,
            before={"state": "recorded"},
            after=audit.snapshot(donation, DONATION_AUDIT_FIELDS),
        )
        if not donation.historical:  # a record of past years' giving is nobody's news
            need = await Need.get(id=donation.need_id)
            await notify_participant(
                donation.donor_id,
                "donation_confirmed",
                params={
                    "amount": format_yuan(donation.amount_fen),
                    "need_title": need.title,
                    "recipient": org.name,
                },
                link=f"/donations/{donation.id}",
            )
    return donation


async def reverse_donation(*, actor: Actor | None, donation_id: int, reason: str) -> Donation:
    """Correct a confirmed donation by a reversing entry (never an edit). Returns the reversal.
    The original's live receipt is voided in the same transaction."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput(_("请说明冲正原因（不超过 500 字）。"), field="reason", code="required")
    async with money_change(actor) as change:
        original = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=original.recipient_id)
        await require_recipient(actor, DONATION_MACHINE.permission("reverse"), org)
        facts = DonationFacts(
            is_reversal=original.reverses_id is not None,
            already_reversed=await Donation.exists(reverses_id=original.id),
        )
        DONATION_MACHINE.check(original.state, "reverse", facts)
        live_receipt = await change.lock_live_receipt(original.id)
        if original.pledge_id is not None:
            pledge = await change.lock_pledge(original.pledge_id)
            await pledges.apply_payment(
                change,
                pledge,
                -original.amount_fen,
                donation_id=original.id,
                received_on=original.received_on,
                reason=reason,
            )
        else:
            await change.release(original.need_id, original.amount_fen)
        await change.add_received(original.need_id, -original.amount_fen)
        reversal = await Donation.create(
            need_id=original.need_id,
            pledge_id=original.pledge_id,
            recipient_id=original.recipient_id,
            donor_id=original.donor_id,
            anonymous=original.anonymous,
            kind=original.kind,
            amount_fen=-original.amount_fen,
            valuation_basis=original.valuation_basis,
            received_on=today_cn(),
            payment_reference=original.payment_reference,
            note=reason,
            state="confirmed",
            reverses_id=original.id,
            targeted=original.targeted,
            targeted_basis=original.targeted_basis,
            channel_qualifies=original.channel_qualifies,
            target_area_text=original.target_area_text,
            recorded_by_id=actor.user_id if actor else None,
            confirmed_by_id=actor.user_id if actor else None,
            confirmed_at=clock.now(),
        )
        if live_receipt is not None:
            await receipts.void(change, live_receipt, _("捐赠已冲正：%(reason)s", reason=reason))
        donor = await Participant.get(id=original.donor_id)
        public, private = _donor_split(original, donor)
        # Free text written by an officer may name the donor: private when the gift is anonymous.
        (private if original.anonymous else public)["reason"] = reason
        await change.ledger(
            kind="donation_reversed",
            subject=f"donation:{reversal.id}",
            payload={**reversal_payload(reversal), **public},
            private=private,
            seq_into=reversal,
        )
        await change.audit(
            action="donation.reverse",
            object_type="donation",
            object_id=original.id,
            after={"reversal_id": reversal.id, "amount_fen": reversal.amount_fen, "reason": reason},
        )
    return reversal


def reversal_payload(reversal: Donation) -> dict[str, Any]:
    return {
        "reverses": reversal.reverses_id,
        "need": reversal.need_id,
        "pledge": reversal.pledge_id,
        "recipient": reversal.recipient_id,
        "amount_fen": reversal.amount_fen,
        "anonymous": reversal.anonymous,
    }


# --- presentation -------------------------------------------------------------------------------


async def donation_view(donation: Donation, actor: Actor | None) -> View:
    """A donation as a reader allowed to see it sees it: its items, its receipts, the entry that
    reversed it, and the donor unless anonymous to this reader (its recipient's officers know)."""
    donor = await Participant.get(id=donation.donor_id)
    need = await Need.get(id=donation.need_id)
    reveal = may_see_donor(actor, donation.donor_id, need) or await is_recipient_officer(
        actor, donation
    )
    reversal = await Donation.get_or_none(reverses_id=donation.id)
    return seen(
        donation,
        donor,
        reveal=reveal,
        items=await DonationItem.filter(donation_id=donation.id),
        receipts=await Receipt.filter(donation_id=donation.id).order_by("id"),
        reversed_by=reversal.id if reversal else None,
    )
