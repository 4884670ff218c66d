"""Working days for the public notice (公示) of a commendation round (docs/rules.md §5.1).

The public notice (公示) runs for a number of working days. Weekends and holidays are data: the
table below has the State Council holiday arrangements for **2024, 2025 and 2026** (public
holidays and 调休 make-up working days). **2027 is not included**: its arrangement is published
by the State Council around November of the year before and was not available; for dates the
table does not cover, pass the holidays in (``prc_calendar_covers`` tells you).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

from fupin.commendation.rules.ranking import CommendationRuleError


def _days(year: int, spans: Sequence[tuple[int, int, int, int]]) -> frozenset[date]:
    """Expand (month, day, month, day) inclusive spans of one year into dates."""
    days: set[date] = set()
    for m1, d1, m2, d2 in spans:
        day, end = date(year, m1, d1), date(year, m2, d2)
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


#: State Council holiday arrangements (国务院办公厅关于…年部分节假日安排的通知): days off.
#: 2024: gov.cn/zhengce/content/202310/content_6911527.htm
#: 2025: gov.cn/zhengce/content/202411/content_6986382.htm
#: 2026: notice of 2025-11-04 (新华社, reposted politics.gmw.cn/2025-11/04/content_38391083.htm)
PRC_HOLIDAYS: frozenset[date] = (
    _days(
        2024,
        [(1, 1, 1, 1), (2, 10, 2, 17), (4, 4, 4, 6), (5, 1, 5, 5), (6, 10, 6, 10)]
        + [(9, 15, 9, 17), (10, 1, 10, 7)],
    )
    | _days(
        2025,
        [(1, 1, 1, 1), (1, 28, 2, 4), (4, 4, 4, 6), (5, 1, 5, 5), (5, 31, 6, 2), (10, 1, 10, 8)],
    )
    | _days(
        2026,
        [(1, 1, 1, 3), (2, 15, 2, 23), (4, 4, 4, 6), (5, 1, 5, 5), (6, 19, 6, 21)]
        + [(9, 25, 9, 27), (10, 1, 10, 7)],
    )
)

#: 调休 make-up working days (weekend days worked), same notices.
PRC_MAKEUP_WORKDAYS: frozenset[date] = frozenset(
    [
        *(date(2024, m, d) for m, d in [(2, 4), (2, 18), (4, 7), (4, 28), (5, 11), (9, 14)]),
        *(date(2024, m, d) for m, d in [(9, 29), (10, 12)]),
        *(date(2025, m, d) for m, d in [(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)]),
        *(date(2026, m, d) for m, d in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]),
    ]
)

#: Years whose arrangement is in the two tables above.
PRC_CALENDAR_YEARS: frozenset[int] = frozenset({2024, 2025, 2026})


def prc_calendar_covers(start: date, end: date) -> bool:
    """Whether every day from ``start`` to ``end`` lies in a year the built-in table covers."""
    return all(year in PRC_CALENDAR_YEARS for year in range(start.year, end.year + 1))


def is_working_day(
    day: date, holidays: Collection[date] = frozenset(), *, makeup_workdays: Collection[date] = ()
) -> bool:
    """Monday–Friday unless a holiday; a make-up working day (调休) is worked even at a weekend."""
    if day in makeup_workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start_date: date,
    n: int,
    holidays: Collection[date] = frozenset(),
    *,
    makeup_workdays: Collection[date] = (),
) -> date:
    """The ``n``-th working day after ``start_date`` (``start_date`` itself is not counted);
    ``n == 0`` returns ``start_date``."""
    if n < 0:
        raise CommendationRuleError("working_days_negative", field="n")
    day, counted = start_date, 0
    # Bounded: even with a 9-day holiday every week no real calendar needs more than 10 days
    # per working day; a broken holiday set (every day off) raises instead of looping.
    for _step in range(10 * n + 366):
        if counted == n:
            return day
        day += timedelta(days=1)
        if is_working_day(day, holidays, makeup_workdays=makeup_workdays):
            counted += 1
    if counted == n:
        return day
    raise CommendationRuleError("no_working_day_found")


def notice_period_end(
    *,
    start: date,
    working_days: int,
    holidays: Collection[date] = frozenset(),
    makeup_workdays: Collection[date] = (),
) -> date:
    """Last day (inclusive) of a public notice (公示) of ``working_days`` working days that
    opens on ``start``: ``start`` counts as day 1 if it is a working day, otherwise the notice
    starts counting on the next working day."""
    if working_days <= 0:
        raise CommendationRuleError("notice_days_not_positive", field="working_days")
    return add_working_days(
        start - timedelta(days=1), working_days, holidays, makeup_workdays=makeup_workdays
    )
