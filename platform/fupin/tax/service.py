"""Annual donation statements and deduction working papers from the database (BRIEF §3.8;
RULES.md §1–§3).

This module reads the donor's confirmed, receipted donations and feeds them into the pure rules
of ``tax_rules``; it holds no tax figure of its own.

*Statement* (per donor and tax year): every confirmed donation received in the year that has a
live platform receipt, with the platform receipt number and the official 票据代码 / 号码 / 校验码
(a receipt without official numbers is labelled "not a tax voucher", RULES.md §3), the date
received, the recipient and its deduction qualification on that date, targeted or general, cash
or in-kind. Reversed donations are left out (their receipt is voided with the reversal);
confirmed donations without a live receipt are listed apart, as not yet receipted.

*Working paper* (enterprises; RULES.md §1.4): only donations backed by the deductible voucher —
a platform receipt **with** the official numbers — enter the paper; the others are listed as
"pending official receipt, not included". The paper needs the annual total profit of every year
whose carry-forward can still reach the requested year: ``paper_years`` computes that run of years
(from the last year in which the carry-forward pool is provably empty). Earlier years back to the
first donation may be entered too (the paper then shows them). Every line carries its donation
ids and receipt numbers, and the reason and citation of the rule that applied.

*Individuals* (RULES.md §2): the 30 % helper on the taxable income the donor enters; no
carry-forward and no full deduction for targeted donations.

Profit input (decision, documented): the issue lists "a negative or non-numeric profit" as bad
input, but RULES.md §1.1 and the worked example (2021: −200 万元) require a **loss year** to be
enterable — a loss gives a cap of 0 while targeted donations are still deducted in full. So a
negative *profit* is accepted (and shown as a loss); non-numeric text, more than two decimals of a
yuan, and absurd magnitudes are refused with a message naming the field. An individual's
*taxable income* (应纳税所得额, before the donation) cannot be negative and is refused.

A *year outside the data*: tax years run from the first year the parameter table covers (2008,
EIT Law) to the current year; anything else is refused. A year inside that range with no
donation gives an empty statement, which is a true statement.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fupin.accounts.models import Participant
from fupin.core import exports
from fupin.core.clock import today_cn
from fupin.core.money import parse_yuan, plain_yuan
from fupin.core.policy import Actor, Scope, require
from fupin.errors import FieldError, InvalidInput, NotAuthenticated, NotFound
from fupin.i18n import N_, _
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, DonationItem, Receipt, RecipientOrg
from fupin.money.rules.channels import Decision, qualifies_for_deduction
from fupin.money.service import donations as donation_rules
from fupin.needs.models import Need
from fupin.tax.rules.deduction import (
    DonationLine,
    IndividualHelper,
    LineKind,
    PaperLine,
    WorkingPaper,
    YearPaper,
    enterprise_working_paper,
    individual_statement_helper,
)
from fupin.tax.rules.params import TAX_PARAMS, TaxParams

#: First tax year the parameter table covers (EIT Law art. 9, in force 2008-01-01).
MIN_TAX_YEAR = min(row.first_year for row in TAX_PARAMS.general_cap)
#: |profit| above ¥10 trillion is a typing error, not a company (and stays JSON-safe).

NOT_A_TAX_VOUCHER = N_("非税前扣除凭证（尚未登记正式票据号码）")


# --- input parsing --------------------------------------------------------------------------


def check_year(value: str | int | None, *, field: str = "year", today: date | None = None) -> int:
    """A tax year the data covers: from ``MIN_TAX_YEAR`` to the current year."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isdigit() and len(text) == 4 else None
    current = (today or today_cn()).year
    if not isinstance(value, int):
        raise InvalidInput(_("请填写四位数的纳税年度。"), field=field, code="not_a_year")
    if not MIN_TAX_YEAR <= value <= current:
        raise InvalidInput(
            _(
                "纳税年度 %(year)s 超出数据范围：只能选择 %(first)s 至 %(last)s 年。",
                year=value,
                first=MIN_TAX_YEAR,
                last=current,
            ),
            field=field,
            code="year_outside_data",
        )
    return value


def parse_profits(spec: str, *, field: str = "profits") -> dict[int, int]:
    """``"2019=1000万,2020=500万,2021=-200万"`` → {year: fen} (the CLI's --profits)."""
    result: dict[int, int] = {}
    for part in (p.strip() for p in (spec or "").replace("，", ",").split(";")):
        if not part:
            continue
        # Commas separate years unless they sit inside a number ("1,000,000"): split on ","
        # only before "YYYY=".
        for item in re.split(r",(?=\s*[0-9]{4}\s*=)", part):
            if "=" not in item:
                raise InvalidInput(
                    _("利润应写成“年度=金额”，如 2019=1000万：%(item)s", item=item.strip()),
                    field=field,
                    code="not_numeric",
                )
            year_text, amount = item.split("=", 1)
            year_text = year_text.strip()
            if not (year_text.isdigit() and len(year_text) == 4):
                raise InvalidInput(
                    _("“%(item)s”中的年度不是四位数字。", item=item.strip()),
                    field=field,
                    code="not_a_year",
                )
            year = int(year_text)
            if year in result:
                raise InvalidInput(
                    _("%(year)s 年的利润填写了两次。", year=year), field=field, code="duplicate"
                )
            result[year] = parse_yuan(amount, field=f"profit_{year}", allow_negative=True)
    if not result:
        raise InvalidInput(_("请填写各年度的利润总额。"), field=field, code="required")
    return result


# --- who may see -------------------------------------------------------------------------------


async def find_participant(ref: str | int) -> Participant:
    """By id or by USCC (the CLI's --participant ID_OR_USCC)."""
    participant: Participant | None = None
    text = str(ref).strip()
    if not text.isascii() or not text.isalnum() or len(text) > 18:
        raise NotFound(_("参与方不存在：%(ref)s", ref=text[:32]), field="participant")
    if text.isdigit() and len(text) <= 9:
        participant = await Participant.get_or_none(id=int(text))
    if participant is None and isinstance(ref, str):
        participant = await Participant.get_or_none(uscc=ref.strip().upper())
    if participant is None:
        raise NotFound(_("参与方不存在：%(ref)s", ref=str(ref)), field="participant")
    return participant


async def participant_for_tax(
    actor: Actor | None, participant_id: int, *, system: bool = False
) -> Participant:
    """A donor sees only its own tax papers; auditors see every donor's (policy ``tax.view``).

    The permission is checked before the participant is looked up, so another donor's id gives
    403 whether or not it exists. ``system`` is the CLI (whoever runs it has the database)."""
    if actor is None and not system:
        raise NotAuthenticated(_("请先登录。"))
    if actor is not None:
        require(actor, "tax.view", Scope(participant_id=participant_id))
    participant = await Participant.get_or_none(id=participant_id)
    if participant is None:
        raise NotFound(_("参与方不存在。"), field="participant")
    return participant


def is_individual(participant: Participant) -> bool:
    return participant.kind == "individual"


async def donation_years(
    *, actor: Actor | None, participant_id: int, system: bool = False
) -> tuple[Participant, list[int]]:
    """The donor and the tax years in which it has confirmed donations (newest first), plus
    the current year, for the year picker."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    days = await Donation.filter(
        donor_id=participant.id, state="confirmed", reverses_id__isnull=True
    ).values_list("received_on", flat=True)
    years = {day.year for day in days if day.year >= MIN_TAX_YEAR} | {today_cn().year}
    return participant, sorted(years, reverse=True)


# --- the statement ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    """One receipted donation as the statement lists it (RULES.md §3 table of fields)."""

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
    def is_tax_voucher(self) -> bool:
        return bool(self.official_code and self.official_number and self.official_check_code)

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
        return self.total_fen - self.voucher_fen

    @property
    def unreceipted_fen(self) -> int:
        return sum(line.amount_fen for line in self.unreceipted)


async def _reversed_ids(donor_id: int) -> set[int]:
    rows = await Donation.filter(donor_id=donor_id, reverses_id__not_isnull=True).values_list(
        "reverses_id", flat=True
    )
    return {int(r) for r in rows if r is not None}


async def _statement_lines(
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
        # Targeted (RULES.md §1.2): the flag the money service derived when the donation was
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


def _identifier(participant: Participant) -> str:
    return participant.uscc or participant.id_number_masked or ""


async def build_statement(
    *,
    actor: Actor | None,
    participant_id: int,
    year: int | str,
    system: bool = False,
    today: date | None = None,
) -> Statement:
    """The annual statement of one donor (BRIEF §3.8)."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    tax_year = check_year(year, today=today)
    lines, unreceipted = await _statement_lines(
        participant, first=date(tax_year, 1, 1), last=date(tax_year, 12, 31)
    )
    return Statement(
        participant_id=participant.id,
        participant_name=participant.name,
        participant_kind=participant.kind,
        identifier=_identifier(participant),
        year=tax_year,
        lines=tuple(lines),
        unreceipted=tuple(unreceipted),
    )


# --- the enterprise working paper ---------------------------------------------------------


def last_affected_year(line: DonationLine, params: TaxParams = TAX_PARAMS) -> int:
    """The last tax year a donation can change: its own year, or the end of its carry-forward,
    or the year its legacy look-back is applied (RULES.md §1.1–§1.2)."""
    year = line.donated_on.year
    if not line.qualifying:
        return year
    if line.targeted and params.targeted_window_row(line.donated_on) is not None:
        return year
    last = year + params.carry_forward_row(line.donated_on).years
    if line.targeted:
        lookback = params.legacy_lookback_row(line.donated_on)
        if lookback is not None:
            last = max(last, lookback.applied_in_year)
    return last


def required_start_year(
    lines: Sequence[DonationLine], year: int, params: TaxParams = TAX_PARAMS
) -> int:
    """The latest year ``s`` ≤ ``year`` such that no donation dated before ``s`` can still
    affect ``s`` or later: the carry-forward pool entering ``s`` is then empty whatever the
    profits were, so profits from ``s`` to ``year`` determine the paper exactly."""
    start = year
    # Bounded: ``start`` only moves down to an existing donation year.
    for _step in range(len(lines) + 1):
        reaching = [
            line.donated_on.year
            for line in lines
            if line.donated_on.year < start and last_affected_year(line, params) >= start
        ]
        if not reaching:
            return start
        start = min(reaching)
    return start


@dataclass(frozen=True, kw_only=True)
class PaperYears:
    year: int
    required: tuple[int, ...]  # profits needed for an exact paper
    optional: tuple[int, ...]  # earlier years with donations: may be entered to show them


@dataclass(frozen=True, kw_only=True)
class PaperResult:
    participant_id: int
    participant_name: str
    identifier: str
    year: int
    years: PaperYears
    paper: WorkingPaper
    #: every voucher-backed statement line that fed the paper, by donation id
    receipts: dict[int, StatementLine]
    #: receipted donations without the official numbers: not in the paper
    pending: tuple[StatementLine, ...]

    @property
    def pending_fen(self) -> int:
        return sum(line.amount_fen for line in self.pending)


async def _voucher_lines(
    participant: Participant, year: int
) -> tuple[list[StatementLine], list[StatementLine]]:
    lines, _unreceipted = await _statement_lines(
        participant, first=date(MIN_TAX_YEAR, 1, 1), last=date(year, 12, 31)
    )
    vouchers = [line for line in lines if line.is_tax_voucher]
    pending = [line for line in lines if not line.is_tax_voucher]
    return vouchers, pending


def _paper_years(lines: Sequence[StatementLine], year: int) -> PaperYears:
    donation_lines = [line.as_donation_line() for line in lines]
    start = required_start_year(donation_lines, year)
    first = min([line.received_on.year for line in lines] + [start])
    return PaperYears(
        year=year,
        required=tuple(range(start, year + 1)),
        optional=tuple(range(first, start)),
    )


async def paper_years(
    *, actor: Actor | None, participant_id: int, year: int | str, system: bool = False
) -> PaperYears:
    """Which years' profits the working paper for ``year`` needs (for the form)."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    tax_year = check_year(year)
    vouchers, _pending = await _voucher_lines(participant, tax_year)
    return _paper_years(vouchers, tax_year)


def check_profit_years(profit_fen_by_year: Mapping[int, int], years: PaperYears) -> list[int]:
    """The horizon: the entered years, which must be contiguous, end at the paper's year, and
    cover every required year. Errors name the field of each missing or stray year."""
    entered = sorted(profit_fen_by_year)
    errors: list[FieldError] = []
    for year in entered:
        if year > years.year or year < MIN_TAX_YEAR:
            errors.append(
                FieldError(
                    f"profit_{year}",
                    _(
                        "%(year)s 年超出本工作底稿的数据范围（%(first)s–%(last)s 年）。",
                        year=year,
                        first=MIN_TAX_YEAR,
                        last=years.year,
                    ),
                    "year_outside_data",
                )
            )
    for year in years.required:
        if year not in profit_fen_by_year:
            errors.append(
                FieldError(
                    f"profit_{year}",
                    _("请填写 %(year)s 年的利润总额（亏损填负数）。", year=year),
                    "required",
                )
            )
    if not errors and entered != list(range(entered[0], entered[-1] + 1)):
        missing = sorted(set(range(entered[0], entered[-1] + 1)) - set(entered))
        errors.append(
            FieldError(
                f"profit_{missing[0]}",
                _("各年度须连续填写：缺少 %(year)s 年。", year=missing[0]),
                "years_not_contiguous",
            )
        )
    if errors:
        raise InvalidInput(errors=errors, code=errors[0].code)
    return entered


async def build_working_paper(
    *,
    actor: Actor | None,
    participant_id: int,
    year: int | str,
    profit_fen_by_year: Mapping[int, int],
    system: bool = False,
    params: TaxParams = TAX_PARAMS,
) -> PaperResult:
    """The enterprise deduction working paper up to ``year`` (RULES.md §1.4)."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    if is_individual(participant):
        raise InvalidInput(
            _("个人捐赠者不适用企业所得税工作底稿，请使用个人 30% 扣除辅助计算。"),
            field="participant",
            code="individual",
        )
    tax_year = check_year(year)
    vouchers, pending = await _voucher_lines(participant, tax_year)
    years = _paper_years(vouchers, tax_year)
    horizon = check_profit_years(profit_fen_by_year, years)
    in_horizon = [line for line in vouchers if line.received_on.year >= horizon[0]]
    paper = enterprise_working_paper(
        profit_fen_by_year={y: profit_fen_by_year[y] for y in horizon},
        donations=[line.as_donation_line() for line in in_horizon],
        params=params,
    )
    return PaperResult(
        participant_id=participant.id,
        participant_name=participant.name,
        identifier=_identifier(participant),
        year=tax_year,
        years=years,
        paper=paper,
        receipts={line.donation_id: line for line in in_horizon},
        pending=tuple(line for line in pending if line.received_on.year >= horizon[0]),
    )


# --- individuals ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IndividualResult:
    participant_id: int
    participant_name: str
    identifier: str
    year: int
    helper: IndividualHelper
    receipts: dict[int, StatementLine]
    pending: tuple[StatementLine, ...] = field(default=())


async def build_individual_helper(
    *,
    actor: Actor | None,
    participant_id: int,
    year: int | str,
    taxable_income_fen: int,
    system: bool = False,
) -> IndividualResult:
    """The 30 % helper for an individual donor (RULES.md §2): only the year's donations."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    if not is_individual(participant):
        raise InvalidInput(
            _("30% 扣除辅助计算仅适用于个人捐赠者。"), field="participant", code="not_individual"
        )
    tax_year = check_year(year)
    if taxable_income_fen < 0:
        raise InvalidInput(_("应纳税所得额不能为负数。"), field="taxable_income", code="negative")
    lines, _unreceipted = await _statement_lines(
        participant, first=date(tax_year, 1, 1), last=date(tax_year, 12, 31)
    )
    vouchers = [line for line in lines if line.is_tax_voucher]
    helper = individual_statement_helper(
        tax_year=tax_year,
        taxable_income_fen=taxable_income_fen,
        donations=[line.as_donation_line() for line in vouchers],
    )
    return IndividualResult(
        participant_id=participant.id,
        participant_name=participant.name,
        identifier=_identifier(participant),
        year=tax_year,
        helper=helper,
        receipts={line.donation_id: line for line in vouchers},
        pending=tuple(line for line in lines if not line.is_tax_voucher),
    )


# --- presentation: the RULES.md §1.4 table, dicts, CSV and XLSX -----------------------------


def brought_forward_by_origin(paper: YearPaper) -> dict[int, int]:
    used: dict[int, int] = {}
    for line in paper.deductions:
        if line.kind is LineKind.BROUGHT_FORWARD and line.origin_year is not None:
            used[line.origin_year] = used.get(line.origin_year, 0) + line.amount_fen
    return dict(sorted(used.items()))


def expired_by_origin(paper: YearPaper) -> dict[int, int]:
    lost: dict[int, int] = {}
    for line in paper.expired:
        origin = line.origin_year if line.origin_year is not None else paper.year
        lost[origin] = lost.get(origin, 0) + line.amount_fen
    return dict(sorted(lost.items()))


def booked_split(paper: YearPaper) -> dict[str, int]:
    """G (general, incl. targeted treated as general), T (targeted in full), N (non-qualifying)."""
    split = {"general_fen": 0, "targeted_fen": 0, "non_qualifying_fen": 0}
    for line in paper.booked:
        if line.reason.code == "booked_targeted_full":
            split["targeted_fen"] += line.amount_fen
        elif line.reason.code == "booked_non_qualifying":
            split["non_qualifying_fen"] += line.amount_fen
        else:
            split["general_fen"] += line.amount_fen
    return split


def year_summary(paper: YearPaper) -> dict[str, Any]:
    """One row of the RULES.md §1.4 table, in fen."""
    return {
        "year": paper.year,
        "profit_fen": paper.profit_fen,
        **booked_split(paper),
        "cap_fen": paper.cap_fen,
        "brought_forward_used": {str(k): v for k, v in brought_forward_by_origin(paper).items()},
        "brought_forward_used_fen": paper.brought_forward_used_fen,
        "targeted_deducted_fen": paper.targeted_deducted_fen,
        "legacy_targeted_deducted_fen": paper.legacy_targeted_deducted_fen,
        "current_general_deducted_fen": paper.current_general_deducted_fen,
        "carried_forward_fen": paper.carried_forward_fen,
        "expired": {str(k): v for k, v in expired_by_origin(paper).items()},
        "expired_fen": paper.expired_fen,
        "deducted_fen": paper.deducted_fen,
        "booked_fen": paper.booked_fen,
        "adjustment_fen": paper.adjustment_fen,
        "opening_balance_fen": paper.opening_balance_fen,
        "closing_balance_fen": paper.closing_balance_fen,
    }


def line_dict(line: PaperLine, receipts: Mapping[int, StatementLine]) -> dict[str, Any]:
    return {
        "kind": line.kind.value,
        "amount_fen": line.amount_fen,
        "origin_year": line.origin_year,
        "last_usable_year": line.last_usable_year,
        "reason_code": line.reason.code,
        "reason": line.reason.message,
        "citation": line.reason.citation,
        "sources": [
            {
                "donation_id": share.donation_id,
                "receipt_number": share.receipt_number,
                "official_receipt": _official(receipts.get(int(share.donation_id))),
                "received_on": share.donated_on.isoformat(),
                "amount_fen": share.amount_fen,
            }
            for share in line.sources
        ],
    }


def _official(line: StatementLine | None) -> str:
    if line is None or not line.is_tax_voucher:
        return ""
    return f"{line.official_code}/{line.official_number}/{line.official_check_code}"


def statement_line_dict(line: StatementLine) -> dict[str, Any]:
    return {
        "donation_id": line.donation_id,
        "received_on": line.received_on.isoformat(),
        "amount_fen": line.amount_fen,
        "kind": line.kind,
        "valuation_basis": line.valuation_basis,
        "items": list(line.items),
        "receipt_number": line.receipt_number,
        "receipt_issued_on": line.receipt_issued_on.isoformat(),
        "official_receipt_code": line.official_code,
        "official_receipt_number": line.official_number,
        "official_check_code": line.official_check_code,
        "is_tax_voucher": line.is_tax_voucher,
        "recipient": {
            "id": line.recipient_id,
            "name": line.recipient_name,
            "kind": line.recipient_kind,
            "uscc": line.recipient_uscc,
            "qualifies": line.qualifies,
            "qualification_reason": line.qualification.reason.message,
        },
        "group": line.group,
        "targeted": line.targeted,
        "targeted_basis": line.targeted_basis,
        "area_text": line.area_text,
        "need_id": line.need_id,
        "need_title": line.need_title,
        "county_code": line.county_code,
        "ledger_seq": line.ledger_seq,
        "ledger_hash": line.ledger_hash,
    }


def statement_dict(statement: Statement) -> dict[str, Any]:
    totals = {
        f"{group}_{kind}_fen": statement.total(group=group, kind=kind)
        for group in GROUPS
        for kind in ("cash", "in_kind")
    }
    return {
        "participant": {
            "id": statement.participant_id,
            "name": statement.participant_name,
            "kind": statement.participant_kind,
            "identifier": statement.identifier,
        },
        "year": statement.year,
        "lines": [statement_line_dict(line) for line in statement.lines],
        "unreceipted": [
            {
                "donation_id": u.donation_id,
                "received_on": u.received_on.isoformat(),
                "amount_fen": u.amount_fen,
                "kind": u.kind,
                "recipient": u.recipient_name,
                "need_title": u.need_title,
            }
            for u in statement.unreceipted
        ],
        "totals": {
            "total_fen": statement.total_fen,
            "voucher_fen": statement.voucher_fen,
            "pending_voucher_fen": statement.pending_voucher_fen,
            "unreceipted_fen": statement.unreceipted_fen,
            **totals,
        },
    }


def paper_dict(result: PaperResult) -> dict[str, Any]:
    paper = result.paper
    return {
        "participant": {
            "id": result.participant_id,
            "name": result.participant_name,
            "identifier": result.identifier,
        },
        "year": result.year,
        "required_years": list(result.years.required),
        "optional_years": list(result.years.optional),
        "years": [
            {**year_summary(y), "lines": [line_dict(line, result.receipts) for line in y.lines()]}
            for y in paper.years
        ],
        "totals": {
            "booked_fen": paper.total_booked_fen,
            "deducted_fen": paper.total_deducted_fen,
            "expired_fen": paper.total_expired_fen,
            "non_deductible_fen": paper.total_non_deductible_fen,
            "still_carried_fen": paper.still_carried_fen,
        },
        "pending_official_receipt": [statement_line_dict(line) for line in result.pending],
    }


def individual_dict(result: IndividualResult) -> dict[str, Any]:
    helper = result.helper
    lines = (*helper.booked, *helper.non_deductible, *helper.deductible, *helper.excess)
    return {
        "participant": {
            "id": result.participant_id,
            "name": result.participant_name,
            "identifier": result.identifier,
        },
        "year": result.year,
        "taxable_income_fen": helper.taxable_income_fen,
        "cap_fen": helper.cap_fen,
        "cap_reason": helper.cap_reason.message,
        "booked_fen": helper.booked_fen,
        "deductible_fen": helper.deductible_fen,
        "excess_fen": helper.excess_fen,
        "non_deductible_fen": helper.non_deductible_fen,
        "lines": [line_dict(line, result.receipts) for line in lines],
        "pending_official_receipt": [statement_line_dict(line) for line in result.pending],
    }


# Exports go through ``fupin.core.exports`` (typed cells, exact yuan, CSV-injection guard).
#: (columns, rows) as ``exports`` takes them: columns are (key, label, kind).
Table = tuple[list[exports.Column], list[dict[str, Any]]]


def _columns(*spec: tuple[str, str, str]) -> list[exports.Column]:
    return [(key, _(label), kind) for key, label, kind in spec]


def statement_rows(statement: Statement) -> Table:
    columns = _columns(
        ("donation_id", N_("捐赠编号"), "int"),
        ("received_on", N_("到账日期"), "date"),
        ("receipt_number", N_("平台票据号"), "text"),
        ("official_code", N_("票据代码"), "text"),
        ("official_number", N_("票据号码"), "text"),
        ("official_check_code", N_("校验码"), "text"),
        ("voucher", N_("税前扣除凭证"), "text"),
        ("recipient", N_("受赠单位"), "text"),
        ("recipient_uscc", N_("受赠单位统一社会信用代码"), "text"),
        ("qualification", N_("扣除资格"), "text"),
        ("group", N_("分类"), "text"),
        ("area", N_("目标脱贫地区"), "text"),
        ("kind", N_("现金/实物"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("need", N_("需求"), "text"),
        ("ledger_seq", N_("账本序号"), "int"),
        ("ledger_hash", N_("账本哈希"), "text"),
    )
    rows = [
        {
            "donation_id": line.donation_id,
            "received_on": line.received_on,
            "receipt_number": line.receipt_number,
            "official_code": line.official_code,
            "official_number": line.official_number,
            "official_check_code": line.official_check_code,
            "voucher": _("是") if line.is_tax_voucher else _(NOT_A_TAX_VOUCHER),
            "recipient": line.recipient_name,
            "recipient_uscc": line.recipient_uscc,
            "qualification": line.qualification.reason.message,
            "group": _(GROUP_LABELS[line.group]),
            "area": line.area_text if line.targeted else "",
            "kind": _(KIND_LABELS.get(line.kind, line.kind)),
            "amount": line.amount_fen,
            "amount_fen": line.amount_fen,
            "need": f"#{line.need_id} {line.need_title}",
            "ledger_seq": line.ledger_seq,
            "ledger_hash": line.ledger_hash,
        }
        for line in statement.lines
    ]
    return columns, rows


#: The columns of the RULES.md §1.4 table (yuan, exact).
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("year", N_("年度"), "int"),
    ("profit_fen", N_("利润总额"), "yuan"),
    ("general_fen", N_("一般捐赠G"), "yuan"),
    ("targeted_fen", N_("扶贫捐赠T"), "yuan"),
    ("cap_fen", N_("扣除限额"), "yuan"),
    ("brought_forward_used", N_("使用结转（来源年:金额）"), "text"),
    ("current_general_deducted_fen", N_("当年一般捐赠扣除"), "yuan"),
    ("carried_forward_fen", N_("新增结转"), "yuan"),
    ("expired", N_("过期（来源年:金额）"), "text"),
    ("deducted_fen", N_("扣除合计"), "yuan"),
    ("adjustment_fen", N_("纳税调整"), "yuan"),
)


def _by_origin_text(values: Mapping[str, int]) -> str:
    return "; ".join(f"{origin}:{plain_yuan(amount)}" for origin, amount in values.items())


def paper_summary_rows(result: PaperResult) -> Table:
    rows = []
    for paper in result.paper.years:
        summary = year_summary(paper)
        rows.append(
            {
                key: _by_origin_text(summary[key])
                if isinstance(summary[key], dict)
                else summary[key]
                for key, _label, _kind in SUMMARY_COLUMNS
            }
        )
    return _columns(*SUMMARY_COLUMNS), rows


def _sources_text(line: PaperLine, receipts: Mapping[int, StatementLine]) -> dict[str, str]:
    return {
        "donation_ids": " ".join(str(s.donation_id) for s in line.sources),
        "receipts": " ".join(s.receipt_number for s in line.sources),
        "official": " ".join(_official(receipts.get(int(s.donation_id))) for s in line.sources),
    }


def paper_line_rows(result: PaperResult) -> Table:
    columns = _columns(
        ("year", N_("年度"), "int"),
        ("item", N_("项目"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("origin_year", N_("来源年度"), "int"),
        ("last_usable_year", N_("最迟扣除年度"), "int"),
        ("reason", N_("依据"), "text"),
        ("citation", N_("政策出处"), "text"),
        ("donation_ids", N_("捐赠编号"), "text"),
        ("receipts", N_("平台票据号"), "text"),
        ("official", N_("正式票据（代码/号码/校验码）"), "text"),
    )
    rows = [
        {
            "year": paper.year,
            "item": _(LINE_KIND_LABELS[line.kind]),
            "amount": line.amount_fen,
            "amount_fen": line.amount_fen,
            "origin_year": line.origin_year,
            "last_usable_year": line.last_usable_year,
            "reason": line.reason.message,
            "citation": line.reason.citation,
            **_sources_text(line, result.receipts),
        }
        for paper in result.paper.years
        for line in paper.lines()
    ]
    return columns, rows


LINE_KIND_LABELS = {
    LineKind.BOOKED: N_("账载捐赠支出"),
    LineKind.NON_DEDUCTIBLE: N_("不得扣除"),
    LineKind.TARGETED_FULL: N_("扶贫捐赠全额扣除"),
    LineKind.LEGACY_TARGETED: N_("以前年度扶贫捐赠扣除"),
    LineKind.BROUGHT_FORWARD: N_("扣除以前年度结转"),
    LineKind.CURRENT_GENERAL: N_("扣除当年一般捐赠"),
    LineKind.CARRIED_FORWARD: N_("结转以后年度"),
    LineKind.EXPIRED: N_("过期不得扣除"),
    LineKind.BALANCE: N_("年末结转余额"),
}


def individual_rows(result: IndividualResult) -> Table:
    helper = result.helper
    columns = _columns(
        ("item", N_("项目"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("reason", N_("依据"), "text"),
        ("donation_ids", N_("捐赠编号"), "text"),
        ("receipts", N_("平台票据号"), "text"),
    )
    rows: list[dict[str, Any]] = [
        {
            "item": _("应纳税所得额（您填写）"),
            "amount": helper.taxable_income_fen,
            "amount_fen": helper.taxable_income_fen,
        },
        {
            "item": _("扣除限额"),
            "amount": helper.cap_fen,
            "amount_fen": helper.cap_fen,
            "reason": helper.cap_reason.message,
        },
    ]
    for line in (*helper.booked, *helper.non_deductible, *helper.deductible, *helper.excess):
        sources = _sources_text(line, result.receipts)
        rows.append(
            {
                "item": _(LINE_KIND_LABELS[line.kind]),
                "amount": line.amount_fen,
                "amount_fen": line.amount_fen,
                "reason": line.reason.message,
                "donation_ids": sources["donation_ids"],
                "receipts": sources["receipts"],
            }
        )
    return columns, rows


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with BOM, through ``exports`` (Excel needs the BOM)."""
    return exports.csv_bytes(*table)


def csv_plain(table: Table) -> str:
    """The same CSV as text without the BOM (the CLI prints it)."""
    return exports.csv_text(*table).removeprefix(exports.BOM)


def xlsx_bytes(sheets: Sequence[tuple[str, Table]]) -> bytes:
    """One workbook, one sheet per (title, table), cells typed as ``exports`` types them (yuan
    exact to the fen with a #,##0.00 format, text never a formula). ``exports.xlsx_bytes`` writes
    one sheet only; the working paper needs two (yearly table and lines)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, (columns, rows) in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([label for _key, label, _kind in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([exports.cell_value(row.get(key), kind) for key, _l, kind in columns])
            for cell, (_key, _label, kind) in zip(sheet[sheet.max_row], columns, strict=True):
                if kind == "yuan" and cell.value is not None:
                    cell.number_format = "#,##0.00"
                elif kind == "date" and cell.value is not None:
                    cell.number_format = "yyyy-mm-dd"
                elif kind == "text" and isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
