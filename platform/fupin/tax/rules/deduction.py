"""Pure tax-deduction rules: the algorithm of the enterprise working paper and of the individual
30 % helper; whether a donation went through a qualifying channel and is targeted is decided by
``fupin.money.rules.channels`` when it is recorded (docs/rules.md §1, §2, §3; docs/domain.md §3.8). What goes
in and comes out — donation lines, paper lines, years, reasons — is ``tax.rules.paper``.

No database, no HTTP: callers pass plain values in and get immutable results back. Every figure
comes from ``tax_params.TAX_PARAMS`` (or a table passed in), so a policy change is a data change.

Money is integer fen. The only rounding is the cap: ``rate × max(amount, 0)`` rounded half-up to
the fen (``(amount × rate_bp + 5000) // 10000``). With the 12 % rate an exact half fen cannot occur
(12·x/100 never ends in .5 for an integer x), so half-up and banker's rounding agree for the EIT
cap; for the 30 % individual cap 5 fen → 1.5 fen → 2 fen.

Every line of a working paper carries the donations it derives from (``SourceShare``: donation id,
receipt number, date, the part of the amount), a reason code with a gettext message, and the
citation of the rule applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fupin.core.reasons import Reason, reason_from
from fupin.i18n import _
from fupin.money.rules.channels import SRC_CHANNELS
from fupin.tax.rules.paper import (
    TAX_REASONS,
    DonationLine,
    IndividualHelper,
    LineKind,
    PaperLine,
    SourceShare,
    TaxRuleError,
    WorkingPaper,
    YearPaper,
)
from fupin.tax.rules.params import (
    BASIS_POINTS,
    SRC_IIT_NO_FULL,
    SRC_TARGETED_AS_GENERAL,
    TAX_PARAMS,
    CarryForwardRow,
    LegacyLookbackRow,
    TargetedWindowRow,
    TaxParams,
    TaxParamsError,
)


def _reason(code: str, citation: str = "", **params: str | int) -> Reason:
    return reason_from(TAX_REASONS, code, citation, **params)


# --- the enterprise working paper -------------------------------------------------------------


@dataclass
class _Portion:
    """The undeducted remainder of one donation, waiting in the carry-forward pool."""

    line: DonationLine
    origin_year: int
    remaining_fen: int
    cap_usable_until: int  # last year usable under the cap (== origin_year: not carriable)
    carry_row: CarryForwardRow
    lookback: LegacyLookbackRow | None  # deducted in full in lookback.applied_in_year


@dataclass
class _Grouper:
    """Collects shares into lines keyed by (kind, reason, origin, last year), in first-seen order."""

    kind: LineKind
    groups: dict[tuple[object, ...], tuple[Reason, int | None, int | None, list[SourceShare]]] = (
        field(default_factory=dict)
    )

    def add(
        self,
        reason: Reason,
        line: DonationLine,
        amount_fen: int,
        *,
        origin_year: int | None = None,
        last_usable_year: int | None = None,
    ) -> None:
        if amount_fen <= 0:
            return
        key = (reason, origin_year, last_usable_year)
        entry = self.groups.setdefault(key, (reason, origin_year, last_usable_year, []))
        entry[3].append(_share(line, amount_fen))

    def lines(self) -> tuple[PaperLine, ...]:
        return tuple(
            PaperLine(
                kind=self.kind,
                amount_fen=sum(share.amount_fen for share in shares),
                sources=tuple(shares),
                reason=reason,
                origin_year=origin,
                last_usable_year=last,
            )
            for reason, origin, last, shares in self.groups.values()
        )


def enterprise_working_paper(
    *,
    profit_fen_by_year: Mapping[int, int],
    donations: Sequence[DonationLine],
    params: TaxParams = TAX_PARAMS,
) -> WorkingPaper:
    """The EIT donation working paper, year by year (docs/rules.md §1.4).

    ``profit_fen_by_year`` holds the annual total (accounting) profit for a contiguous run of
    years; every donation must be dated in one of them (the carry-forward pool starts empty).
    Per year: targeted donations dated in a full-deduction window are deducted in full, outside
    the cap, whatever the profit; the legacy look-back pool is deducted in full in its year; the
    carry-forward past its last usable year expires; then the cap (rate × positive profit) is
    spent on brought-forward items oldest first and then on the year's general donations. The
    year's general donations are spent on in order non-carriable first (carry years ascending),
    then by date, receipt number and id, so the cap absorbs what would otherwise be lost
    [interpretation, the same "never lose what another order would keep" as FIFO]. Whatever
    remains carries forward if its donation date allows, else it is lost (``EXPIRED``).
    """
    years = _horizon(profit_fen_by_year)
    by_year = _donations_by_year(donations, years)
    pool: list[_Portion] = []
    papers: list[YearPaper] = []
    with _no_rule_is_input_error():
        for year in years:
            paper = _year_paper(year, profit_fen_by_year[year], by_year.get(year, []), pool, params)
            papers.append(paper)
    return WorkingPaper(years=tuple(papers))


def _year_paper(
    year: int,
    profit_fen: int,
    lines: list[DonationLine],
    pool: list[_Portion],
    params: TaxParams,
) -> YearPaper:
    opening_balance_fen = sum(portion.remaining_fen for portion in pool)
    booked = _Grouper(LineKind.BOOKED)
    non_deductible = _Grouper(LineKind.NON_DEDUCTIBLE)
    targeted = _Grouper(LineKind.TARGETED_FULL)
    legacy = _Grouper(LineKind.LEGACY_TARGETED)
    brought_forward = _Grouper(LineKind.BROUGHT_FORWARD)
    current = _Grouper(LineKind.CURRENT_GENERAL)
    carried = _Grouper(LineKind.CARRIED_FORWARD)
    expired = _Grouper(LineKind.EXPIRED)

    # 1. Classify what is booked this year.
    general: list[tuple[DonationLine, CarryForwardRow, LegacyLookbackRow | None]] = []
    for line in lines:
        booked_reason, window, lookback = _classify(line, params)
        booked.add(booked_reason, line, line.amount_fen, origin_year=line.donated_on.year)
        if not line.qualifying:
            non_deductible.add(_reason("non_deductible", SRC_CHANNELS), line, line.amount_fen)
        elif window is not None:
            # Targeted, inside the window: in full, outside the cap, even in a loss year.
            targeted.add(_reason("deduct_targeted_full", window.source), line, line.amount_fen)
        else:
            general.append((line, params.carry_forward_row(line.donated_on), lookback))

    # 2. Legacy look-back (2019 No. 49 §3): the undeducted rest of 2015–2018 targeted donations.
    for portion in sorted(pool, key=_portion_order):
        if portion.lookback is not None and portion.lookback.applied_in_year == year:
            legacy.add(
                _reason(
                    "deduct_targeted_legacy",
                    portion.lookback.source,
                    from_year=portion.lookback.donated_from.year,
                    to_year=portion.lookback.donated_until.year,
                ),
                portion.line,
                portion.remaining_fen,
                origin_year=portion.origin_year,
            )
            portion.remaining_fen = 0
    pool[:] = [portion for portion in pool if portion.remaining_fen > 0]

    # 3. Expiry: past the last usable year, and not waiting for a look-back.
    for portion in sorted(pool, key=_portion_order):
        waiting = portion.lookback is not None and portion.lookback.applied_in_year > year
        if portion.cap_usable_until < year and not waiting:
            expired.add(
                _reason(
                    "expired_carry_forward",
                    portion.carry_row.source,
                    origin_year=portion.origin_year,
                    last_year=portion.cap_usable_until,
                ),
                portion.line,
                portion.remaining_fen,
                origin_year=portion.origin_year,
                last_usable_year=portion.cap_usable_until,
            )
            portion.remaining_fen = 0
    pool[:] = [portion for portion in pool if portion.remaining_fen > 0]

    # 4. The cap: rate × positive profit, rounded half-up to the fen (财税〔2018〕15号 §1).
    cap_row = params.general_cap_row(year)
    cap_fen = apply_rate(amount_fen=max(profit_fen, 0), rate_bp=cap_row.rate_bp)
    cap_reason = (
        _reason("cap_positive_profit", cap_row.source, rate=format_rate(cap_row.rate_bp))
        if profit_fen > 0
        else _reason("cap_zero_no_profit", cap_row.source)
    )
    room = cap_fen

    # 5. Brought-forward first, oldest first (财税〔2018〕15号 §4 + FIFO).
    order_row = params.carry_forward_order_row(year)
    for portion in sorted(pool, key=_portion_order):
        if not portion.origin_year < year <= portion.cap_usable_until or room == 0:
            continue
        use = min(portion.remaining_fen, room)
        brought_forward.add(
            _reason(
                "deduct_brought_forward",
                order_row.source if order_row else portion.carry_row.source,
                origin_year=portion.origin_year,
                last_year=portion.cap_usable_until,
            ),
            portion.line,
            use,
            origin_year=portion.origin_year,
            last_usable_year=portion.cap_usable_until,
        )
        portion.remaining_fen -= use
        room -= use
    pool[:] = [portion for portion in pool if portion.remaining_fen > 0]

    # 6. This year's general donations within what is left of the cap; the rest carries or is lost.
    general.sort(key=lambda item: (item[1].years, *_line_order(item[0])))
    for line, carry_row, lookback in general:
        use = min(line.amount_fen, room)
        room -= use
        current.add(_reason("deduct_current_general", cap_row.source), line, use)
        excess = line.amount_fen - use
        if excess == 0:
            continue
        last_usable = year + carry_row.years
        if carry_row.years > 0:
            carried.add(
                _reason("carry_forward_new", carry_row.source, last_year=last_usable),
                line,
                excess,
                origin_year=year,
                last_usable_year=last_usable,
            )
        elif lookback is not None:
            carried.add(
                _reason(
                    "carry_forward_held_for_lookback",
                    lookback.source,
                    applied_year=lookback.applied_in_year,
                ),
                line,
                excess,
                origin_year=year,
                last_usable_year=last_usable,
            )
        else:
            expired.add(
                _reason("expired_not_carriable", carry_row.source),
                line,
                excess,
                origin_year=year,
                last_usable_year=year,
            )
            continue
        pool.append(
            _Portion(
                line=line,
                origin_year=year,
                remaining_fen=excess,
                cap_usable_until=last_usable,
                carry_row=carry_row,
                lookback=lookback,
            )
        )

    return YearPaper(
        year=year,
        profit_fen=profit_fen,
        cap_fen=cap_fen,
        cap_reason=cap_reason,
        opening_balance_fen=opening_balance_fen,
        booked=booked.lines(),
        non_deductible=non_deductible.lines(),
        deductions=targeted.lines() + legacy.lines() + brought_forward.lines() + current.lines(),
        carried_forward=carried.lines(),
        expired=expired.lines(),
        closing_balances=_balances(pool),
    )


def _classify(
    line: DonationLine, params: TaxParams
) -> tuple[Reason, TargetedWindowRow | None, LegacyLookbackRow | None]:
    """How a booked donation is treated: (reason, full-deduction window, legacy look-back)."""
    if not line.qualifying:
        return _reason("booked_non_qualifying", SRC_CHANNELS), None, None
    if not line.targeted:
        return (
            _reason("booked_general", params.general_cap_row(line.donated_on.year).source),
            None,
            None,
        )
    window = params.targeted_window_row(line.donated_on)
    if window is not None:
        return _reason("booked_targeted_full", window.source), window, None
    lookback = params.legacy_lookback_row(line.donated_on)
    if lookback is not None:
        reason = _reason(
            "booked_targeted_legacy",
            lookback.source,
            from_year=lookback.donated_from.year,
            to_year=lookback.donated_until.year,
            applied_year=lookback.applied_in_year,
        )
        return reason, None, lookback
    return _reason("booked_targeted_as_general", SRC_TARGETED_AS_GENERAL), None, None


def _balances(pool: list[_Portion]) -> tuple[PaperLine, ...]:
    balances = _Grouper(LineKind.BALANCE)
    for portion in sorted(pool, key=_portion_order):
        if portion.lookback is not None and portion.cap_usable_until == portion.origin_year:
            reason = _reason(
                "balance_held_for_lookback",
                portion.lookback.source,
                origin_year=portion.origin_year,
                applied_year=portion.lookback.applied_in_year,
            )
        else:
            reason = _reason(
                "balance_carried",
                portion.carry_row.source,
                origin_year=portion.origin_year,
                last_year=portion.cap_usable_until,
            )
        balances.add(
            reason,
            portion.line,
            portion.remaining_fen,
            origin_year=portion.origin_year,
            last_usable_year=portion.cap_usable_until,
        )
    return balances.lines()


# --- individuals ------------------------------------------------------------------------------


def individual_statement_helper(
    *,
    tax_year: int,
    taxable_income_fen: int,
    donations: Sequence[DonationLine],
    params: TaxParams = TAX_PARAMS,
) -> IndividualHelper:
    """Apply the individual cap (IIT Law art. 6; 2019 No. 99) to the income the donor enters.

    No carry-forward, and no full deduction for targeted donations (2019 No. 49 is for
    enterprises only): targeted donations are capped like any other. The cap is spent on the
    donations in date order. A negative income entered gives a cap of 0.
    """
    _check_lines(donations)
    for line in donations:
        if line.donated_on.year != tax_year:
            raise TaxRuleError(
                _("捐赠 %(id)s 的日期不在%(year)s年", id=str(line.donation_id), year=tax_year),
                code="donation_outside_tax_year",
                field="donations",
            )
    with _no_rule_is_input_error():
        cap_row = params.individual_cap_row(tax_year)
    cap_fen = apply_rate(amount_fen=max(taxable_income_fen, 0), rate_bp=cap_row.rate_bp)
    booked = _Grouper(LineKind.BOOKED)
    deductible = _Grouper(LineKind.CURRENT_GENERAL)
    excess = _Grouper(LineKind.EXPIRED)
    non_deductible = _Grouper(LineKind.NON_DEDUCTIBLE)
    room = cap_fen
    for line in sorted(donations, key=_line_order):
        if not line.qualifying:
            booked.add(_reason("booked_non_qualifying", SRC_CHANNELS), line, line.amount_fen)
            non_deductible.add(_reason("non_deductible", SRC_CHANNELS), line, line.amount_fen)
            continue
        if line.targeted:
            booked.add(
                _reason("individual_booked_targeted_capped", SRC_IIT_NO_FULL), line, line.amount_fen
            )
        else:
            booked.add(
                _reason("individual_booked_qualifying", cap_row.source), line, line.amount_fen
            )
        use = min(line.amount_fen, room)
        room -= use
        deductible.add(_reason("individual_deduct_within_cap", cap_row.source), line, use)
        excess.add(
            _reason("individual_excess_not_carried", cap_row.source), line, line.amount_fen - use
        )
    return IndividualHelper(
        tax_year=tax_year,
        taxable_income_fen=taxable_income_fen,
        cap_fen=cap_fen,
        cap_reason=_reason("individual_cap", cap_row.source, rate=format_rate(cap_row.rate_bp)),
        booked=booked.lines(),
        deductible=deductible.lines(),
        excess=excess.lines(),
        non_deductible=non_deductible.lines(),
    )


# --- small helpers ----------------------------------------------------------------------------


def apply_rate(*, amount_fen: int, rate_bp: int) -> int:
    """``amount × rate`` rounded half-up to the fen, for a non-negative amount."""
    if amount_fen < 0:
        raise ValueError("apply_rate needs a non-negative amount")
    return (amount_fen * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS


def format_rate(rate_bp: int) -> str:
    """1200 → "12%", 1250 → "12.5%" (display only; never used in arithmetic)."""
    return f"{(Decimal(rate_bp) / 100).normalize():f}%"


@contextmanager
def _no_rule_is_input_error() -> Iterator[None]:
    """A year or date the parameter table has no row for is the user's input, not a crash."""
    try:
        yield
    except TaxParamsError as exc:
        raise TaxRuleError(
            _("没有适用于该期间的扣除规则（%(detail)s）", detail=str(exc)),
            code="no_rule_for_period",
            field="profit_fen_by_year",
        ) from exc


def _share(line: DonationLine, amount_fen: int) -> SourceShare:
    return SourceShare(
        donation_id=line.donation_id,
        receipt_number=line.receipt_number,
        donated_on=line.donated_on,
        amount_fen=amount_fen,
    )


def _line_order(line: DonationLine) -> tuple[date, str, str]:
    return (line.donated_on, line.receipt_number, str(line.donation_id))


def _portion_order(portion: _Portion) -> tuple[int, date, str, str]:
    return (portion.origin_year, *_line_order(portion.line))


def _horizon(profit_fen_by_year: Mapping[int, int]) -> list[int]:
    years = sorted(profit_fen_by_year)
    if not years:
        raise TaxRuleError(
            _("至少需要一个纳税年度的利润总额"), code="no_years", field="profit_fen_by_year"
        )
    if years != list(range(years[0], years[-1] + 1)):
        raise TaxRuleError(
            _("纳税年度必须连续，不能有缺年"),
            code="years_not_contiguous",
            field="profit_fen_by_year",
        )
    return years


def _check_lines(donations: Sequence[DonationLine]) -> None:
    seen: set[int | str] = set()
    for line in donations:
        if line.amount_fen <= 0:
            raise TaxRuleError(
                _("捐赠 %(id)s 的金额必须大于零（冲销请在输入前抵减）", id=str(line.donation_id)),
                code="amount_not_positive",
                field="donations",
            )
        if line.donation_id in seen:
            raise TaxRuleError(
                _("捐赠 %(id)s 重复出现", id=str(line.donation_id)),
                code="duplicate_donation",
                field="donations",
            )
        seen.add(line.donation_id)


def _donations_by_year(
    donations: Sequence[DonationLine], years: list[int]
) -> dict[int, list[DonationLine]]:
    _check_lines(donations)
    by_year: dict[int, list[DonationLine]] = defaultdict(list)
    for line in sorted(donations, key=_line_order):
        if not years[0] <= line.donated_on.year <= years[-1]:
            raise TaxRuleError(
                _(
                    "捐赠 %(id)s 的日期不在所给纳税年度（%(first)s–%(last)s）内",
                    id=str(line.donation_id),
                    first=years[0],
                    last=years[-1],
                ),
                code="donation_outside_years",
                field="donations",
            )
        by_year[line.donated_on.year].append(line)
    return by_year
