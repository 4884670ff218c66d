"""Five-year commendation rules (docs/rules.md §5; docs/domain.md §3.9): categories, round validation,
deterministic ranking with exclusions and quotas, working days for the public notice."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.commendation.rules.calendar import (
    PRC_CALENDAR_YEARS,
    PRC_HOLIDAYS,
    PRC_MAKEUP_WORKDAYS,
    add_working_days,
    is_working_day,
    notice_period_end,
    prc_calendar_covers,
)
from fupin.commendation.rules.ranking import (
    COMMENDATION_REASONS,
    ERROR_MESSAGES,
    PARTICIPANT_KINDS,
    AwardType,
    CategorySpec,
    CommendationRuleError,
    Criteria,
    ParticipantAggregate,
    Scope,
    category_of,
    five_year_window,
    rank_category,
    rank_round,
    validate_round,
)

YUAN = 100


def agg(participant_id: int, kind: str = "enterprise", **overrides: object) -> ParticipantAggregate:
    values: dict[str, object] = {
        "participant_id": participant_id,
        "kind": kind,
        "name": f"参与方{participant_id}",
        "confirmed_cash_fen": 100_000 * YUAN,
        "in_kind_fen": 0,
        "targeted_fen": 0,
        "completed_needs": 3,
        "villages_reached": 2,
        "counties_reached": 1,
        "pledges_honoured": 1,
        "pledges_due": 1,
        "gave_anonymously": False,
        "anonymous_opt_in": False,
        "previous_award": False,
        "upheld_complaints": 0,
        "reversed_donations": 0,
    }
    values.update(overrides)
    return ParticipantAggregate(**values)  # type: ignore[arg-type]


DEDICATION_COLLECTIVE = CategorySpec(
    award_type=AwardType.DEDICATION, scope=Scope.COLLECTIVE, quota=2
)


# --- categories -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "award", "scope"),
    [
        ("social_org", AwardType.DEDICATION, Scope.COLLECTIVE),
        ("enterprise", AwardType.DEDICATION, Scope.COLLECTIVE),
        ("individual", AwardType.DEDICATION, Scope.INDIVIDUAL),
        ("central_unit", AwardType.CONTRIBUTION, Scope.COLLECTIVE),
        ("east_partner", AwardType.CONTRIBUTION, Scope.COLLECTIVE),
        ("democratic_party", AwardType.CONTRIBUTION, Scope.COLLECTIVE),
        ("military", AwardType.CONTRIBUTION, Scope.COLLECTIVE),
    ],
)
def test_participant_kind_maps_to_award_line_and_scope(
    kind: str, award: AwardType, scope: Scope
) -> None:
    assert category_of(kind) == (award, scope)


def test_participant_kinds_match_the_participant_model() -> None:
    from fupin.accounts.models import KINDS

    assert tuple(PARTICIPANT_KINDS) == tuple(KINDS)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(CommendationRuleError) as caught:
        category_of("foundation")
    assert caught.value.code == "unknown_kind"


# --- round validation -------------------------------------------------------------------------


def test_five_year_window_is_accepted() -> None:
    start, end = five_year_window(2021)
    assert (start, end) == (date(2021, 1, 1), date(2025, 12, 31))
    spec = validate_round(window_start=start, window_end=end, categories=[DEDICATION_COLLECTIVE])
    assert spec.years == (2021, 2022, 2023, 2024, 2025)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (date(2021, 1, 1), date(2024, 12, 31), "window_not_five_years"),
        (date(2021, 1, 1), date(2026, 12, 31), "window_not_five_years"),
        (date(2021, 2, 1), date(2025, 12, 31), "window_not_calendar_years"),
        (date(2021, 1, 1), date(2025, 12, 30), "window_not_calendar_years"),
        (date(2021, 1, 1), date(2021, 12, 31), "window_not_five_years"),
    ],
)
def test_round_window_must_be_exactly_five_calendar_years(
    start: date, end: date, code: str
) -> None:
    with pytest.raises(CommendationRuleError) as caught:
        validate_round(window_start=start, window_end=end, categories=[DEDICATION_COLLECTIVE])
    assert caught.value.code == code
    assert caught.value.status == 422
    assert caught.value.field in ("window_start", "window_end")


@pytest.mark.parametrize(
    ("categories", "code"),
    [
        ([], "no_categories"),
        ([dataclasses.replace(DEDICATION_COLLECTIVE, quota=0)], "quota_not_positive"),
        ([DEDICATION_COLLECTIVE, DEDICATION_COLLECTIVE], "duplicate_category"),
        (
            [CategorySpec(award_type=AwardType.CONTRIBUTION, scope=Scope.INDIVIDUAL, quota=1)],
            "category_without_kinds",
        ),
    ],
)
def test_round_categories_are_validated(categories: list[CategorySpec], code: str) -> None:
    start, end = five_year_window(2016)
    with pytest.raises(CommendationRuleError) as caught:
        validate_round(window_start=start, window_end=end, categories=categories)
    assert caught.value.code == code


def test_criteria_refuse_negative_minimums_and_rates_above_one_hundred_percent() -> None:
    with pytest.raises(CommendationRuleError):
        Criteria(min_completed_needs=-1)
    with pytest.raises(CommendationRuleError):
        Criteria(min_honour_rate_bp=10_001)


def test_aggregates_refuse_impossible_counts() -> None:
    with pytest.raises(CommendationRuleError) as caught:
        agg(1, pledges_honoured=3, pledges_due=2)
    assert caught.value.code == "honoured_exceeds_due"
    with pytest.raises(CommendationRuleError):
        agg(1, in_kind_fen=-1)


# --- ranking ----------------------------------------------------------------------------------


def test_ranking_tie_breaks_money_then_completed_needs_then_villages_then_id() -> None:
    money = 50_000 * YUAN
    aggregates = [
        agg(1, confirmed_cash_fen=money, completed_needs=1, villages_reached=9),
        agg(2, confirmed_cash_fen=money - 1, in_kind_fen=1, completed_needs=2, villages_reached=1),
        agg(3, confirmed_cash_fen=money, completed_needs=2, villages_reached=4),
        agg(4, confirmed_cash_fen=money, completed_needs=2, villages_reached=4),
        agg(5, confirmed_cash_fen=money + 1, completed_needs=0, villages_reached=0),
    ]
    category = dataclasses.replace(DEDICATION_COLLECTIVE, quota=10)
    ranking = rank_category(category=category, aggregates=aggregates)
    # 5 has the most money; 2's cash + in-kind equals the others'; among equal money and needs,
    # 2 has fewer villages than 3 and 4; 3 and 4 tie on everything but the id.
    assert [e.participant.participant_id for e in ranking.ranked] == [5, 3, 4, 2, 1]
    assert [e.rank for e in ranking.ranked] == [1, 2, 3, 4, 5]


def test_quota_cut_separates_nominees_from_reserves_and_flags_a_tie_at_the_cut() -> None:
    aggregates = [agg(i, confirmed_cash_fen=(10 - i) * YUAN) for i in range(1, 5)]
    ranking = rank_category(category=DEDICATION_COLLECTIVE, aggregates=aggregates)
    assert [e.participant.participant_id for e in ranking.nominees] == [1, 2]
    assert [e.participant.participant_id for e in ranking.reserves] == [3, 4]
    assert not ranking.tie_at_quota_cut
    tied = [agg(1), agg(2), agg(3)]  # identical records
    tied_ranking = rank_category(category=DEDICATION_COLLECTIVE, aggregates=tied)
    assert [e.participant.participant_id for e in tied_ranking.nominees] == [1, 2]
    assert tied_ranking.tie_at_quota_cut


def test_exclusions_list_every_reason() -> None:
    category = dataclasses.replace(
        DEDICATION_COLLECTIVE,
        criteria=Criteria(
            min_confirmed_money_fen=1_000_000 * YUAN,
            min_completed_needs=5,
            min_villages_reached=3,
            min_honour_rate_bp=9_000,
        ),
    )
    everything_wrong = agg(
        7,
        previous_award=True,
        upheld_complaints=2,
        gave_anonymously=True,
        pledges_honoured=8,
        pledges_due=10,
    )
    ranking = rank_category(category=category, aggregates=[everything_wrong])
    assert ranking.ranked == ()
    (exclusion,) = ranking.excluded
    assert exclusion.codes == (
        "excluded_previous_award",
        "excluded_upheld_complaint",
        "excluded_anonymous_without_opt_in",
        "below_min_money",
        "below_min_completed_needs",
        "below_min_villages",
        "below_min_honour_rate",
    )
    messages = [reason.message for reason in exclusion.reasons]
    assert "有2件经查实的投诉" in messages
    assert "认捐兑现率低于本类别的最低要求（90%）" in messages
    assert all(reason.citation for reason in exclusion.reasons)


@pytest.mark.parametrize(
    ("overrides", "excluded"),
    [
        ({"gave_anonymously": True, "anonymous_opt_in": True}, False),
        ({"gave_anonymously": True, "anonymous_opt_in": False}, True),
        ({"pledges_honoured": 9, "pledges_due": 10}, False),  # exactly 90 %
        ({"pledges_honoured": 8, "pledges_due": 9}, True),  # 88.9 %
        ({"pledges_honoured": 0, "pledges_due": 0}, False),  # no pledge due: passes
        ({"reversed_donations": 3}, False),  # shown, but not an exclusion by itself
        ({"upheld_complaints": 1}, True),
        ({"previous_award": True}, True),
    ],
)
def test_exclusion_edges(overrides: dict[str, object], excluded: bool) -> None:
    category = dataclasses.replace(
        DEDICATION_COLLECTIVE, criteria=Criteria(min_honour_rate_bp=9_000)
    )
    ranking = rank_category(category=category, aggregates=[agg(1, **overrides)])
    assert bool(ranking.excluded) is excluded
    assert bool(ranking.ranked) is not excluded


def test_minimums_are_inclusive() -> None:
    criteria = Criteria(
        min_confirmed_money_fen=100_000 * YUAN, min_completed_needs=3, min_villages_reached=2
    )
    category = dataclasses.replace(DEDICATION_COLLECTIVE, criteria=criteria)
    assert rank_category(category=category, aggregates=[agg(1)]).ranked
    poorer = agg(2, confirmed_cash_fen=100_000 * YUAN - 1)
    assert rank_category(category=category, aggregates=[poorer]).excluded[0].codes == (
        "below_min_money",
    )


def test_round_places_each_participant_in_its_category_only() -> None:
    start, end = five_year_window(2021)
    individual = CategorySpec(award_type=AwardType.DEDICATION, scope=Scope.INDIVIDUAL, quota=1)
    spec = validate_round(
        window_start=start, window_end=end, categories=[DEDICATION_COLLECTIVE, individual]
    )
    aggregates = [agg(1, "enterprise"), agg(2, "individual"), agg(3, "military")]
    result = rank_round(round_spec=spec, aggregates=aggregates)
    collective, person = result.categories
    assert [e.participant.participant_id for e in collective.ranked] == [1]
    assert [e.participant.participant_id for e in person.ranked] == [2]
    assert [a.participant_id for a in result.unplaced] == [3]


def test_duplicate_participants_are_refused() -> None:
    with pytest.raises(CommendationRuleError) as caught:
        rank_category(category=DEDICATION_COLLECTIVE, aggregates=[agg(1), agg(1)])
    assert caught.value.code == "duplicate_participant"


aggregates_strategy = st.lists(
    st.builds(
        agg,
        participant_id=st.integers(1, 10_000),
        kind=st.sampled_from(PARTICIPANT_KINDS),
        confirmed_cash_fen=st.sampled_from([0, 1_000, 5_000, 5_000_000]),
        in_kind_fen=st.sampled_from([0, 1_000]),
        completed_needs=st.integers(0, 3),
        villages_reached=st.integers(0, 3),
        gave_anonymously=st.booleans(),
        anonymous_opt_in=st.booleans(),
        previous_award=st.integers(0, 5).map(lambda n: n == 0),
        upheld_complaints=st.integers(0, 5).map(lambda n: int(n == 0)),
    ),
    max_size=25,
    unique_by=lambda a: a.participant_id,
)


@settings(max_examples=100, deadline=None)
@given(aggregates_strategy, st.randoms(use_true_random=False))
def test_ranking_is_deterministic_under_shuffling(aggregates, rnd) -> None:
    start, end = five_year_window(2016)
    spec = validate_round(
        window_start=start,
        window_end=end,
        categories=[
            CategorySpec(
                award_type=AwardType.DEDICATION,
                scope=Scope.COLLECTIVE,
                quota=3,
                criteria=Criteria(min_completed_needs=1),
            ),
            CategorySpec(award_type=AwardType.DEDICATION, scope=Scope.INDIVIDUAL, quota=2),
            CategorySpec(award_type=AwardType.CONTRIBUTION, scope=Scope.COLLECTIVE, quota=1),
        ],
    )
    shuffled = list(aggregates)
    rnd.shuffle(shuffled)
    first = rank_round(round_spec=spec, aggregates=aggregates)
    again = rank_round(round_spec=spec, aggregates=shuffled)
    assert first == again
    for ranking in first.categories:
        totals = [e.participant.total_confirmed_fen for e in ranking.ranked]
        assert totals == sorted(totals, reverse=True)
        assert len(ranking.nominees) == min(ranking.category.quota, len(ranking.ranked))
        placed = {e.participant.participant_id for e in ranking.ranked}
        assert placed.isdisjoint(x.participant.participant_id for x in ranking.excluded)
    counted = sum(len(r.ranked) + len(r.excluded) for r in first.categories)
    assert counted + len(first.unplaced) == len(aggregates)


def test_messages_have_no_bare_percent_sign() -> None:
    for message in (*COMMENDATION_REASONS.values(), *ERROR_MESSAGES.values()):
        params_used = "%(" in message
        assert not (params_used and re.search(r"%(?!\()", message)), message


# --- working days and the public notice -------------------------------------------------------

CALENDAR = {"holidays": PRC_HOLIDAYS, "makeup_workdays": PRC_MAKEUP_WORKDAYS}


def test_add_working_days_skips_weekends_and_holidays() -> None:
    friday = date(2023, 3, 3)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(friday, 1) == date(2023, 3, 6)
    assert add_working_days(friday, 5) == date(2023, 3, 10)
    assert add_working_days(friday, 1, {date(2023, 3, 6)}) == date(2023, 3, 7)


def test_make_up_working_day_counts_even_on_a_weekend() -> None:
    # 2024-09-29 (Sunday) was worked before National Day.
    assert is_working_day(date(2024, 9, 29), **CALENDAR)
    assert not is_working_day(date(2024, 9, 29))
    assert add_working_days(date(2024, 9, 27), 1, **CALENDAR) == date(2024, 9, 29)


def test_notice_over_national_day_2024_ends_after_the_holiday() -> None:
    # Opens Monday 30 Sep (day 1); 1–7 Oct off; 8, 9, 10, 11 Oct are days 2–5.
    assert notice_period_end(start=date(2024, 9, 30), working_days=5, **CALENDAR) == date(
        2024, 10, 11
    )
    # Without the holiday table only weekends are skipped.
    assert notice_period_end(start=date(2024, 9, 30), working_days=5) == date(2024, 10, 4)


def test_notice_over_spring_festival_2026_uses_the_saturday_make_up_day() -> None:
    # Thu 12 Feb (1), Fri 13 (2), Sat 14 make-up (3), 15–23 off, Tue 24 (4), Wed 25 (5).
    assert notice_period_end(start=date(2026, 2, 12), working_days=5, **CALENDAR) == date(
        2026, 2, 25
    )


def test_notice_opening_on_a_weekend_starts_counting_on_monday() -> None:
    assert notice_period_end(start=date(2023, 3, 4), working_days=5) == date(2023, 3, 10)
    assert notice_period_end(start=date(2023, 3, 6), working_days=1) == date(2023, 3, 6)


def test_working_day_arguments_are_validated_and_loops_are_bounded() -> None:
    with pytest.raises(CommendationRuleError):
        add_working_days(date(2024, 1, 1), -1)
    with pytest.raises(CommendationRuleError):
        notice_period_end(start=date(2024, 1, 1), working_days=0)
    every_day = {date(2024, 1, 1) + timedelta(days=i) for i in range(800)}
    with pytest.raises(CommendationRuleError) as caught:
        add_working_days(date(2024, 1, 1), 3, every_day)
    assert caught.value.code == "no_working_day_found"


def test_holiday_table_matches_the_state_council_notices() -> None:
    per_year = {year: sum(1 for d in PRC_HOLIDAYS if d.year == year) for year in PRC_CALENDAR_YEARS}
    assert per_year == {2024: 28, 2025: 28, 2026: 33}
    assert sorted(d.year for d in PRC_MAKEUP_WORKDAYS).count(2024) == 8
    assert sorted(d.year for d in PRC_MAKEUP_WORKDAYS).count(2025) == 5
    assert sorted(d.year for d in PRC_MAKEUP_WORKDAYS).count(2026) == 6
    assert all(d.weekday() >= 5 for d in PRC_MAKEUP_WORKDAYS)  # make-up days are weekend days
    assert not PRC_HOLIDAYS & PRC_MAKEUP_WORKDAYS
    assert date(2025, 10, 8) in PRC_HOLIDAYS and date(2026, 2, 23) in PRC_HOLIDAYS
    assert prc_calendar_covers(date(2024, 1, 1), date(2026, 12, 31))
    assert not prc_calendar_covers(date(2026, 12, 1), date(2027, 1, 15))
