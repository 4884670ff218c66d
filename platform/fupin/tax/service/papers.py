"""The deduction working paper of an enterprise (docs/rules.md §1.4) and the 30 % helper of an
individual (docs/rules.md §2), from the donor's receipted donations; computed, never stored.

*Working paper*: only donations backed by the deductible voucher — a platform receipt **with**
the official numbers — enter the paper; the others are listed as "pending official receipt, not
included". The paper needs the annual total profit of every year whose carry-forward can still
reach the requested year, its expiry included: ``paper_years`` computes that run of years (from the last year in which
the carry-forward pool is provably empty). Earlier years back to the first donation may be
entered too (the paper then shows them). Every line carries its donation ids and receipt numbers,
and the reason and citation of the rule that applied.

Profits (decision, documented): the issue lists "a negative or non-numeric profit" as bad input,
but docs/rules.md §1.1 and the worked example (2021: −200 万元) require a **loss year** to be
enterable — a loss gives a cap of 0 while targeted donations are still deducted in full. So a
negative *profit* is accepted (and shown as a loss). An individual's *taxable income*
(应纳税所得额, before the donation) cannot be negative and is refused.

*Individuals*: the 30 % helper on the taxable income the donor enters; no carry-forward and no
full deduction for targeted donations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from fupin.accounts.models import Participant
from fupin.core.policy import Actor
from fupin.errors import FieldError, InvalidInput
from fupin.i18n import _
from fupin.tax.rules.deduction import enterprise_working_paper, individual_statement_helper
from fupin.tax.rules.paper import DonationLine, IndividualHelper, WorkingPaper
from fupin.tax.rules.params import TAX_PARAMS, TaxParams
from fupin.tax.service.donors import (
    MIN_TAX_YEAR,
    check_year,
    donor_identifier,
    is_individual,
    participant_for_tax,
)
from fupin.tax.service.statements import StatementLine, statement_lines


def last_affected_year(line: DonationLine, params: TaxParams = TAX_PARAMS) -> int:
    """The last tax year a donation can change: its own year; for a carried excess the year
    *after* its last usable year, because that year's paper records what expired (a 2019 excess
    usable until 2022 expires on the 2023 paper, and only 2019–2022's profits say how much);
    or the year its legacy look-back is applied, which deducts whatever is left in full so
    nothing of it expires (docs/rules.md §1.1–§1.2)."""
    year = line.donated_on.year
    if not line.qualifying:
        return year
    if line.targeted and params.targeted_window_row(line.donated_on) is not None:
        return year
    carry_years = params.carry_forward_row(line.donated_on).years
    if line.targeted:
        lookback = params.legacy_lookback_row(line.donated_on)
        if lookback is not None:
            return max(year + carry_years, lookback.applied_in_year)
    if carry_years == 0:
        return year  # the excess is lost on its own year's paper
    return year + carry_years + 1


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
    lines, _unreceipted = await statement_lines(
        participant, first=date(MIN_TAX_YEAR, 1, 1), last=date(year, 12, 31)
    )
    # booked with official numbers: the qualifying ones are deducted, the others explain the
    # adjustment (booked_non_qualifying)
    vouchers = [line for line in lines if line.has_official_numbers]
    pending = [line for line in lines if not line.has_official_numbers]
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
    """The enterprise deduction working paper up to ``year`` (docs/rules.md §1.4)."""
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
        identifier=donor_identifier(participant),
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
    """The 30 % helper for an individual donor (docs/rules.md §2): only the year's donations."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    if not is_individual(participant):
        raise InvalidInput(
            _("30% 扣除辅助计算仅适用于个人捐赠者。"), field="participant", code="not_individual"
        )
    tax_year = check_year(year)
    if taxable_income_fen < 0:
        raise InvalidInput(_("应纳税所得额不能为负数。"), field="taxable_income", code="negative")
    lines, _unreceipted = await statement_lines(
        participant, first=date(tax_year, 1, 1), last=date(tax_year, 12, 31)
    )
    vouchers = [line for line in lines if line.has_official_numbers]
    helper = individual_statement_helper(
        tax_year=tax_year,
        taxable_income_fen=taxable_income_fen,
        donations=[line.as_donation_line() for line in vouchers],
    )
    return IndividualResult(
        participant_id=participant.id,
        participant_name=participant.name,
        identifier=donor_identifier(participant),
        year=tax_year,
        helper=helper,
        receipts={line.donation_id: line for line in vouchers},
        pending=tuple(line for line in lines if not line.has_official_numbers),
    )
