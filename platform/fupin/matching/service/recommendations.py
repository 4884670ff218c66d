"""Recommendations from the database: donor profiles, candidate needs, "not for us" marks and the
likely donors of a need (issue 8, BRIEF §3.11).

The ranking itself is the pure :mod:`fupin.matching.rules.ranking`; this module feeds it. Figures:
``bench/matching.py`` (recommendations at 100,000 needs, and how much the pruning loses).

**What is ranked.** Conceptually every public, open need (published, money still open, deadline
today or later) is ranked for the donor, with one :class:`~fupin.matching.rules.ranking.CandidatePool`
(equity references, beneficiaries-per-yuan percentiles) built from all of them, so every donor
is compared against the same references. Ranking 78,000 open needs costs ~300 ms, so each
request ranks a *pruned* set instead (a few thousand), chosen so that it contains what the full
ranking would put on top; ``bench/matching.py --recall`` measures how often it does.

**The open-needs snapshot.** Once per ``SNAPSHOT_MAX_AGE`` seconds a process reads every open
need (one indexed query), the money received per village and per county and the donors per
village (SQL aggregates over all needs), builds the candidates and the pool, and orders the
needs of each category, province, county and place by their *donor-independent* score (the
ranking's own formula evaluated for a donor about whom nothing is known: urgency, progress,
beneficiaries per yuan, equity, 832 and 三区三州). A stale snapshot keeps serving while a
background task rebuilds it.

**Pruning for one donor** (bounds are constants below; at most ``MAX_CANDIDATES``):

* the best needs in the helped regions of the donor's pairs, in its stated regions and in the
  counties it gave in before;
* the best needs of its stated and funded-before categories, and the best of those whose open
  amount one typical pledge of the donor would close;
* every open need of a sample of under-served places (villages, or counties for county-wide
  needs, that received less than the mean), half of them in the donor's provinces, seeded by
  donor and day (the same list all day, another tomorrow);
* the best needs overall, and needs published since the snapshot was taken (read live).

**What is shown is true now.** The needs that are returned are read again from the database
(state, open amount, deadline, money received by their village and county, donors, pledgers):
one that closed meanwhile is dropped and the next one takes its place, and the reasons are
explained from these figures, not from the snapshot's.

SQL is raw (plain SELECTs with bound parameters): the ORM would build thousands of objects per
request. SQLite without ``ANALYZE`` statistics picks the (state, deadline) index for nearly any
query on needs, so the per-request queries wrap the columns they do not want used as an index
in ``|| ''`` (SQLite only; PostgreSQL plans from its statistics).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import re
import statistics
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from fupin.accounts.models import Pair, Participant
from fupin.core import audit, clock
from fupin.core.categories import CATEGORIES
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.core.policy import Actor, Scope, can, require
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from fupin.i18n import _
from fupin.matching.models import NotForUs

# ``_evaluate`` / ``_DonorView``: the ranking's own score without explanations, so the
# snapshot's donor-independent order is exactly the ranking's formula (no second copy of it).
from fupin.matching.rules.ranking import (
    CandidateNeed,
    CandidatePool,
    DonorMatch,
    DonorProfile,
    PastGift,
    Reason,
    _DonorView,
    _evaluate,
    dislikes_from_marks,
    rank_likely_donors,
    rank_needs,
    render_reason,
    score_need,
)
from fupin.matching.rules.weights import (
    DEFAULT_LIKELY_DONOR_WEIGHTS,
    DEFAULT_WEIGHTS,
    LikelyDonorWeights,
    Weights,
)
from fupin.matching.service import invitations
from fupin.money.rules.states import ACTIVE_PLEDGE_STATES
from fupin.money.service.honour import honour_rates_of
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.needs.rules import effective_state
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import may_view, need_scope
from fupin.regions.models import Region

log = logging.getLogger(__name__)

# --- bounds ------------------------------------------------------------------------------------
PAIR_LIMIT = 700
STATED_REGION_LIMIT = 500
HISTORY_REGION_LIMIT = 250
HISTORY_COUNTIES = 20
CATEGORY_LIMIT = 600
FITS_PLEDGE_LIMIT = 250
#: needs looked at (best first) to find those a typical pledge closes
FITS_PLEDGE_SCAN = 20_000
UNDERSERVED_PLACES = 160
UNDERSERVED_LIMIT = 400
GENERAL_LIMIT = 200
NARROWED_LIMIT = 1500
FRESH_LIMIT = 500
MAX_CANDIDATES = (
    PAIR_LIMIT
    + STATED_REGION_LIMIT
    + HISTORY_REGION_LIMIT
    + CATEGORY_LIMIT
    + FITS_PLEDGE_LIMIT
    + UNDERSERVED_LIMIT
    + GENERAL_LIMIT
    + NARROWED_LIMIT
    + FRESH_LIMIT
)
#: Seconds a snapshot serves before it is rebuilt (in the background while the old one serves).
SNAPSHOT_MAX_AGE = 120.0
#: Extra needs ranked beyond the requested number, to replace ones that closed meanwhile.
RESERVE = 10
#: Recommendations shown at most (page and API).
MAX_LIMIT = 50
#: Pledges looked at for a donor's typical pledge (the most recent ones).
TYPICAL_PLEDGE_SAMPLE = 50
#: Likely donors: participants considered per source (pair helpers are always considered).
LIKELY_HISTORY_LIMIT = 300
LIKELY_STATED_LIMIT = 300

NOT_FOR_US_REASON_MAX = 200


# --- a little portable SQL ---------------------------------------------------------------------

_PARAM = re.compile(r":([a-z_][a-z0-9_]*)(\*?)")


async def _rows(text: str, **params: Any) -> list[tuple[Any, ...]]:
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


def _plain(column: str) -> str:
    """The column in a form SQLite cannot use an index for (see the module docstring)."""
    if connections.get("default").capabilities.dialect == "postgres":
        return column
    return f"({column} || '')"


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def _as_date(value: Any, *, exact: bool = True) -> date:
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


def _open_condition(*, indexed: bool = False) -> str:
    """Public and still open: published, money open, deadline today or later (BRIEF §3.4).
    Parameters ``:published`` and ``:today``. ``indexed`` lets SQLite use (state, deadline)."""
    state = "n.state" if indexed else _plain("n.state")
    deadline = "n.deadline" if indexed else _plain("n.deadline")
    return (
        f"{state} = :published AND {deadline} >= :today"
        " AND n.target_fen > 0 AND n.pledged_fen < n.target_fen"
    )


_CANDIDATE_COLUMNS = (
    "n.id, n.category, n.region_id, r.level, r.parent_id, n.county_code, n.province_code,"
    " n.target_fen, n.pledged_fen, n.deadline, n.published_at, n.beneficiary_people"
)
_FROM = "FROM need n JOIN region r ON r.code = n.region_id"

#: (need, participant) of every active pledge and every confirmed, unreversed gift: who counts
#: as a donor of a need ("no donor yet in this village"). ``{only}`` narrows to some needs.
_DONOR_ROWS = """
    SELECT need_id, participant_id AS pid FROM pledge WHERE state IN (:active*){only_p}
    UNION
    SELECT d.need_id, d.donor_id FROM donation d
     WHERE d.state = :confirmed AND d.reverses_id IS NULL AND d.amount_fen > 0{only_d}
       AND NOT EXISTS (SELECT 1 FROM donation x WHERE x.reverses_id = d.id)
"""


def _donor_rows(*, villages: bool = False) -> str:
    only = "SELECT id FROM need WHERE region_id IN (:villages*)"
    return _DONOR_ROWS.format(
        only_p=f" AND need_id IN ({only})" if villages else "",
        only_d=f" AND d.need_id IN ({only})" if villages else "",
    )


# --- the open-needs snapshot -------------------------------------------------------------------


@dataclass(frozen=True)
class CountyInfo:
    name: str
    prefecture_code: str | None
    province_code: str
    is_poverty_county: bool
    sanqu_sanzhou: bool


@dataclass
class Snapshot:
    """Every open need as a candidate, the pool, and the needs of each category, province,
    county, township and place (village, or county for county-wide needs) best first by the
    donor-independent score. Built by :func:`_build_snapshot`; read-only afterwards."""

    connection: object
    taken_at: float  # monotonic
    taken_wall: datetime  # UTC, for "published since"
    today: date
    counties: dict[str, CountyInfo]
    prefecture_counties: dict[str, list[str]]
    place_received: dict[str, int]
    county_received: dict[str, int]
    village_donors: dict[str, int]
    needs: dict[int, CandidateNeed]
    priority: dict[int, float]
    pool: CandidatePool
    best: list[int]
    by_category: dict[str, list[int]]
    by_province: dict[str, list[int]]
    by_county: dict[str, list[int]]
    by_township: dict[str, list[int]]
    by_place: dict[str, list[int]]
    #: places with an open need that received less than the mean of such places
    underserved_by_province: dict[str, list[str]]
    underserved: list[str]

    def key(self, need_id: int) -> tuple[float, int]:
        return (-self.priority[need_id], need_id)


_snapshot: Snapshot | None = None
_refresh: asyncio.Task[None] | None = None
_lock: asyncio.Lock | None = None
_lock_loop: asyncio.AbstractEventLoop | None = None
_NEUTRAL = DonorProfile(participant_id=0, kind="individual")
_YIELD_EVERY = 5000  # the rebuild yields to other requests this often


async def _county_infos() -> dict[str, CountyInfo]:
    rows = await _rows(
        "SELECT code, name, prefecture_code, province_code, is_poverty_county, sanqu_sanzhou"
        " FROM region WHERE level = :county",
        county="county",
    )
    return {
        code: CountyInfo(name, pref or None, prov, bool(poor), bool(sanqu))
        for code, name, pref, prov, poor, sanqu in rows
    }


def _candidate(
    row: tuple[Any, ...],
    counties: Mapping[str, CountyInfo],
    place_received: Mapping[str, int],
    county_received: Mapping[str, int],
    village_donors: Mapping[str, int],
    *,
    pledgers: Mapping[int, int] | None = None,
    exact: bool = False,
) -> CandidateNeed | None:
    (need_id, category, region_id, level, parent_id, county, province) = row[:7]
    (target, pledged, deadline, published_at, people) = row[7:]
    info = counties.get(county)
    if info is None or category not in CATEGORIES or int(target) <= 0:
        return None  # a need outside the loaded regions cannot be placed: not a candidate
    village = region_id if level == "village" else None
    township = parent_id if level == "village" else region_id if level == "township" else None
    target = int(target)
    return CandidateNeed(
        need_id=int(need_id),
        category=category,
        village_code=village,
        township_code=township,
        county_code=county,
        prefecture_code=info.prefecture_code,
        province_code=province,
        county_name=info.name,
        is_poverty_county=info.is_poverty_county,
        sanqu_sanzhou=info.sanqu_sanzhou,
        target_fen=target,
        open_fen=min(target, max(0, target - int(pledged))),
        deadline=_as_date(deadline),
        # ``published`` and ``pledger_count`` are not read by the ranking: cheap for the
        # snapshot, exact for the needs that are returned (see _exact_candidates).
        published=_as_date(published_at or deadline, exact=exact),
        beneficiary_people=max(0, int(people or 0)),
        pledger_count=(pledgers or {}).get(int(need_id), 0),
        village_received_fen=place_received.get(village, 0) if village else 0,
        county_received_fen=county_received.get(county, 0),
        village_donor_count=village_donors.get(village, 0) if village else 0,
    )


async def _build_snapshot(today: date) -> Snapshot:
    started = time.monotonic()
    taken_wall = clock.now()
    conn = connections.get("default")
    rows = await _rows(
        "SELECT region_id, county_code, SUM(received_fen) FROM need GROUP BY region_id, county_code"
    )
    place_received: dict[str, int] = {}
    county_received: dict[str, int] = {}
    for region_id, county, received in rows:
        place_received[region_id] = place_received.get(region_id, 0) + int(received or 0)
        county_received[county] = county_received.get(county, 0) + int(received or 0)
    village_donors = {
        code: int(n)
        for code, n in await _rows(
            f"SELECT n.region_id, COUNT(DISTINCT x.pid) FROM ({_donor_rows()}) x"
            " JOIN need n ON n.id = x.need_id GROUP BY n.region_id",
            active=ACTIVE_PLEDGE_STATES,
            confirmed="confirmed",
        )
    }
    counties = await _county_infos()
    prefecture_counties: dict[str, list[str]] = {}
    for code, info in counties.items():
        if info.prefecture_code:
            prefecture_counties.setdefault(info.prefecture_code, []).append(code)
    open_rows = await _rows(
        f"SELECT {_CANDIDATE_COLUMNS} {_FROM} WHERE {_open_condition(indexed=True)}",
        published="published",
        today=today,
    )
    needs: dict[int, CandidateNeed] = {}
    for i, row in enumerate(open_rows):
        candidate = _candidate(row, counties, place_received, county_received, village_donors)
        if candidate is not None:
            needs[candidate.need_id] = candidate
        if i % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)
    pool = CandidatePool.from_needs(needs.values())
    neutral = _DonorView.of(_NEUTRAL)
    priority: dict[int, float] = {}
    for i, candidate in enumerate(needs.values()):
        score, _terms = _evaluate(
            neutral, candidate, today=today, w=DEFAULT_WEIGHTS, pool=pool, explain=False
        )
        priority[candidate.need_id] = score
        if i % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)
    best = sorted(needs, key=lambda n: (-priority[n], n))
    by_category: dict[str, list[int]] = {}
    by_province: dict[str, list[int]] = {}
    by_county: dict[str, list[int]] = {}
    by_township: dict[str, list[int]] = {}
    by_place: dict[str, list[int]] = {}
    for need_id in best:  # appended best first, so every list is ordered
        c = needs[need_id]
        by_category.setdefault(c.category, []).append(need_id)
        by_province.setdefault(c.province_code, []).append(need_id)
        by_county.setdefault(c.county_code, []).append(need_id)
        if c.township_code:
            by_township.setdefault(c.township_code, []).append(need_id)
        by_place.setdefault(c.village_code or c.county_code, []).append(need_id)
    places = sorted(by_place)
    mean = sum(place_received.get(p, 0) for p in places) / len(places) if places else 0.0
    underserved = [
        p for p in places if place_received.get(p, 0) < mean or not place_received.get(p)
    ]
    underserved_by_province: dict[str, list[str]] = {}
    for place in underserved:
        province = needs[by_place[place][0]].province_code
        underserved_by_province.setdefault(province, []).append(place)
    log.info(
        "matching snapshot: %d open needs, %d places, built in %.0f ms",
        len(needs),
        len(places),
        (time.monotonic() - started) * 1000,
    )
    return Snapshot(
        connection=conn,
        taken_at=time.monotonic(),
        taken_wall=taken_wall,
        today=today,
        counties=counties,
        prefecture_counties=prefecture_counties,
        place_received=place_received,
        county_received=county_received,
        village_donors=village_donors,
        needs=needs,
        priority=priority,
        pool=pool,
        best=best,
        by_category=by_category,
        by_province=by_province,
        by_county=by_county,
        by_township=by_township,
        by_place=by_place,
        underserved_by_province=underserved_by_province,
        underserved=underserved,
    )


def _get_lock() -> asyncio.Lock:
    global _lock, _lock_loop
    loop = asyncio.get_running_loop()
    if _lock is None or _lock_loop is not loop:
        _lock, _lock_loop = asyncio.Lock(), loop
    return _lock


async def _rebuild_in_background(today: date) -> None:
    global _snapshot
    try:
        _snapshot = await _build_snapshot(today)
    except Exception:  # the old snapshot keeps serving; the next request tries again
        log.exception("rebuilding the matching snapshot failed")


async def snapshot(today: date, *, max_age: float = SNAPSHOT_MAX_AGE) -> Snapshot:
    """The current snapshot. Built here (others wait for it) when there is none for this
    database connection or for today; rebuilt in the background when older than ``max_age``
    while the old one keeps serving (the returned needs are re-read anyway)."""
    global _snapshot, _refresh
    conn = connections.get("default")
    current = _snapshot
    if current is None or current.connection is not conn or current.today != today:
        async with _get_lock():
            current = _snapshot
            if current is None or current.connection is not conn or current.today != today:
                current = _snapshot = await _build_snapshot(today)
        return current
    if time.monotonic() - current.taken_at > max_age and (_refresh is None or _refresh.done()):
        _refresh = asyncio.get_running_loop().create_task(_rebuild_in_background(today))
    return current


def forget_snapshot() -> None:
    """Drop the snapshot (after a bulk import; tests and benchmarks)."""
    global _snapshot
    _snapshot = None


# --- donor profiles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileExtras:
    """Besides the pure profile: needs the participant already pledged to (not recommended
    again) and the provinces it gave in (for the under-served sample)."""

    pledged_need_ids: frozenset[int] = frozenset()
    history_provinces: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Marked:
    category: str
    county_code: str


def _clean_codes(values: Any, *, allowed: Iterable[str] | None = None) -> frozenset[str]:
    if not isinstance(values, list):
        return frozenset()
    codes = {str(v) for v in values if isinstance(v, str | int) and str(v)}
    if allowed is not None:
        codes &= set(allowed)
    return frozenset(codes)


async def _profiles(
    participant_ids: Sequence[int], *, today: date, include_anonymous: bool
) -> dict[int, tuple[DonorProfile, ProfileExtras]]:
    """Profiles of several participants in a fixed number of queries.

    ``include_anonymous``: the donor's own recommendations use all of its giving; what offices
    see (likely donors) is built from non-anonymous pledges and gifts only, so a reason such as
    "gave in this county before" never reveals an anonymous donor (BRIEF §1: anonymity must
    hold on every surface)."""
    ids = sorted(set(participant_ids))
    if not ids:
        return {}
    people = {
        p["id"]: p
        for p in await Participant.filter(id__in=ids).values(
            "id", "kind", "stated_categories", "stated_region_codes"
        )
    }
    year = today.year
    pairs: dict[int, set[str]] = {}
    for helper_id, region_code in await Pair.filter(
        Q(end_year=None) | Q(end_year__gte=year), helper_id__in=ids, start_year__lte=year
    ).values_list("helper_id", "helped_region_id"):
        pairs.setdefault(helper_id, set()).add(region_code)

    # History: what each pledge contributes (its promise while active, what was paid once it
    # was withdrawn or lapsed: Pledge.committed_fen) plus confirmed gifts made without a pledge
    # (reversals are negative rows and net out).
    only_named_p = "" if include_anonymous else " AND p.anonymous = :no"
    only_named_d = "" if include_anonymous else " AND d.anonymous = :no"
    only_named = "" if include_anonymous else " AND anonymous = :no"
    pledge_rows = await _rows(
        "SELECT p.participant_id, n.category, n.county_code, n.province_code,"
        " SUM(p.committed_fen) FROM pledge p JOIN need n ON n.id = p.need_id"
        f" WHERE p.participant_id IN (:ids*){only_named_p}"
        " GROUP BY p.participant_id, n.category, n.county_code, n.province_code",
        ids=ids,
        no=False,
    )
    gift_rows = await _rows(
        "SELECT d.donor_id, n.category, n.county_code, n.province_code, SUM(d.amount_fen)"
        " FROM donation d JOIN need n ON n.id = d.need_id"
        " WHERE d.donor_id IN (:ids*) AND d.state = :confirmed AND d.pledge_id IS NULL"
        f"{only_named_d} GROUP BY d.donor_id, n.category, n.county_code, n.province_code",
        ids=ids,
        confirmed="confirmed",
        no=False,
    )
    sums: dict[tuple[int, str, str, str], int] = {}
    for pid, category, county, province, amount in [*pledge_rows, *gift_rows]:
        key = (int(pid), category, county, province)
        sums[key] = sums.get(key, 0) + int(amount or 0)
    history: dict[int, list[PastGift]] = {}
    for (pid, category, county, province), amount in sorted(sums.items()):
        if amount > 0 and category in CATEGORIES:
            history.setdefault(pid, []).append(PastGift(category, county, province, amount))

    # Typical pledge: median of the most recent pledges that were not withdrawn.
    amounts: dict[int, list[int]] = {}
    for pid, amount in await _rows(
        "SELECT participant_id, amount_fen FROM pledge WHERE participant_id IN (:ids*)"
        f" AND state <> :withdrawn{only_named} ORDER BY id DESC",
        ids=ids,
        withdrawn="withdrawn",
        no=False,
    ):
        bucket = amounts.setdefault(pid, [])
        if len(bucket) < TYPICAL_PLEDGE_SAMPLE and int(amount) > 0:
            bucket.append(int(amount))

    # Honour rate: the one definition (money.rules.honour), named pledges only for offices.
    rates = await honour_rates_of(ids, public=not include_anonymous, today=today)
    honour = {
        pid: rate.honoured_count / rate.due_count for pid, rate in rates.items() if rate.due_count
    }

    marks: dict[int, list[tuple[int, str, str]]] = {}
    for pid, need_id, category, county in await NotForUs.filter(participant_id__in=ids).values_list(
        "participant_id", "need_id", "need__category", "need__county_code"
    ):
        marks.setdefault(pid, []).append((need_id, category, county))

    pledged: dict[int, set[int]] = {}
    for pid, need_id in await _rows(
        "SELECT participant_id, need_id FROM pledge WHERE participant_id IN (:ids*)"
        " AND state IN (:active*)",
        ids=ids,
        active=ACTIVE_PLEDGE_STATES,
    ):
        pledged.setdefault(pid, set()).add(need_id)

    out: dict[int, tuple[DonorProfile, ProfileExtras]] = {}
    for pid in ids:
        person = people.get(pid)
        if person is None:
            continue
        gifts = tuple(history.get(pid, []))
        sizes = amounts.get(pid, [])
        marked = marks.get(pid, [])
        profile = DonorProfile(
            participant_id=pid,
            kind=person["kind"],
            paired_region_codes=frozenset(pairs.get(pid, set())),
            stated_categories=_clean_codes(person["stated_categories"], allowed=CATEGORIES),
            stated_region_codes=_clean_codes(person["stated_region_codes"]),
            history=gifts,
            typical_pledge_fen=max(1, int(statistics.median(sizes))) if sizes else None,
            honour_rate=honour.get(pid),
            not_for_us=frozenset(m[0] for m in marked),
            disliked=dislikes_from_marks(_Marked(c, k) for _n, c, k in marked),
        )
        extras = ProfileExtras(
            pledged_need_ids=frozenset(pledged.get(pid, set())),
            history_provinces=frozenset(g.province_code for g in gifts),
        )
        out[pid] = (profile, extras)
    return out


async def build_profile(
    participant_id: int, *, today: date | None = None, include_anonymous: bool = True
) -> DonorProfile:
    """The :class:`DonorProfile` of one participant, from the database (NotFound if unknown)."""
    found = await _profiles(
        [participant_id], today=today or today_cn(), include_anonymous=include_anonymous
    )
    if participant_id not in found:
        raise NotFound(_("参与方不存在。"), field="participant_id")
    return found[participant_id][0]


# --- pruning for one donor ---------------------------------------------------------------------


@dataclass(frozen=True)
class Narrowing:
    """The donor's own filters on "needs for you" (category, province)."""

    category: str | None = None
    province: str | None = None

    def keeps(self, need: CandidateNeed) -> bool:
        return (self.category is None or need.category == self.category) and (
            self.province is None or need.province_code == self.province
        )


def _seeded(participant_id: int, today: date, salt: int) -> random.Random:
    """Deterministic per donor and day: the same list all day, another one tomorrow."""
    return random.Random(participant_id * 1_000_003 + today.toordinal() * 7 + salt)


def _best_of(
    snap: Snapshot,
    lists: Iterable[Sequence[int]],
    limit: int,
    *,
    narrowing: Narrowing,
    keep: Any = None,
    scan: int | None = None,
) -> Iterator[int]:
    """Up to ``limit`` needs from several best-first lists, best first (lists are merged
    lazily; at most ``scan`` entries are looked at)."""
    merged: Iterable[int] = heapq.merge(*[lst for lst in lists if lst], key=snap.key)
    taken = 0
    for need_id in islice(merged, scan):
        if taken >= limit:
            return
        need = snap.needs[need_id]
        if narrowing.keeps(need) and (keep is None or keep(need)):
            taken += 1
            yield need_id


def _region_lists(
    snap: Snapshot, codes: Iterable[str], levels: Mapping[str, str]
) -> list[list[int]]:
    """The best-first lists of the needs lying in any of ``codes`` (any level)."""
    lists: list[list[int]] = []
    for code in sorted(set(codes)):
        level = levels.get(code, "")
        if level == "province":
            lists.append(snap.by_province.get(code, []))
        elif level == "prefecture":
            lists.extend(snap.by_county.get(c, []) for c in snap.prefecture_counties.get(code, []))
        elif level == "county":
            lists.append(snap.by_county.get(code, []))
        elif level == "township":
            lists.append(snap.by_township.get(code, []))
        elif level == "village":
            lists.append(snap.by_place.get(code, []))
    return lists


async def _region_levels(codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(await Region.filter(code__in=wanted).values_list("code", "level"))


async def _fresh_needs(snap: Snapshot, today: date, narrowing: Narrowing) -> list[CandidateNeed]:
    """Needs published since the snapshot was taken (read live: they are not in it)."""
    since = snap.taken_wall - timedelta(minutes=1)
    # The semi-join on the published_at index reads only the few needs published since the
    # snapshot; a plain ``n.published_at >= :since`` let SQLite walk every published need in id
    # order instead (50 ms of a 125 ms call at 100k needs, bench/matching.py).
    rows = await _rows(
        f"SELECT {_CANDIDATE_COLUMNS} {_FROM} WHERE n.state = :published"
        " AND n.id IN (SELECT f.id FROM need f WHERE f.published_at >= :since)"
        f" AND {_plain('n.deadline')} >= :today"
        " AND n.target_fen > 0 AND n.pledged_fen < n.target_fen ORDER BY n.id LIMIT :limit",
        published="published",
        since=since,
        today=today,
        limit=FRESH_LIMIT,
    )
    out = []
    for row in rows:
        candidate = _candidate(
            row, snap.counties, snap.place_received, snap.county_received, snap.village_donors
        )
        if candidate is not None and narrowing.keeps(candidate):
            out.append(candidate)
    return out


async def _candidates(
    profile: DonorProfile,
    extras: ProfileExtras,
    *,
    today: date,
    narrowing: Narrowing,
    snap: Snapshot,
) -> list[CandidateNeed]:
    """The pruned candidate set of one donor (see the module docstring)."""
    chosen: dict[int, None] = {}  # insertion-ordered set

    def add(ids: Iterable[int]) -> None:
        for need_id in ids:
            chosen.setdefault(need_id, None)

    levels = await _region_levels(profile.paired_region_codes | profile.stated_region_codes)
    if profile.paired_region_codes:
        lists = _region_lists(snap, profile.paired_region_codes, levels)
        add(_best_of(snap, lists, PAIR_LIMIT, narrowing=narrowing))
    if profile.stated_region_codes:
        lists = _region_lists(snap, profile.stated_region_codes, levels)
        add(_best_of(snap, lists, STATED_REGION_LIMIT, narrowing=narrowing))
    given: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for gift in profile.history:
        given[gift.county_code] = given.get(gift.county_code, 0) + gift.amount_fen
        by_category[gift.category] = by_category.get(gift.category, 0) + gift.amount_fen
    if given:
        top = sorted(given, key=lambda c: (-given[c], c))[:HISTORY_COUNTIES]
        lists = [snap.by_county.get(c, []) for c in top]
        add(_best_of(snap, lists, HISTORY_REGION_LIMIT, narrowing=narrowing))
    categories = set(profile.stated_categories)
    categories.update(sorted(by_category, key=lambda c: (-by_category[c], c))[:3])
    if narrowing.category:
        categories = {narrowing.category}
    if narrowing.province and not categories:
        category_lists = [snap.by_province.get(narrowing.province, [])]
    elif categories:
        category_lists = [snap.by_category.get(c, []) for c in sorted(categories)]
    else:
        category_lists = [snap.best]
    if categories:
        add(_best_of(snap, category_lists, CATEGORY_LIMIT, narrowing=narrowing))
    typical = profile.typical_pledge_fen
    if typical is not None:
        add(
            _best_of(
                snap,
                category_lists,
                FITS_PLEDGE_LIMIT,
                narrowing=narrowing,
                keep=lambda n: n.open_fen <= typical,
                scan=FITS_PLEDGE_SCAN,
            )
        )
    # Under-served places: half in the donor's provinces when it has any.
    rng = _seeded(profile.participant_id, today, 1)
    if narrowing.province:
        near_provinces = {narrowing.province}
        everywhere = snap.underserved_by_province.get(narrowing.province, [])
    else:
        near_provinces = set(extras.history_provinces)
        for code in profile.paired_region_codes | profile.stated_region_codes:
            info = snap.counties.get(code)
            near_provinces.add(info.province_code if info else code[:2] + "0000")
        everywhere = snap.underserved
    near = [
        p for prov in sorted(near_provinces) for p in snap.underserved_by_province.get(prov, [])
    ]
    places: set[str] = set(rng.sample(near, min(len(near), UNDERSERVED_PLACES // 2)))
    for _attempt in range(UNDERSERVED_PLACES * 4):  # bounded: random picks may repeat
        if not everywhere or len(places) >= min(UNDERSERVED_PLACES, len(everywhere)):
            break
        places.add(everywhere[rng.randrange(len(everywhere))])
    add(
        _best_of(
            snap,
            [snap.by_place[p] for p in sorted(places)],
            UNDERSERVED_LIMIT,
            narrowing=narrowing,
        )
    )
    add(_best_of(snap, [snap.best], GENERAL_LIMIT, narrowing=narrowing, scan=50_000))
    if narrowing.category or narrowing.province:
        lists = (
            [snap.by_province.get(narrowing.province, [])]
            if narrowing.province
            else [snap.by_category.get(narrowing.category or "", [])]
        )
        add(_best_of(snap, lists, NARROWED_LIMIT, narrowing=narrowing))
    out = [snap.needs[i] for i in chosen if i not in extras.pledged_need_ids]
    fresh = [
        c
        for c in await _fresh_needs(snap, today, narrowing)
        if c.need_id not in chosen and c.need_id not in extras.pledged_need_ids
    ]
    return (out + fresh)[:MAX_CANDIDATES]


async def _exact_candidates(
    need_ids: Sequence[int], today: date, snap: Snapshot
) -> dict[int, CandidateNeed]:
    """The needs as they are now (still open ones only), with money received by their villages
    and counties, their villages' donors and their pledgers read now."""
    if not need_ids:
        return {}
    rows = await _rows(
        f"SELECT {_CANDIDATE_COLUMNS} {_FROM} WHERE n.id IN (:ids*) AND {_open_condition()}",
        ids=sorted(need_ids),
        published="published",
        today=today,
    )
    return await _with_exact_figures(rows, snap.counties)


async def _with_exact_figures(
    rows: Sequence[tuple[Any, ...]], counties: Mapping[str, CountyInfo]
) -> dict[int, CandidateNeed]:
    villages = sorted({r[2] for r in rows if r[3] == "village"})
    county_codes = sorted({r[5] for r in rows})
    place_received: dict[str, int] = {}
    village_donors: dict[str, int] = {}
    county_received: dict[str, int] = {}
    if villages:
        for code, total in await _rows(
            "SELECT region_id, SUM(received_fen) FROM need WHERE region_id IN (:villages*)"
            " GROUP BY region_id",
            villages=villages,
        ):
            place_received[code] = int(total or 0)
        for code, n in await _rows(
            f"SELECT n.region_id, COUNT(DISTINCT x.pid) FROM ({_donor_rows(villages=True)}) x"
            " JOIN need n ON n.id = x.need_id GROUP BY n.region_id",
            active=ACTIVE_PLEDGE_STATES,
            villages=villages,
            confirmed="confirmed",
        ):
            village_donors[code] = int(n)
    if county_codes:
        for code, total in await _rows(
            "SELECT county_code, SUM(received_fen) FROM need WHERE county_code IN (:counties*)"
            " GROUP BY county_code",
            counties=county_codes,
        ):
            county_received[code] = int(total or 0)
    pledgers = {
        int(need_id): int(n)
        for need_id, n in await _rows(
            "SELECT need_id, COUNT(DISTINCT participant_id) FROM pledge WHERE need_id IN (:ids*)"
            " AND state IN (:active*) GROUP BY need_id",
            ids=sorted({int(r[0]) for r in rows}),
            active=ACTIVE_PLEDGE_STATES,
        )
    }
    out: dict[int, CandidateNeed] = {}
    for row in rows:
        candidate = _candidate(
            row,
            counties,
            place_received,
            county_received,
            village_donors,
            pledgers=pledgers,
            exact=True,
        )
        if candidate is not None:
            out[candidate.need_id] = candidate
    return out


# --- needs for you -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownReason:
    code: str
    params: Mapping[str, Any]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "text": self.text}


def shown(reasons: Sequence[Reason]) -> list[ShownReason]:
    """Reasons with their text in the current locale."""
    return [ShownReason(r.code, dict(r.params), render_reason(r)) for r in reasons]


@dataclass
class RecommendedNeed:
    need: Need
    candidate: CandidateNeed
    score: float
    reasons: list[ShownReason]

    def as_dict(self) -> dict[str, Any]:
        need = self.need
        region = need.region if isinstance(need.region, Region) else None
        return {
            "need_id": need.id,
            "title": need.title,
            "category": need.category,
            "region_code": need.region_id,
            "region_name": region.full_name if region else "",
            "county_code": need.county_code,
            "county_name": self.candidate.county_name,
            "province_code": need.province_code,
            "target_fen": self.candidate.target_fen,
            "open_fen": self.candidate.open_fen,
            "deadline": self.candidate.deadline.isoformat(),
            "beneficiary_people": self.candidate.beneficiary_people,
            "score": round(self.score, 4),
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass
class NeedsForYou:
    participant_id: int
    items: list[RecommendedNeed]
    candidate_count: int
    narrowing: Narrowing
    timings_ms: dict[str, float] = field(default_factory=dict)


def check_narrowing(category: str | None, province: str | None) -> Narrowing:
    category = (category or "").strip() or None
    province = (province or "").strip() or None
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(_("未知的需求类别。"), field="category")
    if province is not None and not (
        len(province) == 6 and province.isdigit() and province.endswith("0000")
    ):
        raise InvalidInput(_("省份代码格式不正确。"), field="province")
    return Narrowing(category=category, province=province)


def check_limit(limit: int | None) -> int:
    if limit is None:
        return 20
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(_("条数须在 1–%(n)d 之间。", n=MAX_LIMIT), field="limit")
    return limit


async def recommendations_for(
    participant_id: int,
    *,
    today: date | None = None,
    narrowing: Narrowing | None = None,
    limit: int = 20,
    weights: Weights = DEFAULT_WEIGHTS,
) -> NeedsForYou:
    """ "Needs for you" of one participant (no permission check: see :func:`my_recommendations`).

    Public, open needs only; never one it marked "not for us" nor one it already pledged to.
    Each returned need carries its reasons, explained from figures read now.
    """
    today = today or today_cn()
    narrowing = narrowing or Narrowing()
    t0 = time.perf_counter()
    found = await _profiles([participant_id], today=today, include_anonymous=True)
    if participant_id not in found:
        raise NotFound(_("参与方不存在。"), field="participant_id")
    profile, extras = found[participant_id]
    t1 = time.perf_counter()
    snap = await snapshot(today)
    t2 = time.perf_counter()
    candidates = await _candidates(profile, extras, today=today, narrowing=narrowing, snap=snap)
    t3 = time.perf_counter()
    ranked = rank_needs(
        profile, candidates, today=today, weights=weights, limit=limit + RESERVE, pool=snap.pool
    )
    t4 = time.perf_counter()
    exact = await _exact_candidates([r.need_id for r in ranked], today, snap)
    kept = [r.need_id for r in ranked if r.need_id in exact][:limit]
    needs = {n.id: n for n in await Need.filter(id__in=kept).prefetch_related("region")}
    items: list[RecommendedNeed] = []
    for need_id in kept:
        need = needs.get(need_id)
        if need is None:
            continue
        explained = score_need(
            profile, exact[need_id], today=today, weights=weights, pool=snap.pool
        )
        items.append(
            RecommendedNeed(need, exact[need_id], explained.score, shown(explained.reasons))
        )
    t5 = time.perf_counter()
    timings = {
        "profile": (t1 - t0) * 1000,
        "snapshot": (t2 - t1) * 1000,
        "candidates": (t3 - t2) * 1000,
        "ranking": (t4 - t3) * 1000,
        "exact": (t5 - t4) * 1000,
    }
    return NeedsForYou(participant_id, items, len(candidates), narrowing, timings)


async def reference_ranking(
    participant_id: int,
    *,
    today: date | None = None,
    limit: int = 20,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[int]:
    """The need ids the ranking returns when it sees EVERY open need of the snapshot (no
    pruning). Slow at scale; it measures what pruning loses (``bench/matching.py --recall``)."""
    today = today or today_cn()
    found = await _profiles([participant_id], today=today, include_anonymous=True)
    if participant_id not in found:
        raise NotFound(_("参与方不存在。"), field="participant_id")
    profile, extras = found[participant_id]
    snap = await snapshot(today)
    candidates = [c for i, c in snap.needs.items() if i not in extras.pledged_need_ids]
    ranked = rank_needs(
        profile, candidates, today=today, weights=weights, limit=limit, pool=snap.pool
    )
    return [r.need_id for r in ranked]


def _own_participant(actor: Actor | None, action: str) -> int:
    """The participant the actor acts for, checked against ``action`` (participant scope).

    There is deliberately no way to name another participant: the id comes from the login."""
    require(actor, action)
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员才有推荐和邀请。"))
    require(actor, action, Scope(participant_id=actor.participant_id))
    return actor.participant_id


async def my_recommendations(
    actor: Actor | None,
    *,
    category: str | None = None,
    province: str | None = None,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> NeedsForYou:
    """The acting participant's own "needs for you" (policy: recommendations.view)."""
    participant_id = _own_participant(actor, "recommendations.view")
    narrowing = check_narrowing(category, province)
    return await recommendations_for(
        participant_id, narrowing=narrowing, limit=check_limit(limit), weights=weights
    )


async def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the provinces, for the "narrow by province" filter."""
    return list(await Region.filter(level="province").order_by("code").values_list("code", "name"))


# --- not for us --------------------------------------------------------------------------------


async def _public_need(actor: Actor | None, need_id: int) -> Need:
    need = await Need.get_or_none(id=need_id)
    if need is None or need.state not in PUBLIC_STATES or not may_view(actor, need):
        raise NotFound(_("需求不存在或尚未公开。"), field="need_id")
    return need


async def mark_not_for_us(actor: Actor | None, need_id: int, *, reason: Any = "") -> NotForUs:
    """Remove a public need from the actor's recommendations and demote similar ones (same
    category in the same county). Marking twice keeps the first mark."""
    participant_id = _own_participant(actor, "recommendations.view")
    assert actor is not None
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput(_("理由必须是文字。"), field="reason")
    text = (reason or "").strip()
    if len(text) > NOT_FOR_US_REASON_MAX:
        raise InvalidInput(
            _("理由最多 %(n)d 个字。", n=NOT_FOR_US_REASON_MAX), field="reason", code="too_long"
        )
    need = await _public_need(actor, need_id)
    async with transaction():
        existing = await NotForUs.get_or_none(participant_id=participant_id, need_id=need.id)
        if existing is not None:
            return existing
        mark = await NotForUs.create(
            participant_id=participant_id, need_id=need.id, reason=text, created_by_id=actor.user_id
        )
        await audit.record(
            actor=actor,
            action="recommendation.not_for_us",
            object_type="need",
            object_id=need.id,
            after={"participant_id": participant_id, "reason": text},
        )
    return mark


async def undo_not_for_us(actor: Actor | None, need_id: int) -> bool:
    """Take a mark back; True if there was one."""
    participant_id = _own_participant(actor, "recommendations.view")
    async with transaction():
        mark = await NotForUs.get_or_none(participant_id=participant_id, need_id=need_id)
        if mark is None:
            return False
        await mark.delete()
        await audit.record(
            actor=actor,
            action="recommendation.not_for_us_undone",
            object_type="need",
            object_id=need_id,
            before={"participant_id": participant_id, "reason": mark.reason},
        )
    return True


async def my_marks(actor: Actor | None, *, limit: int = 50) -> list[NotForUs]:
    participant_id = _own_participant(actor, "recommendations.view")
    return list(
        await NotForUs.filter(participant_id=participant_id)
        .order_by("-id")
        .limit(limit)
        .prefetch_related("need")
    )


# --- likely donors -----------------------------------------------------------------------------


@dataclass
class LikelyDonor:
    participant: Participant
    match: DonorMatch
    reasons: list[ShownReason]
    invited: bool = False
    invitations_this_week: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant.id,
            "name": self.participant.name,
            "kind": self.participant.kind,
            "score": round(self.match.score, 4),
            "reasons": [r.as_dict() for r in self.reasons],
            "invited": self.invited,
            "invitations_this_week": self.invitations_this_week,
        }


@dataclass
class LikelyDonors:
    need: Need
    candidate: CandidateNeed | None
    items: list[LikelyDonor]
    is_open: bool


async def _need_candidate(need: Need) -> CandidateNeed | None:
    """The need as the ranking sees it, with exact figures (None if it cannot be placed)."""
    rows = await _rows(f"SELECT {_CANDIDATE_COLUMNS} {_FROM} WHERE n.id = :id", id=need.id)
    info = await _rows(
        "SELECT code, name, prefecture_code, province_code, is_poverty_county, sanqu_sanzhou"
        " FROM region WHERE code = :code",
        code=need.county_code,
    )
    if not rows or not info:
        return None
    code, name, pref, prov, poor, sanqu = info[0]
    counties = {code: CountyInfo(name, pref or None, prov, bool(poor), bool(sanqu))}
    return (await _with_exact_figures(rows, counties)).get(need.id)


def _quoted(code: str) -> str:
    return '%"' + code + '"%'


async def _likely_participant_ids(need: Need, candidate: CandidateNeed, today: date) -> list[int]:
    """Participants worth scoring for ``need``: helpers of pairs over its region, donors with
    non-anonymous giving in its province, and participants stating its category or region."""
    codes = sorted(candidate.region_codes)
    year = today.year
    ids = set(
        await Pair.filter(
            Q(end_year=None) | Q(end_year__gte=year),
            helped_region_id__in=codes,
            start_year__lte=year,
        ).values_list("helper_id", flat=True)
    )
    rows = await _rows(
        "SELECT p.participant_id, SUM(p.committed_fen) AS s FROM pledge p"
        " JOIN need n ON n.id = p.need_id WHERE n.province_code = :province"
        " AND p.anonymous = :no AND p.committed_fen > 0"
        " GROUP BY p.participant_id ORDER BY s DESC, p.participant_id LIMIT :limit",
        province=need.province_code,
        no=False,
        limit=LIKELY_HISTORY_LIMIT,
    )
    ids.update(int(r[0]) for r in rows)
    rows = await _rows(
        "SELECT d.donor_id, SUM(d.amount_fen) AS s FROM donation d"
        " JOIN need n ON n.id = d.need_id WHERE n.province_code = :province"
        " AND d.anonymous = :no AND d.state = :confirmed AND d.pledge_id IS NULL"
        " GROUP BY d.donor_id ORDER BY s DESC, d.donor_id LIMIT :limit",
        province=need.province_code,
        no=False,
        confirmed="confirmed",
        limit=LIKELY_HISTORY_LIMIT,
    )
    ids.update(int(r[0]) for r in rows if r[1] and int(r[1]) > 0)
    # Stated interests are JSON lists; a text match on the quoted code finds them on both
    # databases (codes are letters, digits and underscores: nothing to escape).
    params: dict[str, Any] = {"category": _quoted(need.category), "limit": LIKELY_STATED_LIMIT}
    likes = ["CAST(stated_categories AS TEXT) LIKE :category"]
    for i, code in enumerate(codes):
        params[f"region{i}"] = _quoted(code)
        likes.append(f"CAST(stated_region_codes AS TEXT) LIKE :region{i}")
    rows = await _rows(
        f"SELECT id FROM participant WHERE {' OR '.join(likes)} ORDER BY id DESC LIMIT :limit",
        **params,
    )
    ids.update(int(r[0]) for r in rows)
    return sorted(ids)


async def likely_donors(
    actor: Actor | None,
    need_id: int,
    *,
    limit: int = 20,
    weights: LikelyDonorWeights = DEFAULT_LIKELY_DONOR_WEIGHTS,
) -> LikelyDonors:
    """The participants most likely to fund a public need, with reasons (BRIEF §3.11), for the
    need's county officers and the provincial and national offices (policy:
    likely_donors.view). A need that is not public is "not found" for whoever may not see it;
    participants who already pledged to it, or marked it "not for us", are not listed."""
    need = await get_need(actor, need_id, details=False)
    require(actor, "likely_donors.view", need_scope(need))
    if need.state not in PUBLIC_STATES:
        raise RuleViolation(
            _("需求尚未发布，发布后才能查看可能的捐赠方。"), code="need_not_public", field="need_id"
        )
    today = today_cn()
    candidate = await _need_candidate(need)
    is_open = effective_state(need.state, need.deadline, today) == "published" and need.open_fen > 0
    if candidate is None or not is_open:
        return LikelyDonors(need, candidate, [], is_open)
    pids = await _likely_participant_ids(need, candidate, today)
    profiles = await _profiles(pids, today=today, include_anonymous=False)
    ranked = rank_likely_donors(
        candidate,
        [p for _pid, (p, e) in sorted(profiles.items()) if need.id not in e.pledged_need_ids],
        weights=weights,
        limit=max(1, min(limit, MAX_LIMIT)),
    )
    people = {p.id: p for p in await Participant.filter(id__in=[m.participant_id for m in ranked])}
    invited = await invitations.invited_participants(need.id)
    weekly = await invitations.weekly_counts([m.participant_id for m in ranked])
    items = [
        LikelyDonor(
            participant=people[m.participant_id],
            match=m,
            reasons=shown(m.reasons),
            invited=m.participant_id in invited,
            invitations_this_week=weekly.get(m.participant_id, 0),
        )
        for m in ranked
        if m.participant_id in people
    ]
    return LikelyDonors(need, candidate, items, is_open)


def may_see_likely_donors(actor: Actor | None, need: Need) -> bool:
    """For links: whether the actor may open the likely-donors page of ``need``."""
    return can(actor, "likely_donors.view", need_scope(need))
