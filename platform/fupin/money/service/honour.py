"""Honour rates from the database: the SQL twins of ``money.rules.honour`` (what has come due, and
when it counts in a period), for the participant's page, the public table, the API, the
recommendations and the commendation rounds. The dashboards read the same figures from the
rollups (``rollups.raw_rows_sql`` keys them by the settled month) plus ``open_past_due_sql``.

Anonymity: public rates leave anonymous pledges out (a count that grows when someone pledges
anonymously would reveal them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from fupin.accounts.models import Participant
from fupin.core.clock import today_cn
from fupin.core.sql import totals
from fupin.money.models import Pledge
from fupin.money.rules.honour import CLOSED_DUE_STATES, HonourRate
from fupin.money.rules.states import OPEN_PLEDGE_STATES

Period = tuple[date, date]  # first and last China day, inclusive


def come_due(today: date, period: Period | None = None) -> Q:
    """Pledges that have come due by ``today`` (and, with ``period``, were settled in it)."""
    open_past_due = Q(state__in=list(OPEN_PLEDGE_STATES), due_date__lt=today)
    if period is None:
        return Q(state__in=list(CLOSED_DUE_STATES)) | open_past_due
    first, last = period
    due_in = Q(due_date__gte=first, due_date__lte=last)
    honoured_in = Q(state="honoured", honoured_on__gte=first, honoured_on__lte=last)
    # pledges honoured before the day was kept count on their due date
    honoured_undated = Q(state="honoured", honoured_on__isnull=True) & due_in
    return honoured_in | honoured_undated | (Q(state="lapsed") & due_in) | (open_past_due & due_in)


_SUMS = {
    "n": Count("id"),
    "honoured": Count("id", _filter=Q(state="honoured")),
    "amount": Sum("amount_fen"),
    "paid": Sum("paid_fen"),
}


def _rate(row: dict[str, object]) -> HonourRate:
    return HonourRate(
        int(row.get("n") or 0),  # type: ignore[call-overload]
        int(row.get("honoured") or 0),  # type: ignore[call-overload]
        int(row.get("amount") or 0),  # type: ignore[call-overload]
        int(row.get("paid") or 0),  # type: ignore[call-overload]
    )


async def honour_rate(
    *,
    participant_id: int | None = None,
    pair_id: int | None = None,
    public: bool = False,
    period: Period | None = None,
    today: date | None = None,
) -> HonourRate:
    """Overall, or of one participant, or of the pledges one pair mobilised."""
    query = Pledge.filter(come_due(today or today_cn(), period))
    if participant_id is not None:
        query = query.filter(participant_id=participant_id)
    if pair_id is not None:
        query = query.filter(pair_id=pair_id)
    if public and participant_id is not None:
        # an overall figure singles nobody out; one participant's public rate leaves out what
        # they gave anonymously
        query = query.filter(anonymous=False)
    return _rate(await totals(query, **_SUMS))


async def honour_rates_of(
    participant_ids: Iterable[int],
    *,
    public: bool = False,
    period: Period | None = None,
    today: date | None = None,
) -> dict[int, HonourRate]:
    """The rate of each of ``participant_ids`` that has any pledge come due."""
    ids = list(participant_ids)
    if not ids:
        return {}
    query = Pledge.filter(come_due(today or today_cn(), period), participant_id__in=ids)
    if public:
        query = query.filter(anonymous=False)
    rows = (
        await query.annotate(**_SUMS)
        .group_by("participant_id")
        .order_by("participant_id")
        .values("participant_id", *_SUMS)
    )
    return {int(r["participant_id"]): _rate(r) for r in rows}


@dataclass(frozen=True)
class ParticipantRate:
    participant_id: int
    name: str
    kind: str
    rate: HonourRate


@dataclass
class RatePage:
    items: list[ParticipantRate]
    total: int
    page: int
    per_page: int


async def honour_rates_by_participant(
    *, today: date | None = None, page: int = 1, per_page: int = 20
) -> RatePage:
    """The public table: one row per participant with named (non-anonymous) pledges come due."""
    base = Pledge.filter(come_due(today or today_cn())).filter(anonymous=False)
    total_rows = (
        await base.annotate(n=Count("id")).group_by("participant_id").values("participant_id")
    )
    rows = (
        await base.annotate(**_SUMS)
        .group_by("participant_id")
        .order_by("participant_id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .values("participant_id", *_SUMS)
    )
    people = {p.id: p for p in await Participant.filter(id__in=[r["participant_id"] for r in rows])}
    items = [
        ParticipantRate(
            participant_id=r["participant_id"],
            name=people[r["participant_id"]].name,
            kind=people[r["participant_id"]].kind,
            rate=_rate(r),
        )
        for r in rows
        if r["participant_id"] in people
    ]
    return RatePage(items=items, total=len(total_rows), page=page, per_page=per_page)
