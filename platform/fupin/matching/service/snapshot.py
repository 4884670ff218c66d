"""The open-needs snapshot: every public, open need as a ranking candidate, ordered in advance.

Conceptually every public, open need (published, money still open, deadline today or later) is
ranked for the donor, with one :class:`~fupin.matching.rules.ranking.CandidatePool` (equity
references, beneficiaries-per-yuan percentiles) built from all of them, so every donor is
compared against the same references. Once per ``SNAPSHOT_MAX_AGE`` seconds a process reads
every open need (one indexed query), the money received per village and per county and the
donors per village (SQL aggregates over all needs), builds the candidates and the pool, and
orders the needs of each category, province, county and place by their *donor-independent*
score (the ranking's own formula, ``evaluate``, for a donor about whom nothing is known:
urgency, progress, beneficiaries per yuan, equity, 832 and 三区三州). A stale snapshot keeps
serving while a background task rebuilds it.

The needs a request returns are read again (``exact_candidates``): state, open amount, deadline,
money received by their village and county, donors and pledgers as they are now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from tortoise import connections

from fupin.core import clock
from fupin.core.categories import CATEGORIES
from fupin.matching.rules.ranking import (
    CandidateNeed,
    CandidatePool,
    DonorProfile,
    DonorView,
    evaluate,
    is_targeted,
)
from fupin.matching.rules.weights import DEFAULT_WEIGHTS
from fupin.matching.service.sql import (
    CANDIDATE_COLUMNS,
    FROM,
    as_date,
    donor_rows,
    open_condition,
    select,
)
from fupin.money.rules.states import ACTIVE_PLEDGE_STATES

log = logging.getLogger(__name__)

#: Seconds a snapshot serves before it is rebuilt (in the background while the old one serves).
SNAPSHOT_MAX_AGE = 120.0


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
    #: places with an open need that the equity boost raises (less than the mean of their class)
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
    rows = await select(
        "SELECT code, name, prefecture_code, province_code, is_poverty_county, sanqu_sanzhou"
        " FROM region WHERE level = :county",
        county="county",
    )
    return {
        code: CountyInfo(name, pref or None, prov, bool(poor), bool(sanqu))
        for code, name, pref, prov, poor, sanqu in rows
    }


def candidate_of(
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
    (target, pledged, deadline, published_at, people, poor) = row[7:13]
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
        deadline=as_date(deadline),
        # ``published`` and ``pledger_count`` are not read by the ranking: cheap for the
        # snapshot, exact for the needs that are returned (see _exact_candidates).
        published=as_date(published_at or deadline, exact=exact),
        beneficiary_people=max(0, int(people or 0)),
        pledger_count=(pledgers or {}).get(int(need_id), 0),
        village_received_fen=place_received.get(village, 0) if village else 0,
        county_received_fen=county_received.get(county, 0),
        village_donor_count=village_donors.get(village, 0) if village else 0,
        is_poor_village=bool(poor) and village is not None,
    )


async def _build_snapshot(today: date) -> Snapshot:
    started = time.monotonic()
    taken_wall = clock.now()
    conn = connections.get("default")
    rows = await select(
        "SELECT region_id, county_code, SUM(received_fen) FROM need GROUP BY region_id, county_code"
    )
    place_received: dict[str, int] = {}
    county_received: dict[str, int] = {}
    for region_id, county, received in rows:
        place_received[region_id] = place_received.get(region_id, 0) + int(received or 0)
        county_received[county] = county_received.get(county, 0) + int(received or 0)
    village_donors = {
        code: int(n)
        for code, n in await select(
            f"SELECT n.region_id, COUNT(DISTINCT x.pid) FROM ({donor_rows()}) x"
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
    open_rows = await select(
        f"SELECT {CANDIDATE_COLUMNS} {FROM} WHERE {open_condition(indexed=True)}",
        published="published",
        today=today,
    )
    needs: dict[int, CandidateNeed] = {}
    for i, row in enumerate(open_rows):
        candidate = candidate_of(row, counties, place_received, county_received, village_donors)
        if candidate is not None:
            needs[candidate.need_id] = candidate
        if i % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)
    pool = CandidatePool.from_needs(needs.values())
    neutral = DonorView.of(_NEUTRAL)
    priority: dict[int, float] = {}
    for i, candidate in enumerate(needs.values()):
        score, _terms = evaluate(
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
    underserved = [p for p in places if _underserved(needs[by_place[p][0]], pool)]
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


def _underserved(need: CandidateNeed, pool: CandidatePool) -> bool:
    """Whether the need's place (its village, or its county for a county-wide need) gets an
    equity boost: it received less than the mean of its peer class (or nothing), and the boost
    is not scaled to nothing there."""
    if need.village_code is not None:
        if not is_targeted(need, village=True) and DEFAULT_WEIGHTS.equity_scale_other <= 0:
            return False
        received = need.village_received_fen
        return received == 0 or received < pool.village_reference_fen(need)
    if not is_targeted(need, village=False) and DEFAULT_WEIGHTS.equity_scale_other <= 0:
        return False
    received = need.county_received_fen
    return received == 0 or received < pool.county_reference_fen(need)


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


def seconds_to_next_day(at: datetime) -> float:
    """Seconds from ``at`` to the next midnight in China (when "today" changes)."""
    local = clock.in_china(at)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(), local.tzinfo)
    return (midnight - local).total_seconds()


async def keep_warm() -> None:
    """Build the snapshot when the web process starts, and again just after each midnight in
    China, so that no donor's request waits for it: on the demo data the build was 1.1 s of the
    first "needs for you" after login. Between those, a stale snapshot is rebuilt in the
    background by :func:`snapshot` as before. Runs until cancelled (the app's lifespan)."""
    while True:
        try:
            await snapshot(clock.today_cn())
        except asyncio.CancelledError:
            raise
        except Exception:  # the next request builds it instead
            log.exception("warming the matching snapshot failed")
        await asyncio.sleep(seconds_to_next_day(clock.now()) + 1)


def forget_snapshot() -> None:
    """Drop the snapshot (after a bulk import; tests and benchmarks)."""
    global _snapshot
    _snapshot = None


async def exact_candidates(
    need_ids: Sequence[int], today: date, snap: Snapshot
) -> dict[int, CandidateNeed]:
    """The needs as they are now (still open ones only), with money received by their villages
    and counties, their villages' donors and their pledgers read now."""
    if not need_ids:
        return {}
    rows = await select(
        f"SELECT {CANDIDATE_COLUMNS} {FROM} WHERE n.id IN (:ids*) AND {open_condition()}",
        ids=sorted(need_ids),
        published="published",
        today=today,
    )
    return await with_exact_figures(rows, snap.counties)


async def with_exact_figures(
    rows: Sequence[tuple[Any, ...]], counties: Mapping[str, CountyInfo]
) -> dict[int, CandidateNeed]:
    villages = sorted({r[2] for r in rows if r[3] == "village"})
    county_codes = sorted({r[5] for r in rows})
    place_received: dict[str, int] = {}
    village_donors: dict[str, int] = {}
    county_received: dict[str, int] = {}
    if villages:
        for code, total in await select(
            "SELECT region_id, SUM(received_fen) FROM need WHERE region_id IN (:villages*)"
            " GROUP BY region_id",
            villages=villages,
        ):
            place_received[code] = int(total or 0)
        for code, n in await select(
            f"SELECT n.region_id, COUNT(DISTINCT x.pid) FROM ({donor_rows(villages=True)}) x"
            " JOIN need n ON n.id = x.need_id GROUP BY n.region_id",
            active=ACTIVE_PLEDGE_STATES,
            villages=villages,
            confirmed="confirmed",
        ):
            village_donors[code] = int(n)
    if county_codes:
        for code, total in await select(
            "SELECT county_code, SUM(received_fen) FROM need WHERE county_code IN (:counties*)"
            " GROUP BY county_code",
            counties=county_codes,
        ):
            county_received[code] = int(total or 0)
    pledgers = {
        int(need_id): int(n)
        for need_id, n in await select(
            "SELECT need_id, COUNT(DISTINCT participant_id) FROM pledge WHERE need_id IN (:ids*)"
            " AND state IN (:active*) GROUP BY need_id",
            ids=sorted({int(r[0]) for r in rows}),
            active=ACTIVE_PLEDGE_STATES,
        )
    }
    out: dict[int, CandidateNeed] = {}
    for row in rows:
        candidate = candidate_of(
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
