"""The receipt register: issue, void, re-issue, print, and the official voucher's numbers
(docs/domain.md §3.6, docs/rules.md §3).

Each recipient organisation numbers its receipts per calendar year, ``<issuer code>-<year>-
<serial>``, gapless and unique under concurrency: the serial comes from a per-issuer-year counter
row locked FOR UPDATE in the transaction that creates the receipt (a rolled-back issue rolls its
increment back, so no gap), and the unique (issuer, year, serial) constraint is the last line.
A void keeps its number and says why; a re-issue is a new number pointing to the voided one; a
donation has at most one live receipt (unique ``live_for``). Receipts are only for confirmed
donations, and an in-kind gift without proof of its fair value gets none (2020 No. 27 art. 13).

This register is the platform's acknowledgement, not the fiscal voucher: until the official
票据代码 / 票据号码 / 校验码 are entered (``enter_official_numbers``, on the donation, once the
recipient's finance system has issued the voucher), every view labels it "not a tax voucher".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tortoise.expressions import F

from fupin.accounts.models import Participant, User
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.core.policy import Actor, Scope, can, require
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from fupin.i18n import N_, _
from fupin.money.models import Donation, DonationItem, Receipt, RecipientOrg
from fupin.money.rules import receipt_numbers
from fupin.money.rules.receipt_numbers import amount_in_words
from fupin.money.rules.states import DONATION_MACHINE, RECEIPT_MACHINE, DonationFacts
from fupin.money.service import recipients
from fupin.money.service.unit import MoneyChange, money_change
from fupin.needs.models import Need
from fupin.notify.service.inbox import notify_participant

RECEIPT_TITLE = N_("公益事业捐赠收据（平台登记）")
RECEIPT_STATE_LABELS = {"issued": N_("有效"), "voided": N_("已作废")}
_OFFICIAL = re.compile(r"[0-9A-Za-z]{1,32}")

# --- numbering --------------------------------------------------------------------------------


def receipt_year(today: date) -> int:
    return today.year


# --- issuing ------------------------------------------------------------------------------------


def _payer_identifier(donor: Participant) -> str:
    """USCC for organisations, the masked ID number for individuals (never the full number)."""
    return donor.uscc or donor.id_number_masked or ""


async def _issue(
    change: MoneyChange, *, donation: Donation, reissue_of: Receipt | None, today: date
) -> Receipt:
    actor = change.actor
    org = await RecipientOrg.get(id=donation.recipient_id)
    if donation.state != "confirmed" or donation.reverses_id is not None:
        raise RuleViolation(
            _("只能为已确认的捐赠开具收据。"), code="not_confirmed", field="donation_id"
        )
    if await Donation.exists(reverses_id=donation.id):
        raise RuleViolation(
            _("这笔捐赠已冲正，不能开具收据。"), code="reversed", field="donation_id"
        )
    if donation.kind == "in_kind" and not donation.fair_value_evidence.strip():
        raise RuleViolation(
            _(
                "实物捐赠未提供公允价值证明，不得开具捐赠票据（财政部 税务总局 民政部公告2020年第27号）。"
            ),
            code="no_fair_value_evidence",
            field="fair_value_evidence",
        )
    # no lock needed: every issue of this donation's receipts holds the donation row
    live = await Receipt.filter(live_for_id=donation.id).first()
    if live is not None:
        raise RuleViolation(
            _("这笔捐赠已有有效收据 %(number)s；如需重开，请先作废。", number=live.number),
            code="receipt_exists",
        )
    if reissue_of is None:
        # A new receipt for a donation whose receipt was voided replaces it, however it was
        # asked for: the register says which number the new one stands for.
        reissue_of = (
            await Receipt.filter(donation_id=donation.id, state="voided")
            .exclude(id__in=await replaced_ids(donation.id))
            .order_by("-id")
            .first()
        )
    year = receipt_year(today)
    serial = await change.next_serial(org.id, year)
    number = receipt_numbers.format_receipt_number(org.code, year, serial)
    donor = await Participant.get(id=donation.donor_id)
    need = await Need.get(id=donation.need_id)
    items = [
        {
            "name": i.name,
            "quantity": i.quantity,
            "unit": i.unit,
            "unit_value_fen": i.unit_value_fen,
            "amount_fen": i.quantity * i.unit_value_fen,
        }
        for i in await DonationItem.filter(donation_id=donation.id)
    ]
    remarks = []
    if donation.targeted:
        # 2019 No. 49 Q&A: the receipt must name the specific target poverty area.
        remarks.append(_("扶贫捐赠，目标脱贫地区：%(area)s", area=donation.target_area_text))
    if donation.kind == "in_kind":
        remarks.append(_("实物捐赠，按公允价值计价"))
    receipt = await Receipt.create(
        issuer_id=org.id,
        year=year,
        serial=serial,
        number=number,
        donation_id=donation.id,
        live_for_id=donation.id,
        state="issued",
        reissue_of_id=reissue_of.id if reissue_of else None,
        amount_fen=donation.amount_fen,
        payer_name=donor.name,
        payer_identifier=_payer_identifier(donor),
        project_code=f"NEED-{need.id:06d}",
        project_name=need.title[:160],
        area_text=donation.target_area_text,
        items=items,
        remarks="；".join(remarks),
        issued_on=today,
        issued_by_id=actor.user_id if actor else None,
        issued_by_label=await officer_name(actor.user_id if actor else None, org),
    )
    await change.ledger(
        kind="receipt_issued",
        subject=f"receipt:{receipt.id}",
        payload=issued_payload(receipt),
        seq_into=receipt,
    )
    await change.audit(
        action="receipt.reissue" if reissue_of else "receipt.issue",
        object_type="receipt",
        object_id=receipt.id,
        after={"number": number, "donation_id": donation.id, "amount_fen": receipt.amount_fen},
    )
    await notify_participant(
        donation.donor_id,
        "receipt_issued",
        params={"number": number, "amount": format_yuan(receipt.amount_fen), "recipient": org.name},
        link=f"/receipts/{receipt.id}",
    )
    return receipt


async def replaced_ids(donation_id: int) -> list[int]:
    """The ids of this donation's receipts that a later receipt already replaces."""
    rows = await Receipt.filter(donation_id=donation_id, reissue_of_id__isnull=False).values(
        "reissue_of_id"
    )
    return [int(row["reissue_of_id"]) for row in rows]


async def officer_name(user_id: int | None, org: RecipientOrg) -> str:
    """Who issued a receipt, as printed on it: the officer's display name, never a login name
    (a login name is a credential's half); the issuing organisation when no name is known."""
    user = await User.get_or_none(id=user_id) if user_id else None
    if user is not None and user.display_name.strip():
        return user.display_name.strip()[:64]
    return org.name[:64]


def issued_payload(receipt: Receipt) -> dict[str, Any]:
    """Public facts of a receipt as its ledger entry states them (checked by ``ledger verify``)."""
    return {
        "number": receipt.number,
        "issuer": receipt.issuer_id,
        "year": receipt.year,
        "serial": receipt.serial,
        "donation": receipt.donation_id,
        "amount_fen": receipt.amount_fen,
        "reissue_of": receipt.reissue_of_id,
    }


async def issue_receipt(
    *, actor: Actor | None, donation_id: int, today: date | None = None
) -> Receipt:
    """Issue the next number of the recipient's register for a confirmed donation."""
    async with money_change(actor) as change:
        donation = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=donation.recipient_id)
        await recipients.require_recipient(actor, "receipt.issue", org)
        return await _issue(change, donation=donation, reissue_of=None, today=today or today_cn())


async def void(change: MoneyChange, receipt: Receipt, reason: str) -> None:
    """Void a receipt locked in ``change`` (also a reversal voids the original's receipt)."""
    actor = change.actor
    reason = reason[:500]
    receipt.state = RECEIPT_MACHINE.check(receipt.state, "void").to
    receipt.void_reason = reason
    receipt.voided_at = clock.now()
    receipt.voided_by_id = actor.user_id if actor else None
    receipt.live_for_id = None
    await receipt.save(
        update_fields=["state", "void_reason", "voided_at", "voided_by_id", "live_for_id"]
    )
    # The reason may name the payer: kept private when the donation is anonymous.
    anonymous = await Donation.filter(id=receipt.donation_id, anonymous=True).exists()
    await change.ledger(
        kind="receipt_voided",
        subject=f"receipt:{receipt.id}",
        payload={"number": receipt.number, "donation": receipt.donation_id}
        | ({} if anonymous else {"reason": reason}),
        private={"reason": reason} if anonymous else {},
    )
    await change.audit(
        action="receipt.void",
        object_type="receipt",
        object_id=receipt.id,
        before={"state": "issued"},
        after={"state": "voided", "reason": reason},
    )


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput(_("请说明作废原因（不超过 500 字）。"), field="reason", code="required")
    return reason


async def void_receipt(*, actor: Actor | None, receipt_id: int, reason: str) -> Receipt:
    """Void a receipt: it keeps its number (the register stays gapless) and records why."""
    reason = _check_reason(reason)
    async with money_change(actor) as change:
        receipt = await change.lock_receipt(receipt_id)
        org = await RecipientOrg.get(id=receipt.issuer_id)
        await recipients.require_recipient(actor, RECEIPT_MACHINE.permission("void"), org)
        RECEIPT_MACHINE.check(receipt.state, "void")
        await void(change, receipt, reason)
    return receipt


async def reissue_receipt(
    *, actor: Actor | None, receipt_id: int, reason: str = "", today: date | None = None
) -> Receipt:
    """A new number for the same donation, pointing to the voided receipt it replaces. A live
    receipt is voided first (``reason`` required then)."""
    found = await Receipt.get_or_none(id=receipt_id)
    if found is None:
        raise NotFound(_("收据不存在。"), field="receipt_id")
    async with money_change(actor) as change:
        donation = await change.lock_donation(found.donation_id)  # the donation first: lock order
        old = await change.lock_receipt(receipt_id)
        org = await RecipientOrg.get(id=old.issuer_id)
        await recipients.require_recipient(actor, "receipt.issue", org)
        today = today or today_cn()
        await change.lock_receipt_counter(org.id, receipt_year(today))
        if old.state == "issued":
            await void(change, old, _check_reason(reason))
        if await Receipt.exists(reissue_of_id=old.id):
            raise RuleViolation(_("这张作废收据已经重开过了。"), code="already_reissued")
        return await _issue(change, donation=donation, reissue_of=old, today=today)


async def can_view_receipt(actor: Actor | None, receipt: Receipt) -> bool:
    donation = await Donation.get(id=receipt.donation_id)
    return await recipients.can_view_donation(actor, donation)


async def get_receipt_for(actor: Actor | None, receipt_id: int) -> Receipt:
    receipt = await Receipt.get_or_none(id=receipt_id)
    if receipt is None:
        raise NotFound(_("收据不存在。"), field="receipt_id")
    if actor is None:
        require(actor, "donation.view")
    if not await can_view_receipt(actor, receipt):
        raise PermissionDenied(_("您没有权限查看这张收据。"))
    return receipt


async def may_print(actor: Actor | None, receipt: Receipt) -> bool:
    """Whether the actor prints copies of this receipt: the donor's members or the recipient's
    officers. Every print is counted and the second is a 副本, so a reader who merely may see
    the receipt (an office, an auditor) must not spend the donor's original."""
    donation = await Donation.get(id=receipt.donation_id)
    if can(actor, "receipt.print", Scope(participant_id=donation.donor_id)):
        return True
    org = await RecipientOrg.get(id=receipt.issuer_id)
    return can(actor, "receipt.print", await recipients.org_scope(org))


async def record_print(*, actor: Actor | None, receipt_id: int) -> tuple[Receipt, int]:
    """Count a printed copy; every copy after the first is marked as a duplicate (docs/domain.md §3.6)."""
    receipt = await get_receipt_for(actor, receipt_id)
    if not await may_print(actor, receipt):
        raise PermissionDenied(_("只有受赠单位和捐赠人可以打印收据。"))
    async with transaction():
        await Receipt.filter(id=receipt.id).update(
            print_count=F("print_count") + 1, last_printed_at=clock.now()
        )
        receipt = await Receipt.get(id=receipt.id)
        await audit.record(
            actor=actor,
            action="receipt.print",
            object_type="receipt",
            object_id=receipt.id,
            after={"copy": receipt.print_count},
        )
    return receipt, receipt.print_count


async def receipt_view(receipt: Receipt, *, copy_number: int | None = None) -> dict[str, Any]:
    """Everything the printable receipt shows (docs/rules.md §3 art. 6 fields) and its marks."""
    donation = await Donation.get(id=receipt.donation_id)
    issuer = await RecipientOrg.get(id=receipt.issuer_id)
    official = recipients.has_official_numbers(donation)
    duplicate = copy_number is not None and copy_number > 1
    replaced_by = await Receipt.get_or_none(reissue_of_id=receipt.id)
    reissue_of = (
        await Receipt.get_or_none(id=receipt.reissue_of_id) if receipt.reissue_of_id else None
    )
    live = await Receipt.get_or_none(live_for_id=donation.id) if receipt.state == "voided" else None
    reversed_ = await Donation.exists(reverses_id=donation.id)
    return {
        "receipt": receipt,
        "donation": donation,
        "issuer": issuer,
        # receipts written before names were printed hold the login name: show the person
        "issued_by_name": await officer_name(receipt.issued_by_id, issuer)
        if receipt.issued_by_id
        else receipt.issued_by_label,
        # what a voided receipt's page may offer: its successor, or a re-issue that can succeed
        "live_receipt": live if live is not None and live.id != receipt.id else None,
        "donation_reversed": reversed_,
        "can_reissue": receipt.state == "voided"
        and replaced_by is None
        and live is None
        and not reversed_
        and donation.state == "confirmed"
        and donation.reverses_id is None,
        "title": _(RECEIPT_TITLE),
        "amount_words": amount_in_words(receipt.amount_fen),
        "labels": receipt_numbers.receipt_status_label(
            has_official_numbers=official,
            voided=receipt.state == "voided",
            duplicate_copy=duplicate,
        ),
        "official": official,
        "duplicate": duplicate,
        "copy_number": copy_number,
        "replaced_by": replaced_by,
        "reissue_of": reissue_of,
    }


async def with_donation(receipt: Receipt) -> Receipt:
    """The receipt with the donation it acknowledges fetched (its official numbers are there)."""
    await receipt.fetch_related("donation")
    return receipt


# --- the official voucher's numbers -------------------------------------------------------------


async def enter_official_numbers(
    *,
    actor: Actor | None,
    donation_id: int,
    receipt_code: str,
    receipt_number: str,
    check_code: str,
) -> Donation:
    """Attach the official 公益事业捐赠票据 code, number and check code once the recipient's
    finance system has issued it (docs/rules.md §3); from then on the receipt is no longer labelled
    "not a tax voucher". A correction overwrites them and is audited with before/after."""
    values = {
        "receipt_code": (receipt_code or "").strip(),
        "receipt_number": (receipt_number or "").strip(),
        "check_code": (check_code or "").strip(),
    }
    for field, value in values.items():
        if _OFFICIAL.fullmatch(value) is None:
            raise InvalidInput(_("请填写票据上的编码（字母或数字，不超过 32 位）。"), field=field)
    if len(values["receipt_code"]) > 20 or len(values["receipt_number"]) > 20:
        raise InvalidInput(_("票据代码和号码不超过 20 位。"), field="receipt_number")
    async with money_change(actor, writes_ledger=False) as change:
        donation = await change.lock_donation(donation_id)
        org = await RecipientOrg.get(id=donation.recipient_id)
        await recipients.require_recipient(
            actor, DONATION_MACHINE.permission("enter_official"), org
        )
        facts = DonationFacts(is_reversal=donation.reverses_id is not None)
        DONATION_MACHINE.check(donation.state, "enter_official", facts)
        before = {
            "official_receipt_code": donation.official_receipt_code,
            "official_receipt_number": donation.official_receipt_number,
            "official_check_code": donation.official_check_code,
        }
        donation.official_receipt_code = values["receipt_code"]
        donation.official_receipt_number = values["receipt_number"]
        donation.official_check_code = values["check_code"]
        donation.official_entered_at = clock.now()
        await donation.save(
            update_fields=[
                "official_receipt_code",
                "official_receipt_number",
                "official_check_code",
                "official_entered_at",
            ]
        )
        await change.audit(
            action="donation.official_numbers",
            object_type="donation",
            object_id=donation.id,
            before=before,
            after={
                "official_receipt_code": donation.official_receipt_code,
                "official_receipt_number": donation.official_receipt_number,
                "official_check_code": donation.official_check_code,
            },
        )
    return donation
