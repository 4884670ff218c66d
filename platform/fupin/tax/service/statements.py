"""The annual donation statement of a donor (docs/domain.md §3.8; docs/rules.md §3), read from the database.

Per donor and tax year: every confirmed donation received in the year that has a live platform
receipt, with the platform receipt number and the official 票据代码 / 号码 / 校验码 (a receipt
without official numbers is labelled "not a tax voucher", docs/rules.md §3), the date received, the
recipient and its deduction qualification on that date, targeted or general, cash or in-kind.
Reversed donations are left out (their receipt is voided with the reversal); confirmed donations
without a live receipt are listed apart, as not yet receipted.

The same lines feed the working paper (``tax.service.papers``); this module holds no tax figure
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.accounts.models import Participant
from fupin.core.policy import Actor
from fupin.i18n import N_
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, DonationItem, Receipt, RecipientOrg
from fupin.money.rules.channels import Decision, qualifies_for_deduction
from fupin.money.service import donations as donation_rules
from fupin.needs.models import Need
from fupin.tax.rules.paper import DonationLine
from fupin.tax.service.donors import check_year, donor_identifier, participant_for_tax

NOT_A_TAX_VOUCHER = N_("非税前扣除凭证（尚未登记正式票据号码）")
NOT_A_VOUCHER_UNQUALIFIED = N_("否（受赠单位当年不具备公益性捐赠税前扣除资格）")


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    """One receipted donation as the statement lists it (docs/rules.md §3 table of fields)."""

    donation_id: int
    received_on: date
    amount_fen: int
    kind: str  # cash | in_kind
    valuation_basis: str
    items: tuple[dict[str, Any], ...]
    receipt_id: int
    receipt_number: str  # platform register number <issuer>-<year>-<serial>
    receipt_issued_on: date
    official_code: str
    official_number: str
    official_check_code: str
    recipient_id: int
    recipient_name: str
    recipient_kind: str
    recipient_uscc: str
    qualification: Decision
    targeted: bool
    targeted_basis: str
    area_text: str  # the target area named on the receipt
    need_id: int
    need_title: str
    county_code: str
    ledger_seq: int | None
    ledger_hash: str

    @property
    def has_official_numbers(self) -> bool:
        """The county finance office's 票据代码/号码/校验码 are entered."""
        return bool(self.official_code and self.official_number and self.official_check_code)

    @property
    def is_tax_voucher(self) -> bool:
        """A pre-tax deduction voucher: official numbers AND a recipient qualified for that year
        (of a kind that can qualify at all). A gift to an unqualified recipient is booked but
        never deducted, so its receipt is no voucher whatever numbers it carries."""
        return self.has_official_numbers and self.qualifies

    @property
    def qualifies(self) -> bool:
        return self.qualification.ok

    @property
    def group(self) -> str:
        """targeted | general | non_qualifying (the statement's sections)."""
        if not self.qualifies:
            return "non_qualifying"
        return "targeted" if self.targeted else "general"

    def as_donation_line(self) -> DonationLine:
        return DonationLine(
            donation_id=self.donation_id,
            receipt_number=self.receipt_number,
            donated_on=self.received_on,
            amount_fen=self.amount_fen,
            targeted=self.targeted and self.qualifies,
            qualifying=self.qualifies,
        )


@dataclass(frozen=True, kw_only=True)
class UnreceiptedLine:
    donation_id: int
    received_on: date
    amount_fen: int
    kind: str
    recipient_name: str
    need_title: str


GROUPS = ("targeted", "general", "non_qualifying")
GROUP_LABELS = {
    "targeted": N_("目标脱贫地区扶贫捐赠（定向扶贫）"),
    "general": N_("一般公益性捐赠"),
    "non_qualifying": N_("非合格渠道捐赠（不得税前扣除）"),
}
KIND_LABELS = {"cash": N_("现金"), "in_kind": N_("实物")}


@dataclass(frozen=True, kw_only=True)
class Statement:
    participant_id: int
    participant_name: str
    participant_kind: str
    identifier: str  # USCC, or the masked ID number of an individual
    year: int
    lines: tuple[StatementLine, ...]
    unreceipted: tuple[UnreceiptedLine, ...]

    def total(self, *, group: str | None = None, kind: str | None = None) -> int:
        return sum(
            line.amount_fen
            for line in self.lines
            if (group is None or line.group == group) and (kind is None or line.kind == kind)
        )

    def lines_in(self, group: str) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if line.group == group)

    @property
    def total_fen(self) -> int:
        return self.total()

    @property
    def voucher_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.is_tax_voucher)

    @property
    def pending_voucher_fen(self) -> int:
        """Waiting for the official numbers (a voucher once they are entered, if qualifying)."""
        return sum(line.amount_fen for line in self.lines if not line.has_official_numbers)

    @property
    def unreceipted_fen(self) -> int:
        return sum(line.amount_fen for line in self.unreceipted)


async def _reversed_ids(donor_id: int) -> set[int]:
    rows = await Donation.filter(donor_id=donor_id, reverses_id__not_isnull=True).values_list(
        "reverses_id", flat=True
    )
    return {int(r) for r in rows if r is not None}


async def statement_lines(
    participant: Participant, *, first: date, last: date
) -> tuple[list[StatementLine], list[UnreceiptedLine]]:
    """Confirmed, unreversed donations of the donor received in [first, last]."""
    reversed_ids = await _reversed_ids(participant.id)
    rows = [
        d
        for d in await Donation.filter(
            donor_id=participant.id,
            state="confirmed",
            reverses_id__isnull=True,
            received_on__gte=first,
            received_on__lte=last,
        ).order_by("received_on", "id")
        if d.id not in reversed_ids
    ]
    if not rows:
        return [], []
    ids = [d.id for d in rows]
    receipts = {r.live_for_id: r for r in await Receipt.filter(live_for_id__in=ids, state="issued")}
    orgs = {o.id: o for o in await RecipientOrg.filter(id__in={d.recipient_id for d in rows})}
    needs = {n.id: n for n in await Need.filter(id__in={d.need_id for d in rows})}
    hashes = dict(
        await LedgerEntry.filter(seq__in=[d.ledger_seq for d in rows if d.ledger_seq]).values_list(
            "seq", "hash"
        )
    )
    items: dict[int, list[dict[str, Any]]] = {}
    for item in await DonationItem.filter(donation_id__in=ids).order_by("id"):
        items.setdefault(item.donation_id, []).append(
            {
                "name": item.name,
                "quantity": item.quantity,
                "unit": item.unit,
                "unit_value_fen": item.unit_value_fen,
            }
        )
    periods_cache: dict[int, list[Any]] = {}
    lines: list[StatementLine] = []
    unreceipted: list[UnreceiptedLine] = []
    for donation in rows:
        org = orgs[donation.recipient_id]
        need = needs[donation.need_id]
        receipt = receipts.get(donation.id)
        if receipt is None:
            unreceipted.append(
                UnreceiptedLine(
                    donation_id=donation.id,
                    received_on=donation.received_on,
                    amount_fen=donation.amount_fen,
                    kind=donation.kind,
                    recipient_name=org.name,
                    need_title=need.title,
                )
            )
            continue
        if org.id not in periods_cache:
            periods_cache[org.id] = await donation_rules.qualification_periods(org.id)
        qualification = qualifies_for_deduction(
            recipient_kind=org.kind,
            qualification_periods=periods_cache[org.id],
            donated_on=donation.received_on,
        )
        # Targeted (docs/rules.md §1.2): the flag the money service derived when the donation was
        # recorded, unless the channel decision has changed since (a qualification listing
        # entered later): then re-derived by the same function with today's data.
        if qualification.ok == donation.channel_qualifies:
            targeted, basis = donation.targeted, donation.targeted_basis
        else:
            facts = await donation_rules.derive_targeted(need, org, donation.received_on)
            targeted, basis = facts.targeted, facts.basis
        lines.append(
            StatementLine(
                donation_id=donation.id,
                received_on=donation.received_on,
                amount_fen=donation.amount_fen,
                kind=donation.kind,
                valuation_basis=donation.valuation_basis,
                items=tuple(items.get(donation.id, [])),
                receipt_id=receipt.id,
                receipt_number=receipt.number,
                receipt_issued_on=receipt.issued_on,
                official_code=donation.official_receipt_code,
                official_number=donation.official_receipt_number,
                official_check_code=donation.official_check_code,
                recipient_id=org.id,
                recipient_name=org.name,
                recipient_kind=org.kind,
                recipient_uscc=org.uscc or "",
                qualification=qualification,
                targeted=targeted and qualification.ok,
                targeted_basis=basis if targeted else "",
                area_text=receipt.area_text or donation.target_area_text,
                need_id=need.id,
                need_title=need.title,
                county_code=need.county_code,
                ledger_seq=donation.ledger_seq,
                ledger_hash=hashes.get(donation.ledger_seq, "") if donation.ledger_seq else "",
            )
        )
    return lines, unreceipted


async def build_statement(
    *,
    actor: Actor | None,
    participant_id: int,
    year: int | str,
    system: bool = False,
    today: date | None = None,
) -> Statement:
    """The annual statement of one donor (docs/domain.md §3.8)."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    tax_year = check_year(year, today=today)
    lines, unreceipted = await statement_lines(
        participant, first=date(tax_year, 1, 1), last=date(tax_year, 12, 31)
    )
    return Statement(
        participant_id=participant.id,
        participant_name=participant.name,
        participant_kind=participant.kind,
        identifier=donor_identifier(participant),
        year=tax_year,
        lines=tuple(lines),
        unreceipted=tuple(unreceipted),
    )
