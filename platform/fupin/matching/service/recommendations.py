"""Recommendations from the database: a donor's "needs for you" (docs/domain.md §3.11).

The ranking itself is the pure :mod:`fupin.matching.rules.ranking`; this module feeds it, with
the donor's profile (``profiles``) and the open needs of the snapshot (``snapshot``). The
"not for us" marks are ``marks``; the likely donors of a need ``likely_donors``. Figures:
``bench/matching.py`` (recommendations at 100,000 needs, and how much the pruning loses).

**What is ranked.** Conceptually every public, open need (published, money still open, deadline
today or later) is ranked for the donor, with one :class:`~fupin.matching.rules.ranking.CandidatePool`
(equity references, beneficiaries-per-yuan percentiles) built from all of them, so every donor
is compared against the same references. Ranking 78,000 open needs costs ~300 ms, so each
request ranks a *pruned* set instead (a few thousand), chosen so that it contains what the full
ranking would put on top; ``bench/matching.py --recall`` measures how often it does.

The snapshot (``snapshot``) orders every open need once per two minutes by its
*donor-independent* score, so each request ranks only a pruned set.

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
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from typing import Any

from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _
from fupin.matching.rules.ranking import CandidateNeed, DonorProfile, rank_needs, score_need
from fupin.matching.rules.reasons import LOWERING_REASONS, Reason, render_reason
from fupin.matching.rules.weights import DEFAULT_WEIGHTS, Weights
from fupin.matching.schemas import MAX_LIMIT, MatchReason
from fupin.matching.service.profiles import ProfileExtras, load_profiles, own_participant
from fupin.matching.service.snapshot import Snapshot, candidate_of, exact_candidates, snapshot
from fupin.matching.service.sql import CANDIDATE_COLUMNS, FROM, plain, select
from fupin.needs.models import Need
from fupin.regions.models import Region

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
#: Extra needs ranked beyond the requested number, to replace ones that closed meanwhile.
RESERVE = 10


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
    rows = await select(
        f"SELECT {CANDIDATE_COLUMNS} {FROM} WHERE n.state = :published"
        " AND n.id IN (SELECT f.id FROM need f WHERE f.published_at >= :since)"
        f" AND {plain('n.deadline')} >= :today"
        " AND n.target_fen > 0 AND n.pledged_fen < n.target_fen ORDER BY n.id LIMIT :limit",
        published="published",
        since=since,
        today=today,
        limit=FRESH_LIMIT,
    )
    out = []
    for row in rows:
        candidate = candidate_of(
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


# --- needs for you -----------------------------------------------------------------------------


def shown(reasons: Sequence[Reason]) -> list[MatchReason]:
    """Reasons with their text in the current locale."""
    return [MatchReason(code=r.code, params=dict(r.params), text=render_reason(r)) for r in reasons]


#: Reasons a recommendation card shows; the others wait behind "为什么推荐" (why this).
CARD_REASONS = 3
#: Reasons a card never lists: its money line already says how much is still open.
_SAID_ON_THE_CARD = frozenset({"open_amount"})


@dataclass
class RecommendedNeed:
    need: Need
    candidate: CandidateNeed
    score: float
    #: every reason, biggest contribution first, the open amount last (what the API returns)
    reasons: list[MatchReason]
    #: the place in the donor's list, from 1
    rank: int = 0

    @property
    def advice(self) -> list[MatchReason]:
        """The reasons as advice on a card: biggest first, none the card says elsewhere, none
        twice (two terms can render the same sentence)."""
        seen: set[str] = set()
        out = []
        for reason in self.reasons:
            if reason.code in _SAID_ON_THE_CARD or reason.text in seen:
                continue
            seen.add(reason.text)
            out.append(reason)
        return out

    @property
    def card_reasons(self) -> list[MatchReason]:
        """The few reasons the card shows (at most :data:`CARD_REASONS`): only reasons that
        raised the need; one that lowered it is not advice to give to it."""
        return [r for r in self.advice if r.code not in LOWERING_REASONS][:CARD_REASONS]

    @property
    def more_reasons(self) -> list[MatchReason]:
        """The rest, shown on asking "why this" (a lowering reason among them)."""
        card = {id(r) for r in self.card_reasons}
        return [r for r in self.advice if id(r) not in card]

    @property
    def region_name(self) -> str:
        region = self.need.region
        return region.full_name if isinstance(region, Region) else ""

    @property
    def rounded_score(self) -> float:
        return round(self.score, 4)


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
    """The number of recommendations or likely donors to show (the API's query schemas bound
    it the same way)."""
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
    found = await load_profiles([participant_id], today=today, include_anonymous=True)
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
    exact = await exact_candidates([r.need_id for r in ranked], today, snap)
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
            RecommendedNeed(
                need,
                exact[need_id],
                explained.score,
                shown(explained.reasons),
                rank=len(items) + 1,
            )
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
    found = await load_profiles([participant_id], today=today, include_anonymous=True)
    if participant_id not in found:
        raise NotFound(_("参与方不存在。"), field="participant_id")
    profile, extras = found[participant_id]
    snap = await snapshot(today)
    candidates = [c for i, c in snap.needs.items() if i not in extras.pledged_need_ids]
    ranked = rank_needs(
        profile, candidates, today=today, weights=weights, limit=limit, pool=snap.pool
    )
    return [r.need_id for r in ranked]


async def my_recommendations(
    actor: Actor | None,
    *,
    category: str | None = None,
    province: str | None = None,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> NeedsForYou:
    """The acting participant's own "needs for you" (policy: recommendations.view)."""
    participant_id = own_participant(actor, "recommendations.view")
    narrowing = check_narrowing(category, province)
    return await recommendations_for(
        participant_id, narrowing=narrowing, limit=check_limit(limit), weights=weights
    )


async def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the provinces, for the "narrow by province" filter.

    Sorted here, not in SQL (the model's default ordering would add it): with ``ORDER BY code``
    SQLite walks the primary key over all 665,138 regions to find the 34 provinces (its
    statistics put 133,028 rows behind each level, an average over five levels), 1.2 s of the
    page's first load on the demo data; without it the level index finds them directly."""
    rows = await select("SELECT code, name FROM region WHERE level = :level", level="province")
    return sorted((str(code), str(name)) for code, name in rows)
