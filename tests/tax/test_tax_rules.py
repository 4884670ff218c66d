"""Tax deduction rules (docs/rules.md §1, §2; docs/domain.md §3.8): the worked example to the fen, properties
of the working paper, the individual helper (the qualifying-channel and targeted rules are
tested in tests/money/test_channel_rules.py)."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.tax.rules.deduction import (
    apply_rate,
    enterprise_working_paper,
    individual_statement_helper,
)
from fupin.tax.rules.paper import TAX_REASONS, DonationLine, LineKind, TaxRuleError, WorkingPaper
from fupin.tax.rules.params import TAX_PARAMS, CapRateRow, TaxParams, TaxParamsError

WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen
CHARITY_LAW = date(2016, 9, 1)
WINDOW = (date(2019, 1, 1), date(2025, 12, 31))
LOOKBACK = (date(2015, 1, 1), date(2018, 12, 31))


def line(
    donation_id: str,
    day: date,
    amount_fen: int,
    *,
    targeted: bool = False,
    qualifying: bool = True,
) -> DonationLine:
    return DonationLine(
        donation_id=donation_id,
        receipt_number=f"R-{donation_id}",
        donated_on=day,
        amount_fen=amount_fen,
        targeted=targeted,
        qualifying=qualifying,
    )


def by_origin(lines: object) -> dict[int | None, int]:
    totals: dict[int | None, int] = defaultdict(int)
    for paper_line in lines:  # type: ignore[attr-defined]
        totals[paper_line.origin_year] += paper_line.amount_fen
    return dict(totals)


# --- the worked example of docs/rules.md §1.4, to the fen ------------------------------------------

EXAMPLE_PROFIT_WAN = {
    2019: 1000,
    2020: 500,
    2021: -200,
    2022: 100,
    2023: 50,
    2024: 0,
    2025: 80,
    2026: 1000,
}
EXAMPLE_DONATIONS = [
    # 2019's G = 150 is split over two receipts to show which receipt carries forward.
    line("G2019a", date(2019, 3, 1), 100 * WAN),
    line("G2019b", date(2019, 11, 20), 50 * WAN),
    line("T2019", date(2019, 6, 1), 300 * WAN, targeted=True),
    line("G2020", date(2020, 5, 1), 40 * WAN),
    line("G2021", date(2021, 5, 1), 20 * WAN),
    line("T2021", date(2021, 8, 1), 50 * WAN, targeted=True),
    line("T2026", date(2026, 4, 1), 100 * WAN, targeted=True),
]

# year, cap, carry-forward used {origin: amount}, current G deducted, new carry-forward,
# expired {origin: amount}, total deducted — all in fen, straight from the docs/rules.md table.
EXAMPLE_TABLE = [
    (2019, 120 * WAN, {}, 120 * WAN, 30 * WAN, {}, 420 * WAN),
    (2020, 60 * WAN, {2019: 30 * WAN}, 30 * WAN, 10 * WAN, {}, 60 * WAN),
    (2021, 0, {}, 0, 20 * WAN, {}, 50 * WAN),
    (2022, 12 * WAN, {2020: 10 * WAN, 2021: 2 * WAN}, 0, 0, {}, 12 * WAN),
    (2023, 6 * WAN, {2021: 6 * WAN}, 0, 0, {}, 6 * WAN),
    (2024, 0, {}, 0, 0, {}, 0),
    (2025, 9_600_000, {}, 0, 0, {2021: 12 * WAN}, 0),
    (2026, 120 * WAN, {}, 100 * WAN, 0, {}, 100 * WAN),
]


@pytest.fixture(scope="module")
def example_paper() -> WorkingPaper:
    return enterprise_working_paper(
        profit_fen_by_year={year: wan * WAN for year, wan in EXAMPLE_PROFIT_WAN.items()},
        donations=EXAMPLE_DONATIONS,
    )


@pytest.mark.parametrize(
    ("year", "cap", "brought_forward", "current", "new_carry", "expired", "total"),
    EXAMPLE_TABLE,
    ids=[str(row[0]) for row in EXAMPLE_TABLE],
)
def test_worked_example_reproduces_to_the_fen(
    example_paper: WorkingPaper,
    year: int,
    cap: int,
    brought_forward: dict[int, int],
    current: int,
    new_carry: int,
    expired: dict[int, int],
    total: int,
) -> None:
    paper = example_paper.year(year)
    assert paper.cap_fen == cap
    used = [ln for ln in paper.deductions if ln.kind is LineKind.BROUGHT_FORWARD]
    assert by_origin(used) == brought_forward
    assert [ln.origin_year for ln in used] == sorted(brought_forward)  # oldest first
    assert paper.current_general_deducted_fen == current
    assert paper.carried_forward_fen == new_carry
    assert by_origin(paper.expired) == expired
    assert paper.deducted_fen == total
    assert paper.adjustment_fen == paper.booked_fen - total


def test_worked_example_2024_shows_2021_balance_in_its_last_usable_year(
    example_paper: WorkingPaper,
) -> None:
    (balance,) = example_paper.year(2024).closing_balances
    assert (balance.origin_year, balance.amount_fen, balance.last_usable_year) == (
        2021,
        12 * WAN,
        2024,
    )
    assert balance.donation_ids == ("G2021",)


def test_worked_example_targeted_is_outside_the_cap_and_in_full_in_a_loss_year(
    example_paper: WorkingPaper,
) -> None:
    assert example_paper.year(2019).targeted_deducted_fen == 300 * WAN
    loss_year = example_paper.year(2021)
    assert loss_year.cap_fen == 0
    assert loss_year.cap_reason.code == "cap_zero_no_profit"
    assert loss_year.targeted_deducted_fen == 50 * WAN
    assert loss_year.cap_used_fen == 0


def test_worked_example_2026_targeted_is_treated_as_general_after_the_window(
    example_paper: WorkingPaper,
) -> None:
    paper = example_paper.year(2026)
    assert paper.targeted_deducted_fen == 0
    (booked,) = paper.booked
    assert booked.reason.code == "booked_targeted_as_general"
    (current,) = paper.deductions
    assert current.kind is LineKind.CURRENT_GENERAL and current.donation_ids == ("T2026",)


def test_worked_example_lines_name_the_receipts_they_derive_from(
    example_paper: WorkingPaper,
) -> None:
    paper = example_paper.year(2019)
    current = next(ln for ln in paper.deductions if ln.kind is LineKind.CURRENT_GENERAL)
    assert [(s.receipt_number, s.amount_fen) for s in current.sources] == [
        ("R-G2019a", 100 * WAN),
        ("R-G2019b", 20 * WAN),
    ]
    (carried,) = paper.carried_forward
    assert [(s.receipt_number, s.amount_fen) for s in carried.sources] == [("R-G2019b", 30 * WAN)]
    assert (carried.origin_year, carried.last_usable_year) == (2019, 2022)
    # 2020 uses the 2019 carry-forward: traced back to the same receipt.
    (used,) = [ln for ln in example_paper.year(2020).deductions if ln.origin_year == 2019]
    assert used.receipt_numbers == ("R-G2019b",)


def test_worked_example_adjustments_are_booked_minus_deducted(
    example_paper: WorkingPaper,
) -> None:
    adjustments = {paper.year: paper.adjustment_fen for paper in example_paper.years}
    assert adjustments == {
        2019: 30 * WAN,  # 450 booked − 420 deducted: 纳税调增
        2020: -20 * WAN,  # 40 booked − 60 deducted: carry-forward used, 纳税调减
        2021: 20 * WAN,
        2022: -12 * WAN,
        2023: -6 * WAN,
        2024: 0,
        2025: 0,
        2026: 0,
    }


# --- parameters are data ----------------------------------------------------------------------


def test_extending_the_targeted_window_is_a_data_change(example_paper: WorkingPaper) -> None:
    (window,) = TAX_PARAMS.targeted_full_deduction
    extended = dataclasses.replace(
        TAX_PARAMS,
        targeted_full_deduction=(dataclasses.replace(window, donated_until=date(2026, 12, 31)),),
    )
    donations = [*EXAMPLE_DONATIONS, line("G2026", date(2026, 9, 1), 150 * WAN)]
    profits = {year: wan * WAN for year, wan in EXAMPLE_PROFIT_WAN.items()}
    before = enterprise_working_paper(profit_fen_by_year=profits, donations=donations).year(2026)
    after = enterprise_working_paper(
        profit_fen_by_year=profits, donations=donations, params=extended
    ).year(2026)
    # Default table: T2026 is general and shares the 120 cap with G2026 (30 carried).
    assert before.targeted_deducted_fen == 0
    assert before.cap_used_fen == 120 * WAN
    assert before.carried_forward_fen == 130 * WAN
    # Extended table: T2026 in full outside the cap; G2026 alone uses the cap.
    assert after.targeted_deducted_fen == 100 * WAN
    assert after.current_general_deducted_fen == 120 * WAN
    assert after.carried_forward_fen == 30 * WAN
    assert after.deducted_fen == 220 * WAN


def test_a_different_cap_rate_is_a_data_change() -> None:
    params = dataclasses.replace(
        TAX_PARAMS,
        general_cap=(
            CapRateRow(first_year=2008, last_year=2019, rate_bp=1200, source="x"),
            CapRateRow(first_year=2020, last_year=None, rate_bp=1500, source="y"),
        ),
    )
    paper = enterprise_working_paper(
        profit_fen_by_year={2019: 100 * WAN, 2020: 100 * WAN},
        donations=[line("A", date(2019, 1, 5), 50 * WAN), line("B", date(2020, 1, 5), 50 * WAN)],
        params=params,
    )
    assert [p.cap_fen for p in paper.years] == [12 * WAN, 15 * WAN]


def test_overlapping_parameter_rows_are_refused() -> None:
    with pytest.raises(TaxParamsError):
        dataclasses.replace(
            TAX_PARAMS,
            general_cap=(
                CapRateRow(first_year=2008, last_year=None, rate_bp=1200, source="x"),
                CapRateRow(first_year=2020, last_year=None, rate_bp=1500, source="y"),
            ),
        )


def test_parameter_table_matches_rules_md_section_1_3() -> None:
    assert TAX_PARAMS.general_cap_row(2008).rate_bp == 1200
    assert TAX_PARAMS.carry_forward_row(date(2016, 8, 31)).years == 0
    assert TAX_PARAMS.carry_forward_row(date(2016, 9, 1)).years == 3
    assert TAX_PARAMS.targeted_window_row(date(2018, 12, 31)) is None
    assert TAX_PARAMS.targeted_window_row(date(2019, 1, 1)) is not None
    assert TAX_PARAMS.targeted_window_row(date(2025, 12, 31)) is not None
    assert TAX_PARAMS.targeted_window_row(date(2026, 1, 1)) is None
    lookback = TAX_PARAMS.legacy_lookback_row(date(2015, 1, 1))
    assert lookback is not None and lookback.applied_in_year == 2019
    assert TAX_PARAMS.legacy_lookback_row(date(2014, 12, 31)) is None
    assert TAX_PARAMS.individual_cap_row(2019).rate_bp == 3000
    rows = [TAX_PARAMS.general_cap, TAX_PARAMS.carry_forward, TAX_PARAMS.targeted_full_deduction]
    assert all(row.source for table in rows for row in table)


# --- specific rules ---------------------------------------------------------------------------


def test_cap_is_twelve_percent_of_positive_profit_rounded_half_up_to_the_fen() -> None:
    assert apply_rate(amount_fen=13, rate_bp=1200) == 2  # 1.56 fen
    assert apply_rate(amount_fen=4, rate_bp=1200) == 0  # 0.48 fen
    assert apply_rate(amount_fen=5, rate_bp=3000) == 2  # 1.5 fen: half-up
    assert apply_rate(amount_fen=1, rate_bp=3000) == 0  # 0.3 fen
    paper = enterprise_working_paper(
        profit_fen_by_year={2020: 13}, donations=[line("A", date(2020, 1, 1), 100)]
    )
    assert paper.year(2020).cap_fen == 2
    assert paper.year(2020).current_general_deducted_fen == 2


def test_excess_before_charity_law_is_lost_and_later_2016_excess_carries() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2016: 100 * WAN, 2017: 1000 * WAN},
        donations=[
            line("AUG", date(2016, 8, 31), 10 * WAN),
            line("SEP", date(2016, 9, 1), 10 * WAN),
        ],
    )
    y2016 = paper.year(2016)
    # Cap 12: the non-carriable August gift is deducted first, September's excess 8 carries.
    current = next(ln for ln in y2016.deductions if ln.kind is LineKind.CURRENT_GENERAL)
    assert [(s.donation_id, s.amount_fen) for s in current.sources] == [
        ("AUG", 10 * WAN),
        ("SEP", 2 * WAN),
    ]
    assert y2016.expired == ()
    (carried,) = y2016.carried_forward
    assert (carried.donation_ids, carried.amount_fen, carried.last_usable_year) == (
        ("SEP",),
        8 * WAN,
        2019,
    )
    assert paper.year(2017).brought_forward_used_fen == 8 * WAN


def test_excess_before_charity_law_expires_in_its_own_year() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2015: 100 * WAN, 2016: 1000 * WAN},
        donations=[line("A", date(2015, 3, 1), 20 * WAN)],
    )
    (lost,) = paper.year(2015).expired
    assert (lost.reason.code, lost.amount_fen, lost.origin_year) == (
        "expired_not_carriable",
        8 * WAN,
        2015,
    )
    assert paper.year(2016).brought_forward_used_fen == 0


def test_carry_forward_expires_after_three_years() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2020: 0, 2021: 0, 2022: 0, 2023: 0, 2024: 100 * WAN},
        donations=[line("A", date(2020, 1, 1), 5 * WAN)],
    )
    assert [p.closing_balance_fen for p in paper.years[:4]] == [5 * WAN] * 4
    assert paper.year(2023).expired == ()
    (lost,) = paper.year(2024).expired
    assert (lost.reason.code, lost.origin_year, lost.last_usable_year) == (
        "expired_carry_forward",
        2020,
        2023,
    )
    assert paper.year(2024).deducted_fen == 0


def test_legacy_targeted_donations_of_2015_to_2018_are_deducted_in_full_in_2019() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2015: 0, 2016: 0, 2017: 100 * WAN, 2018: 0, 2019: 0},
        donations=[
            line("T2015", date(2015, 6, 1), 30 * WAN, targeted=True),
            line("T2017", date(2017, 6, 1), 20 * WAN, targeted=True),
            line("G2017", date(2017, 7, 1), 5 * WAN),
        ],
    )
    # 2015: no profit, not carriable — but held for the 2019 look-back instead of being lost.
    y2015 = paper.year(2015)
    assert y2015.expired == ()
    (held,) = y2015.carried_forward
    assert held.reason.code == "carry_forward_held_for_lookback"
    assert paper.year(2018).closing_balances[0].reason.code == "balance_held_for_lookback"
    # 2017: cap 12 goes to T2017 (earlier date), 8 of it and all of G2017 carry forward.
    assert paper.year(2017).current_general_deducted_fen == 12 * WAN
    # 2019: loss, yet both legacy remainders are deducted in full; G2017 stays carried.
    y2019 = paper.year(2019)
    assert by_origin(ln for ln in y2019.deductions if ln.kind is LineKind.LEGACY_TARGETED) == {
        2015: 30 * WAN,
        2017: 8 * WAN,
    }
    assert y2019.closing_balance_fen == 5 * WAN
    assert y2019.closing_balances[0].donation_ids == ("G2017",)


def test_targeted_donation_before_2015_gets_no_lookback() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2014: 0, 2015: 0, 2016: 0, 2017: 0, 2018: 0, 2019: 0},
        donations=[line("T2014", date(2014, 6, 1), 30 * WAN, targeted=True)],
    )
    assert paper.year(2014).booked[0].reason.code == "booked_targeted_as_general"
    assert paper.year(2014).expired_fen == 30 * WAN
    assert paper.total_deducted_fen == 0


def test_non_qualifying_donation_is_booked_but_never_deducted_or_carried() -> None:
    paper = enterprise_working_paper(
        profit_fen_by_year={2020: 1000 * WAN, 2021: 1000 * WAN},
        donations=[line("DIRECT", date(2020, 3, 1), 10 * WAN, targeted=True, qualifying=False)],
    )
    y2020 = paper.year(2020)
    assert y2020.booked_fen == 10 * WAN
    assert y2020.deducted_fen == 0
    assert y2020.non_deductible_fen == 10 * WAN
    assert y2020.carried_forward == ()
    assert y2020.adjustment_fen == 10 * WAN
    assert paper.year(2021).deducted_fen == 0


@pytest.mark.parametrize(
    ("profits", "donations", "code"),
    [
        ({}, [], "no_years"),
        ({2020: 0, 2022: 0}, [], "years_not_contiguous"),
        ({2020: 0}, [line("A", date(2021, 1, 1), 1)], "donation_outside_years"),
        ({2020: 0}, [line("A", date(2020, 1, 1), 0)], "amount_not_positive"),
        (
            {2020: 0},
            [line("A", date(2020, 1, 1), 1), line("A", date(2020, 2, 1), 1)],
            "duplicate_donation",
        ),
        ({2007: 0}, [], "no_rule_for_period"),
    ],
)
def test_bad_inputs_are_refused_with_a_code(
    profits: dict[int, int], donations: list[DonationLine], code: str
) -> None:
    with pytest.raises(TaxRuleError) as caught:
        enterprise_working_paper(profit_fen_by_year=profits, donations=donations)
    assert caught.value.code == code
    assert caught.value.status == 422
    assert caught.value.message


# --- individuals ------------------------------------------------------------------------------


def test_individual_cap_is_thirty_percent_without_carry_forward_or_full_targeted() -> None:
    helper = individual_statement_helper(
        tax_year=2024,
        taxable_income_fen=100_000_00,  # 100,000 yuan
        donations=[
            line("A", date(2024, 3, 1), 20_000_00, targeted=True),
            line("B", date(2024, 6, 1), 15_000_00),
            line("C", date(2024, 7, 1), 1_000_00, qualifying=False),
        ],
    )
    assert helper.cap_fen == 30_000_00
    assert helper.deductible_fen == 30_000_00
    assert helper.excess_fen == 5_000_00
    assert helper.non_deductible_fen == 1_000_00
    assert {ln.reason.code for ln in helper.booked} == {
        "individual_booked_targeted_capped",
        "individual_booked_qualifying",
        "booked_non_qualifying",
    }
    (excess,) = helper.excess
    assert excess.reason.code == "individual_excess_not_carried"
    assert excess.donation_ids == ("B",)
    assert helper.cap_reason.message.endswith("四舍五入到分")


def test_individual_negative_income_gives_zero_cap() -> None:
    helper = individual_statement_helper(
        tax_year=2024, taxable_income_fen=-5, donations=[line("A", date(2024, 1, 2), 10)]
    )
    assert (helper.cap_fen, helper.deductible_fen, helper.excess_fen) == (0, 0, 10)


def test_individual_helper_refuses_other_years_and_years_without_a_rule() -> None:
    with pytest.raises(TaxRuleError) as caught:
        individual_statement_helper(
            tax_year=2024, taxable_income_fen=1, donations=[line("A", date(2023, 1, 2), 10)]
        )
    assert caught.value.code == "donation_outside_tax_year"
    with pytest.raises(TaxRuleError) as caught:
        individual_statement_helper(tax_year=2018, taxable_income_fen=1, donations=[])
    assert caught.value.code == "no_rule_for_period"


def test_reason_messages_have_no_bare_percent_sign() -> None:
    # gettext only %-formats when params are given: a literal "%" would show as "%%" or break.
    for code, message in TAX_REASONS.items():
        assert not re.search(r"%(?!\()", message), code


# --- properties -------------------------------------------------------------------------------

BOUNDARY_DATES = [
    date(2015, 1, 1),
    date(2016, 8, 31),
    CHARITY_LAW,
    date(2018, 12, 31),
    date(2019, 1, 1),
    date(2025, 12, 31),
    date(2026, 1, 1),
]


@st.composite
def paper_inputs(draw: st.DrawFn) -> tuple[dict[int, int], list[DonationLine]]:
    first = draw(st.integers(2013, 2026))
    years = list(range(first, first + draw(st.integers(1, 8))))
    amounts = st.integers(-50 * WAN, 400 * WAN) | st.sampled_from([0, 1, -1, 13])
    profits = {year: draw(amounts) for year in years}
    donations = []
    for index in range(draw(st.integers(0, 8))):
        year = draw(st.sampled_from(years))
        edges = [d for d in BOUNDARY_DATES if d.year == year]
        any_day = st.dates(date(year, 1, 1), date(year, 12, 31))
        day = draw(st.sampled_from(edges) | any_day if edges else any_day)
        donations.append(
            line(
                f"D{index}",
                day,
                draw(st.integers(1, 150 * WAN) | st.sampled_from([1, 7])),
                targeted=draw(st.booleans()),
                qualifying=draw(st.integers(0, 4)) > 0,
            )
        )
    return profits, donations


PROPERTY = settings(max_examples=150, deadline=None)


def _paper(inputs: tuple[dict[int, int], list[DonationLine]]) -> WorkingPaper:
    profits, donations = inputs
    return enterprise_working_paper(profit_fen_by_year=profits, donations=donations)


@PROPERTY
@given(paper_inputs())
def test_deduction_never_exceeds_donations_plus_brought_forward(inputs) -> None:
    profits, donations = inputs
    for paper in _paper(inputs).years:
        qualifying = sum(
            d.amount_fen for d in donations if d.qualifying and d.donated_on.year == paper.year
        )
        assert paper.deducted_fen <= qualifying + paper.opening_balance_fen


@PROPERTY
@given(paper_inputs())
def test_general_deduction_never_exceeds_twelve_percent_of_positive_profit(inputs) -> None:
    profits, _ = inputs
    for paper in _paper(inputs).years:
        expected_cap = (max(profits[paper.year], 0) * 12 + 50) // 100
        assert paper.cap_fen == expected_cap
        assert paper.cap_used_fen <= expected_cap


@PROPERTY
@given(paper_inputs())
def test_carried_amounts_expire_after_three_years_and_never_before(inputs) -> None:
    paper = _paper(inputs)
    for year_paper in paper.years:
        for ln in year_paper.expired:
            if ln.reason.code == "expired_carry_forward":
                assert ln.last_usable_year == ln.origin_year + 3
                assert year_paper.year == ln.last_usable_year + 1
                # It could not be used in its last year: that year's cap was exhausted.
                if ln.last_usable_year >= paper.years[0].year:
                    last = paper.year(ln.last_usable_year)
                    assert last.cap_used_fen == last.cap_fen
            else:
                assert ln.reason.code == "expired_not_carriable"
                assert ln.origin_year == year_paper.year
        for ln in year_paper.deductions:
            if ln.kind is LineKind.BROUGHT_FORWARD:
                assert ln.origin_year is not None
                assert ln.origin_year < year_paper.year <= ln.origin_year + 3
        for ln in year_paper.closing_balances:
            if ln.reason.code == "balance_carried":
                assert ln.origin_year is not None
                assert year_paper.year <= ln.last_usable_year == ln.origin_year + 3


@PROPERTY
@given(paper_inputs())
def test_oldest_carry_forward_is_used_first(inputs) -> None:
    for paper in _paper(inputs).years:
        used = [ln for ln in paper.deductions if ln.kind is LineKind.BROUGHT_FORWARD]
        assert [ln.origin_year for ln in used] == sorted(ln.origin_year for ln in used)
        for ln in used:
            older_left = [
                b
                for b in paper.closing_balances
                if b.reason.code == "balance_carried"
                and b.origin_year < ln.origin_year
                and b.last_usable_year >= paper.year
            ]
            assert older_left == [], "a younger carry-forward was used before an older one"
        # Brought-forward before current: current general only if no usable balance is left.
        if paper.current_general_deducted_fen:
            assert not [
                b
                for b in paper.closing_balances
                if b.reason.code == "balance_carried"
                and b.origin_year < paper.year <= b.last_usable_year
            ]


@PROPERTY
@given(paper_inputs())
def test_targeted_inside_the_window_is_always_fully_deducted_even_with_a_loss(inputs) -> None:
    _, donations = inputs
    paper = _paper(inputs)
    for d in donations:
        if d.qualifying and d.targeted and WINDOW[0] <= d.donated_on <= WINDOW[1]:
            year = paper.year(d.donated_on.year)
            shares = [
                s.amount_fen
                for ln in year.deductions
                if ln.kind is LineKind.TARGETED_FULL
                for s in ln.sources
                if s.donation_id == d.donation_id
            ]
            assert shares == [d.amount_fen]


@PROPERTY
@given(paper_inputs())
def test_donations_before_charity_law_never_carry_forward(inputs) -> None:
    _, donations = inputs
    early = {d.donation_id: d for d in donations if d.donated_on < CHARITY_LAW}
    for ln in _paper(inputs).lines():
        for s in ln.sources:
            if s.donation_id not in early:
                continue
            if ln.kind is LineKind.BROUGHT_FORWARD:
                raise AssertionError("a pre-2016-09-01 donation was brought forward")
            if ln.kind in (LineKind.CARRIED_FORWARD, LineKind.BALANCE):
                # Only the 2019 No. 49 look-back may hold a 2015–2016-08 targeted donation.
                d = early[s.donation_id]
                assert d.targeted and LOOKBACK[0] <= d.donated_on
                assert ln.reason.code in (
                    "carry_forward_held_for_lookback",
                    "balance_held_for_lookback",
                )


@PROPERTY
@given(paper_inputs())
def test_non_qualifying_donations_are_never_deducted(inputs) -> None:
    _, donations = inputs
    bad = {d.donation_id: d.amount_fen for d in donations if not d.qualifying}
    non_deductible: dict[str, int] = defaultdict(int)
    for ln in _paper(inputs).lines():
        for s in ln.sources:
            if s.donation_id in bad:
                assert ln.kind in (LineKind.BOOKED, LineKind.NON_DEDUCTIBLE)
                if ln.kind is LineKind.NON_DEDUCTIBLE:
                    non_deductible[s.donation_id] += s.amount_fen
    assert non_deductible == bad


@PROPERTY
@given(paper_inputs())
def test_every_line_is_traceable_to_donations(inputs) -> None:
    _, donations = inputs
    known = {d.donation_id: d for d in donations}
    for ln in _paper(inputs).lines():
        assert ln.amount_fen > 0
        assert ln.sources
        assert ln.amount_fen == sum(s.amount_fen for s in ln.sources)
        for s in ln.sources:
            source = known[s.donation_id]
            assert (s.receipt_number, s.donated_on) == (source.receipt_number, source.donated_on)
            assert 0 < s.amount_fen <= source.amount_fen
        assert ln.reason.code in TAX_REASONS
        assert ln.reason.message and ln.reason.citation


@PROPERTY
@given(paper_inputs())
def test_booked_equals_deducted_plus_expired_plus_carried_plus_non_deductible(inputs) -> None:
    _, donations = inputs
    paper = _paper(inputs)
    assert paper.total_booked_fen == sum(d.amount_fen for d in donations)
    assert paper.total_booked_fen == (
        paper.total_deducted_fen
        + paper.total_expired_fen
        + paper.still_carried_fen
        + paper.total_non_deductible_fen
    )
    # And per donation: every fen ends in exactly one final bucket.
    ends: dict[str, int] = defaultdict(int)
    final = paper.years[-1].closing_balances
    for year_paper in paper.years:
        for ln in (*year_paper.deductions, *year_paper.expired, *year_paper.non_deductible):
            for s in ln.sources:
                ends[s.donation_id] += s.amount_fen
    for ln in final:
        for s in ln.sources:
            ends[s.donation_id] += s.amount_fen
    assert dict(ends) == {d.donation_id: d.amount_fen for d in donations}


@PROPERTY
@given(paper_inputs(), st.randoms(use_true_random=False))
def test_working_paper_does_not_depend_on_input_order(inputs, rnd) -> None:
    profits, donations = inputs
    shuffled = list(donations)
    rnd.shuffle(shuffled)
    assert _paper(inputs) == enterprise_working_paper(
        profit_fen_by_year=profits, donations=shuffled
    )


def test_default_parameter_table_is_consistent() -> None:
    # Re-building the table from its own rows runs every consistency check.
    assert TaxParams(**{f.name: getattr(TAX_PARAMS, f.name) for f in dataclasses.fields(TaxParams)})
