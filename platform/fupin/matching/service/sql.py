"""A little portable SQL for matching, and the columns every candidate need is read with.

SQL is raw (plain SELECTs with bound parameters): the ORM would build thousands of objects per
request (``bench/matching.py``). SQLite without ``ANALYZE`` statistics picks the (state,
deadline) index for nearly any query on needs, so the per-request queries wrap the columns they
do not want used as an index in ``|| ''`` (``plain``; SQLite only, PostgreSQL plans from its
statistics).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from tortoise import connections

from fupin.core.clock import CHINA_TZ

_PARAM = re.compile(r":([a-z_][a-z0-9_]*)(\*?)")


async def select(text: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run a SELECT with named parameters (``:name``; ``:name*`` expands a list for ``IN``).

    Placeholders become SQLite's positional ``?`` or PostgreSQL's ``$n`` in the order they
    appear, so a condition added in the middle can never shift the others.
    """
    conn = connections.get("default")
    pg = conn.capabilities.dialect == "postgres"
    values: list[Any] = []

    def one(value: Any) -> str:
        if not pg:  # SQLite stores dates and timestamps as ISO text, as Tortoise writes them
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat(" ")
            elif isinstance(value, date):
                value = value.isoformat()
        values.append(value)
        return f"${len(values)}" if pg else "?"

    def sub(match: re.Match[str]) -> str:
        value = params[match.group(1)]
        if match.group(2):
            items = list(value)
            if not items:
                return "NULL"  # "x IN (NULL)" is never true
            return ", ".join(one(v) for v in items)
        return one(value)

    sql = _PARAM.sub(sub, text)
    _count, rows = await conn.execute_query(sql, values)
    return [tuple(r) for r in rows]


def plain(column: str) -> str:
    """The column in a form SQLite cannot use an index for (see the module docstring)."""
    if connections.get("default").capabilities.dialect == "postgres":
        return column
    return f"({column} || '')"


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def as_date(value: Any, *, exact: bool = True) -> date:
    """A date column, or a timestamp as a date in China. ``exact=False`` takes a stored
    timestamp's UTC date (cheap; for the one figure the ranking does not read)."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10:
        if not exact:
            return _day(text[:10])
        return datetime.fromisoformat(text).astimezone(CHINA_TZ).date()
    return _day(text)


def open_condition(*, indexed: bool = False) -> str:
    """Public and still open: published, money open, deadline today or later (docs/domain.md §3.4).
    Parameters ``:published`` and ``:today``. ``indexed`` lets SQLite use (state, deadline)."""
    state = "n.state" if indexed else plain("n.state")
    deadline = "n.deadline" if indexed else plain("n.deadline")
    return (
        f"{state} = :published AND {deadline} >= :today"
        " AND n.target_fen > 0 AND n.pledged_fen < n.target_fen"
    )


CANDIDATE_COLUMNS = (
    "n.id, n.category, n.region_id, r.level, r.parent_id, n.county_code, n.province_code,"
    " n.target_fen, n.pledged_fen, n.deadline, n.published_at, n.beneficiary_people,"
    " r.is_poor_village"
)
FROM = "FROM need n JOIN region r ON r.code = n.region_id"

#: (need, participant) of every active pledge and every confirmed, unreversed gift: who counts
#: as a donor of a need ("no donor yet in this village"). ``{only}`` narrows to some needs.
_DONOR_ROWS = """
    SELECT need_id, participant_id AS pid FROM pledge WHERE state IN (:active*){only_p}
    UNION
    SELECT d.need_id, d.donor_id FROM donation d
     WHERE d.state = :confirmed AND d.reverses_id IS NULL AND d.amount_fen > 0{only_d}
       AND NOT EXISTS (SELECT 1 FROM donation x WHERE x.reverses_id = d.id)
"""


def donor_rows(*, villages: bool = False) -> str:
    only = "SELECT id FROM need WHERE region_id IN (:villages*)"
    return _DONOR_ROWS.format(
        only_p=f" AND need_id IN ({only})" if villages else "",
        only_d=f" AND d.need_id IN ({only})" if villages else "",
    )
