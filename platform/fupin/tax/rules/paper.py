"""What a deduction working paper is made of: the reasons its lines give, the donations that go
in (``DonationLine``), the lines that come out (``PaperLine`` with its ``SourceShare`` of each
donation), one year of the enterprise paper (``YearPaper``), the paper (``WorkingPaper``) and the
individual 30 % helper (``IndividualHelper``) (docs/rules.md §1–§2).

The algorithm that fills them is ``tax.rules.deduction``; these are its inputs and results, also
read by the service and the pages. Immutable, integer fen, no database.

Reason messages are stored as message ids and translated when read (``Reason.message``), so a
paper computed in one request can be shown in any locale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fupin.core.reasons import Reason
from fupin.errors import InvalidInput
from fupin.i18n import N_

# --- reasons ----------------------------------------------------------------------------------

#: Every reason code the tax rules can give, with its message id (Chinese source text).
#: Messages with placeholders use ``%(name)s``; none contains a literal percent sign.
TAX_REASONS: dict[str, str] = {
    # classification of a booked donation
    "booked_non_qualifying": N_("非合格渠道捐赠：计入捐赠支出，不得税前扣除，也不得结转"),
    "booked_targeted_full": N_(
        "目标脱贫地区扶贫捐赠，捐赠日期在全额扣除期间内：据实扣除，不占一般捐赠扣除限额"
    ),
    "booked_targeted_legacy": N_(
        "%(from_year)s–%(to_year)s年的扶贫捐赠：当年按一般公益性捐赠处理，"
        "截至%(applied_year)s年仍未扣除的部分于%(applied_year)s年据实扣除"
    ),
    "booked_targeted_as_general": N_("扶贫捐赠的捐赠日期不在全额扣除期间内，按一般公益性捐赠处理"),
    "booked_general": N_("一般公益性捐赠：在年度利润总额的限额内扣除"),
    # the cap
    "cap_positive_profit": N_("扣除限额 = 年度利润总额 × %(rate)s，四舍五入到分"),
    "cap_zero_no_profit": N_("年度利润总额不大于零，一般公益性捐赠的扣除限额为零"),
    # deductions
    "deduct_targeted_full": N_("扶贫捐赠据实全额扣除，不受利润限额限制（亏损年度亦然）"),
    "deduct_targeted_legacy": N_(
        "以前年度（%(from_year)s–%(to_year)s年）尚未扣除的扶贫捐赠，本年度据实扣除"
    ),
    "deduct_brought_forward": N_(
        "扣除%(origin_year)s年结转的捐赠（先扣结转、先早后晚），最迟可扣至%(last_year)s年"
    ),
    "deduct_current_general": N_("扣除本年度一般公益性捐赠（扣除结转后的剩余限额内）"),
    # carry-forward, expiry, balances
    "carry_forward_new": N_("超过限额部分结转以后三年内扣除，最迟可扣至%(last_year)s年"),
    "carry_forward_held_for_lookback": N_(
        "超过限额部分不得按一般规定结转，作为扶贫捐赠留待%(applied_year)s年据实扣除"
    ),
    "expired_not_carriable": N_("2016年9月1日以前的捐赠超过限额部分不得结转，永久不得扣除"),
    "expired_carry_forward": N_(
        "%(origin_year)s年结转的捐赠已超过三年结转期（最迟%(last_year)s年），不再扣除"
    ),
    "balance_carried": N_("%(origin_year)s年结转余额，最迟可扣至%(last_year)s年"),
    "balance_held_for_lookback": N_(
        "%(origin_year)s年扶贫捐赠未扣除余额，留待%(applied_year)s年据实扣除"
    ),
    "non_deductible": N_("非合格渠道捐赠，不得税前扣除"),
    # individuals (docs/rules.md §2)
    "individual_cap": N_("扣除限额 = 您填写的应纳税所得额 × %(rate)s，四舍五入到分"),
    "individual_booked_qualifying": N_("通过合格渠道的公益性捐赠：在应纳税所得额的限额内扣除"),
    "individual_booked_targeted_capped": N_(
        "扶贫捐赠：个人不适用全额扣除政策，在应纳税所得额的限额内扣除"
    ),
    "individual_deduct_within_cap": N_("在限额内扣除"),
    "individual_excess_not_carried": N_("超过限额部分个人不得结转以后年度扣除"),
}


class TaxRuleError(InvalidInput):
    """Inputs the rules refuse (e.g. a donation outside the years given): HTTP 422 through
    ``fupin.errors``. ``code`` is stable for callers, ``field`` names the input, ``message`` is
    translated."""

    code = "tax_rule"


# --- inputs and outputs of the working paper --------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DonationLine:
    """One receipted donation as booked by the donor. ``targeted`` and ``qualifying`` come from
    ``is_targeted`` / ``qualifies_for_deduction``; a non-qualifying line is never deducted even
    if flagged targeted."""

    donation_id: int | str
    receipt_number: str
    donated_on: date
    amount_fen: int
    targeted: bool
    qualifying: bool


@dataclass(frozen=True, kw_only=True)
class SourceShare:
    """The part of one donation that a line accounts for (traceability to receipts)."""

    donation_id: int | str
    receipt_number: str
    donated_on: date
    amount_fen: int


class LineKind(StrEnum):
    BOOKED = "booked"  # what the accounts show, grouped by how it is treated
    NON_DEDUCTIBLE = "non_deductible"  # non-qualifying channel
    TARGETED_FULL = "targeted_full"  # 2019 No. 49, outside the cap
    LEGACY_TARGETED = "legacy_targeted"  # 2019 No. 49 §3 look-back
    BROUGHT_FORWARD = "brought_forward"  # carry-forward used this year, per origin year
    CURRENT_GENERAL = "current_general"  # this year's general donations within the cap
    CARRIED_FORWARD = "carried_forward"  # new carry-forward created this year
    EXPIRED = "expired"  # lost for ever (window over, or not carriable)
    BALANCE = "balance"  # closing carry-forward balance (a stock, not a flow)

    @property
    def is_deduction(self) -> bool:
        return self in _DEDUCTION_KINDS


_DEDUCTION_KINDS = frozenset(
    {
        LineKind.TARGETED_FULL,
        LineKind.LEGACY_TARGETED,
        LineKind.BROUGHT_FORWARD,
        LineKind.CURRENT_GENERAL,
    }
)


@dataclass(frozen=True, kw_only=True)
class PaperLine:
    kind: LineKind
    amount_fen: int
    sources: tuple[SourceShare, ...]
    reason: Reason
    origin_year: int | None = None  # for carry-forward lines: the donation year
    last_usable_year: int | None = None  # last year it may be deducted under the cap

    @property
    def donation_ids(self) -> tuple[int | str, ...]:
        return tuple(share.donation_id for share in self.sources)

    @property
    def receipt_numbers(self) -> tuple[str, ...]:
        return tuple(share.receipt_number for share in self.sources)


@dataclass(frozen=True, kw_only=True)
class YearPaper:
    """One tax year of the enterprise working paper (docs/rules.md §1.4 procedure)."""

    year: int
    profit_fen: int
    cap_fen: int
    cap_reason: Reason
    opening_balance_fen: int
    booked: tuple[PaperLine, ...]
    non_deductible: tuple[PaperLine, ...]
    deductions: tuple[PaperLine, ...]  # targeted, legacy, brought-forward (oldest first), current
    carried_forward: tuple[PaperLine, ...]
    expired: tuple[PaperLine, ...]
    closing_balances: tuple[PaperLine, ...]

    @property
    def booked_fen(self) -> int:
        return _total(self.booked)

    @property
    def deducted_fen(self) -> int:
        return _total(self.deductions)

    @property
    def targeted_deducted_fen(self) -> int:
        return _total(line for line in self.deductions if line.kind is LineKind.TARGETED_FULL)

    @property
    def legacy_targeted_deducted_fen(self) -> int:
        return _total(line for line in self.deductions if line.kind is LineKind.LEGACY_TARGETED)

    @property
    def brought_forward_used_fen(self) -> int:
        return _total(line for line in self.deductions if line.kind is LineKind.BROUGHT_FORWARD)

    @property
    def current_general_deducted_fen(self) -> int:
        return _total(line for line in self.deductions if line.kind is LineKind.CURRENT_GENERAL)

    @property
    def cap_used_fen(self) -> int:
        """Brought-forward + current general: never above ``cap_fen`` (财税〔2018〕15号 §2)."""
        return self.brought_forward_used_fen + self.current_general_deducted_fen

    @property
    def carried_forward_fen(self) -> int:
        return _total(self.carried_forward)

    @property
    def expired_fen(self) -> int:
        return _total(self.expired)

    @property
    def non_deductible_fen(self) -> int:
        return _total(self.non_deductible)

    @property
    def closing_balance_fen(self) -> int:
        return _total(self.closing_balances)

    @property
    def adjustment_fen(self) -> int:
        """Booked − deducted: positive is 纳税调增, negative (carry-forward used) 纳税调减."""
        return self.booked_fen - self.deducted_fen

    def lines(self) -> Iterator[PaperLine]:
        yield from self.booked
        yield from self.non_deductible
        yield from self.deductions
        yield from self.carried_forward
        yield from self.expired
        yield from self.closing_balances


@dataclass(frozen=True)
class WorkingPaper:
    years: tuple[YearPaper, ...]

    def year(self, year: int) -> YearPaper:
        for paper in self.years:
            if paper.year == year:
                return paper
        raise KeyError(year)

    @property
    def total_booked_fen(self) -> int:
        return sum(paper.booked_fen for paper in self.years)

    @property
    def total_deducted_fen(self) -> int:
        return sum(paper.deducted_fen for paper in self.years)

    @property
    def total_expired_fen(self) -> int:
        return sum(paper.expired_fen for paper in self.years)

    @property
    def total_non_deductible_fen(self) -> int:
        return sum(paper.non_deductible_fen for paper in self.years)

    @property
    def still_carried_fen(self) -> int:
        """Carry-forward balance after the last year: deductible later if profit allows."""
        return self.years[-1].closing_balance_fen if self.years else 0

    def lines(self) -> Iterator[PaperLine]:
        for paper in self.years:
            yield from paper.lines()


@dataclass(frozen=True, kw_only=True)
class IndividualHelper:
    """ "30 % of the taxable income you enter" (docs/rules.md §2). Not a tax computation: the
    platform does not know the individual's income, it only applies the cap to what is entered."""

    tax_year: int
    taxable_income_fen: int
    cap_fen: int
    cap_reason: Reason
    booked: tuple[PaperLine, ...]
    deductible: tuple[PaperLine, ...]
    excess: tuple[PaperLine, ...]  # above the cap: lost, individuals have no carry-forward
    non_deductible: tuple[PaperLine, ...]

    @property
    def booked_fen(self) -> int:
        return _total(self.booked)

    @property
    def deductible_fen(self) -> int:
        return _total(self.deductible)

    @property
    def excess_fen(self) -> int:
        return _total(self.excess)

    @property
    def non_deductible_fen(self) -> int:
        return _total(self.non_deductible)


def _total(lines: Iterable[PaperLine]) -> int:
    return sum(line.amount_fen for line in lines)
