"""The documented lagging schedule and the other pure rules of pair assessment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.pairs.rules import alerts as pa


@pytest.mark.parametrize(
    ("today", "quarters", "expected"),
    [
        (date(2025, 3, 31), 0, 0),
        (date(2025, 4, 1), 1, 10),
        (date(2025, 7, 1), 2, 25),
        (date(2025, 9, 30), 2, 25),
        (date(2025, 10, 1), 3, 50),
        (date(2025, 12, 31), 3, 50),
        (date(2026, 1, 1), 4, 100),
    ],
)
def test_expected_share_follows_the_quarter_schedule(today, quarters, expected) -> None:
    assert pa.completed_quarters(2025, today) == quarters
    assert pa.expected_share_pct(2025, today) == expected


def test_under_half_of_a_money_target_after_the_third_quarter_is_behind() -> None:
    october = date(2025, 10, 15)
    assert pa.assess(1_000_000, 499_999, 2025, october).status == pa.BEHIND
    assert pa.assess(1_000_000, 500_000, 2025, october).status == pa.ON_TRACK  # exactly on the line
    assert pa.assess(1_000_000, 1_000_000, 2025, october).status == pa.DONE


def test_after_the_year_a_figure_below_target_is_missed_and_a_future_year_not_started() -> None:
    assert pa.assess(100, 99, 2024, date(2025, 2, 1)).status == pa.MISSED
    assert pa.assess(100, 0, 2026, date(2025, 2, 1)).status == pa.NOT_STARTED
    assert pa.assess(None, 5, 2025, date(2025, 6, 1)).status == pa.NO_TARGET
    assert pa.assess(0, 5, 2025, date(2025, 6, 1)).status == pa.NO_TARGET


@settings(max_examples=60, deadline=None)
@given(
    target=st.integers(min_value=1, max_value=10**13),
    a=st.integers(min_value=0, max_value=10**13),
    b=st.integers(min_value=0, max_value=10**13),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
)
def test_more_done_is_never_judged_worse(target, a, b, day) -> None:
    low, high = sorted((a, b))
    order = [pa.DONE, pa.ON_TRACK, pa.NOT_STARTED, pa.BEHIND, pa.MISSED]
    worse_low = order.index(pa.assess(target, low, 2025, day).status)
    worse_high = order.index(pa.assess(target, high, 2025, day).status)
    assert worse_high <= worse_low


@settings(max_examples=60, deadline=None)
@given(
    target=st.integers(min_value=1, max_value=10**12),
    actual=st.integers(min_value=0, max_value=10**12),
)
def test_behind_means_exactly_below_the_expected_share(target, actual) -> None:
    day = date(2025, 11, 1)  # three quarters done: 50 %
    progress = pa.assess(target, actual, 2025, day)
    if actual >= target:
        assert progress.status == pa.DONE
    else:
        assert (progress.status == pa.BEHIND) == (actual * 100 < target * 50)


def test_platform_money_counts_for_social_funds_when_it_is_larger() -> None:
    day = date(2025, 11, 1)
    alerts = pa.figure_alerts(
        year=2025,
        today=day,
        targets={"social_funds": 100, "cadres_exchanged": 10},
        reported={"social_funds": 10, "cadres_exchanged": 2},
        platform_money_fen=60,
    )
    assert [a.indicator for a in alerts] == ["cadres_exchanged"]
    alerts = pa.figure_alerts(
        year=2025,
        today=day,
        targets={"social_funds": 100},
        reported={"social_funds": 10},
        platform_money_fen=20,
    )
    assert alerts[0].source == "platform" and alerts[0].actual == 20


def test_unfunded_cutoff_is_n_days_before_now() -> None:
    now = datetime(2025, 11, 20, 8, tzinfo=UTC)
    assert pa.unfunded_cutoff(now, 90) == now - timedelta(days=90)
    with pytest.raises(ValueError):
        pa.unfunded_cutoff(now, 0)


@pytest.mark.parametrize(
    ("amounts", "share"),
    [
        ([], 0),
        ([0, 0], 0),
        ([100], 10000),
        ([50, 50], 5000),  # ceil(2 × 10 %) = 1 village of 2
        ([90] + [1] * 10, 9100),  # 11 villages → top 2: 90 + 1 of 100
        ([10] * 10, 1000),
    ],
)
def test_concentration_is_the_share_of_the_top_tenth_of_villages(amounts, share) -> None:
    assert pa.top_share_pct_x100(amounts) == share


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=60))
def test_concentration_lies_between_an_even_spread_and_everything(amounts) -> None:
    share = pa.top_share_pct_x100(amounts)
    if sum(amounts) == 0:
        assert share == 0
    else:
        top_n = -(-len(amounts) * 10 // 100)
        assert top_n * 10000 // len(amounts) - 1 <= share <= 10000


def test_every_indicator_has_a_unit_a_group_and_a_pair_kind() -> None:
    codes = [i.code for i in pa.INDICATORS]
    assert len(codes) == len(set(codes))
    for indicator in pa.INDICATORS:
        assert indicator.unit in (pa.MONEY, pa.PEOPLE, pa.COUNT)
        assert indicator.group in pa.GROUP_LABELS
        assert set(indicator.kinds) <= {pa.EAST_WEST, pa.DESIGNATED}
    # docs/rules.md §6: the areas every east–west agreement covers
    assert {
        "fiscal_aid",
        "social_funds",
        "cadres_exchanged",
        "investment",
        "products_purchased",
        "labour_placed",
        "pairings_county",
    } <= set(codes)
    assert {i.code for i in pa.indicators_for("designated")} >= {
        "funds_invested",
        "funds_attracted",
        "leader_visits",
    }
