"""Tax-deduction rule parameters, as data keyed by tax year or donation-date range.

This is the table of docs/rules.md §1.3 (and §1.1, §1.2, §2). The functions in ``tax_rules`` hold no
figures of their own: they look every rate, window and look-back up here, so a policy change is
a data change. Extending the targeted full-deduction window, for example, means editing the
``donated_until`` of one ``TargetedWindowRow`` (or appending a row for a new announcement).

Rates are integer basis points (1 bp = 0.01 %), never floats, because they multiply money.
Every row carries ``source``: the citation shown next to the figure on the working paper. The
citations are marked with ``N_`` so the English catalogue can translate the document names.
Ranges are inclusive at both ends; ``None`` as an end means "until further notice".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from fupin.i18n import N_

BASIS_POINTS = 10_000  # 100 %

_Row = TypeVar("_Row")


class TaxParamsError(ValueError):
    """The parameter table itself is inconsistent (overlapping rows, missing row for a year)."""


class CarryForwardOrder(StrEnum):
    #: 财税〔2018〕15号 §4 ("carried-forward before current") + oldest first [interpretation, §1.1]
    BROUGHT_FORWARD_FIRST_OLDEST_FIRST = "brought_forward_first_oldest_first"


# --- helpers ----------------------------------------------------------------------------------


def _in_range(day: date, start: date, end: date | None) -> bool:
    return start <= day and (end is None or day <= end)


def _one(rows: Iterable[_Row], match: Callable[[_Row], bool], what: str) -> _Row:
    found = [row for row in rows if match(row)]
    if len(found) != 1:
        raise TaxParamsError(f"no parameter row for {what}")
    return found[0]


def _check_year_ranges_disjoint(name: str, ranges: Iterable[tuple[int, int | None]]) -> None:
    ordered = sorted(ranges, key=lambda r: r[0])
    for (first, last), (next_first, _) in zip(ordered, ordered[1:], strict=False):
        if last is None or last >= next_first:
            raise TaxParamsError(
                f"{name}: overlapping year ranges starting {first} and {next_first}"
            )


def _check_date_ranges_disjoint(name: str, ranges: Iterable[tuple[date, date | None]]) -> None:
    ordered = sorted(ranges, key=lambda r: r[0])
    for (start, end), (next_start, _) in zip(ordered, ordered[1:], strict=False):
        if end is None or end >= next_start:
            raise TaxParamsError(
                f"{name}: overlapping date ranges starting {start} and {next_start}"
            )


# --- row types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapRateRow:
    """A deduction cap as a share of a positive income figure, for the tax years it governs."""

    first_year: int
    last_year: int | None
    rate_bp: int
    source: str

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


@dataclass(frozen=True)
class CarryForwardRow:
    """How many years after the donation year an excess may be carried, by donation date."""

    donated_from: date
    donated_until: date | None
    years: int
    source: str

    def covers(self, day: date) -> bool:
        return _in_range(day, self.donated_from, self.donated_until)


@dataclass(frozen=True)
class CarryForwardOrderRow:
    first_year: int
    last_year: int | None
    order: CarryForwardOrder
    source: str

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


@dataclass(frozen=True)
class TargetedWindowRow:
    """Donation dates whose targeted poverty donations are deducted in full, outside the cap."""

    donated_from: date
    donated_until: date
    source: str

    def covers(self, day: date) -> bool:
        return _in_range(day, self.donated_from, self.donated_until)


@dataclass(frozen=True)
class LegacyLookbackRow:
    """Earlier targeted donations whose undeducted remainder is deducted in full in one year."""

    donated_from: date
    donated_until: date
    applied_in_year: int
    source: str

    def covers(self, day: date) -> bool:
        return _in_range(day, self.donated_from, self.donated_until)


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxParams:
    """All deduction parameters. Lookups raise ``TaxParamsError`` when no row applies."""

    general_cap: tuple[CapRateRow, ...]
    carry_forward: tuple[CarryForwardRow, ...]
    carry_forward_order: tuple[CarryForwardOrderRow, ...]
    targeted_full_deduction: tuple[TargetedWindowRow, ...]
    targeted_legacy_lookback: tuple[LegacyLookbackRow, ...]
    individual_cap: tuple[CapRateRow, ...]

    def __post_init__(self) -> None:
        for name, rows in (
            ("general_cap", self.general_cap),
            ("individual_cap", self.individual_cap),
        ):
            for cap in rows:
                if not 0 <= cap.rate_bp <= BASIS_POINTS:
                    raise TaxParamsError(f"{name}: rate_bp {cap.rate_bp} outside 0..10000")
            _check_year_ranges_disjoint(name, ((r.first_year, r.last_year) for r in rows))
        _check_year_ranges_disjoint(
            "carry_forward_order", ((r.first_year, r.last_year) for r in self.carry_forward_order)
        )
        if any(carry.years < 0 for carry in self.carry_forward):
            raise TaxParamsError("carry_forward: years must be >= 0")
        _check_date_ranges_disjoint(
            "carry_forward", ((r.donated_from, r.donated_until) for r in self.carry_forward)
        )
        _check_date_ranges_disjoint(
            "targeted_full_deduction",
            ((r.donated_from, r.donated_until) for r in self.targeted_full_deduction),
        )
        _check_date_ranges_disjoint(
            "targeted_legacy_lookback",
            ((r.donated_from, r.donated_until) for r in self.targeted_legacy_lookback),
        )
        for lookback in self.targeted_legacy_lookback:
            if lookback.donated_until.year >= lookback.applied_in_year:
                raise TaxParamsError(
                    "targeted_legacy_lookback: donations must end before the year it is applied in"
                )

    def general_cap_row(self, year: int) -> CapRateRow:
        return _one(self.general_cap, lambda r: r.covers(year), f"general_cap for {year}")

    def individual_cap_row(self, year: int) -> CapRateRow:
        return _one(self.individual_cap, lambda r: r.covers(year), f"individual_cap for {year}")

    def carry_forward_row(self, donated_on: date) -> CarryForwardRow:
        return _one(
            self.carry_forward, lambda r: r.covers(donated_on), f"carry_forward for {donated_on}"
        )

    def carry_forward_order_row(self, year: int) -> CarryForwardOrderRow | None:
        """The order row for a year; ``None`` before carry-forward existed (order is moot)."""
        for row in self.carry_forward_order:
            if row.covers(year):
                return row
        return None

    def targeted_window_row(self, donated_on: date) -> TargetedWindowRow | None:
        for row in self.targeted_full_deduction:
            if row.covers(donated_on):
                return row
        return None

    def legacy_lookback_row(self, donated_on: date) -> LegacyLookbackRow | None:
        for row in self.targeted_legacy_lookback:
            if row.covers(donated_on):
                return row
        return None


# Citations (docs/rules.md §1–§2). Kept as named constants so rows and reasons cite the same text.
SRC_EIT_ART9 = N_("《企业所得税法》第九条；《企业所得税法实施条例》第五十三条")
SRC_EIT_ART9_ORIGINAL = N_("《企业所得税法》第九条（2017年修正前）：超过12%的部分不得结转")
SRC_CAISHUI_2018_15 = N_("财税〔2018〕15号 第一至三条；《慈善法》第八十条（2016-09-01施行）")
SRC_CAISHUI_2018_15_ORDER = N_(
    "财税〔2018〕15号 第四条（先扣结转，再扣当年）；结转项目按年度先早后晚"
)
SRC_TARGETED = N_(
    "财政部 税务总局 国务院扶贫办公告2019年第49号；公告2021年第18号（延长至2025-12-31）"
)
#: Targeted donations outside every window (docs/rules.md §1.2 "After 2025-12-31"): ordinary donations.
SRC_TARGETED_AS_GENERAL = N_(
    "公告2019年第49号、2021年第18号的执行期限外：按《企业所得税法》第九条处理"
)
SRC_TARGETED_LOOKBACK = N_(
    "财政部 税务总局 国务院扶贫办公告2019年第49号 第三条（2015–2018年未扣除部分）"
)
SRC_IIT = N_("《个人所得税法》第六条；财政部 税务总局公告2019年第99号")
SRC_IIT_NO_FULL = N_("公告2019年第49号仅适用于企业；个人扶贫捐赠适用30%限额（公告2019年第99号）")

#: The parameters in force. Each row cites its source (docs/rules.md §1.3 table).
TAX_PARAMS = TaxParams(
    general_cap=(
        # 12% of positive annual total profit: EIT Law art. 9 (in force 2008-01-01).
        CapRateRow(first_year=2008, last_year=None, rate_bp=1200, source=SRC_EIT_ART9),
    ),
    carry_forward=(
        # Before the Charity Law (2016-09-01): excess over the cap is lost (original art. 9).
        CarryForwardRow(
            donated_from=date(2008, 1, 1),
            donated_until=date(2016, 8, 31),
            years=0,
            source=SRC_EIT_ART9_ORIGINAL,
        ),
        # From 2016-09-01: 3 years counted from the year after the donation (财税〔2018〕15号 §3, §5).
        CarryForwardRow(
            donated_from=date(2016, 9, 1), donated_until=None, years=3, source=SRC_CAISHUI_2018_15
        ),
    ),
    carry_forward_order=(
        # Brought-forward first, oldest first (财税〔2018〕15号 §4 + FIFO interpretation).
        CarryForwardOrderRow(
            first_year=2017,
            last_year=None,
            order=CarryForwardOrder.BROUGHT_FORWARD_FIRST_OLDEST_FIRST,
            source=SRC_CAISHUI_2018_15_ORDER,
        ),
    ),
    targeted_full_deduction=(
        # 2019 No. 49 (2019-01-01…2022-12-31), extended to 2025-12-31 by 2021 No. 18.
        # A further extension is an edit of donated_until here (or a new row).
        TargetedWindowRow(
            donated_from=date(2019, 1, 1), donated_until=date(2025, 12, 31), source=SRC_TARGETED
        ),
    ),
    targeted_legacy_lookback=(
        # 2019 No. 49 §3: undeducted targeted donations of 2015–2018, applied in 2019
        # [interpretation: one-off uncapped pool in the first policy year, docs/rules.md §1.2].
        LegacyLookbackRow(
            donated_from=date(2015, 1, 1),
            donated_until=date(2018, 12, 31),
            applied_in_year=2019,
            source=SRC_TARGETED_LOOKBACK,
        ),
    ),
    individual_cap=(
        # 30% of the taxable income of the item: IIT Law art. 6 (2018 amendment), 2019 No. 99.
        CapRateRow(first_year=2019, last_year=None, rate_bp=3000, source=SRC_IIT),
    ),
)
