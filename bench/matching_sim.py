"""Simulation: does the matching ranking spread money fairly and get needs funded?

Simulated donors with preferences and budgets pledge over simulated needs placed in the REAL
832 former poverty counties and other rural counties, for T daily rounds. Each active donor
sees the top-k of one listing strategy and chooses (or declines) by its own preferences; the
strategies are our ranking (``fupin.matching.rules.ranking.rank_needs``), newest first, largest gap
first and random. Every strategy runs on the same world and the same random draws (common random
numbers: a donor's taste noise for a need on a day is a hash of seed, donor, day and need), so
differences come from the listing alone.

Reported per strategy: share of needs fully funded, Gini of money across the counties that have
needs, share of money reaching the 832 counties and 三区三州, median days from publication to
funded. The model and its assumptions are in docs/matching.md ("Simulation").

Run from the repository root::

    .venv/bin/python bench/matching_sim.py --seed 42 --rounds 90 --donors 400 --needs 2000

Pure Python, no database. ``run_simulation`` is what the regression test calls.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from fupin.core.categories import CATEGORY_CODES
from fupin.matching.rules.ranking import (
    CandidateNeed,
    CandidatePool,
    DonorProfile,
    PastGift,
    rank_needs,
)
from fupin.matching.rules.weights import DEFAULT_WEIGHTS, Weights

REPO_ROOT = Path(__file__).resolve().parent.parent
STRATEGIES = ("ours", "newest_first", "largest_gap", "random")
#: Extra rows for the report, to see where the gain comes from (not part of the issue's four):
#: newest first narrowed to the donor's stated categories (a donor using the category filter),
#: and our ranking with the equity terms (village, county, no-donor-yet) switched off.
EXTRA_STRATEGIES = ("newest_in_stated_categories", "ours_without_equity")
NO_EQUITY = replace(DEFAULT_WEIGHTS, equity_village=0.0, equity_county=0.0, no_donor_yet=0.0)
START = date(2024, 3, 1)

#: Widely reported places (national media, leaders' visits, the first exits) that attract
#: attention regardless of need: 十八洞村 (花垣县), 兰考县, 井冈山市 (first two exits, 2016),
#: 阜平县 (visit of Dec 2012), 昭觉县 ("悬崖村"), 岳西县. All six are in the 832 list.
FAMOUS_COUNTY_NAMES = ("花垣县", "兰考县", "井冈山市", "阜平县", "昭觉县", "岳西县")
#: Share of all needs published by the famous counties (≈ 12× a typical poverty county).
FAMOUS_NEED_SHARE = 0.06
#: Share of needs in the 832 former poverty counties (the rest in other rural counties).
POVERTY_NEED_SHARE = 0.7
#: Category mix of needs (the ten key tasks + other).
CATEGORY_MIX = {
    "roads": 14,
    "drinking_water": 12,
    "electricity": 5,
    "housing": 12,
    "industry": 16,
    "tourism": 6,
    "education": 12,
    "health": 9,
    "culture": 5,
    "informatization": 5,
    "other": 4,
}
#: kind -> (share of donors, median typical pledge in yuan, share with a platform history)
DONOR_KINDS = {
    "enterprise": (0.40, 40_000, 0.6),
    "individual": (0.30, 3_000, 0.3),
    "social_org": (0.12, 20_000, 0.6),
    "central_unit": (0.10, 150_000, 0.9),
    "east_partner": (0.08, 200_000, 0.9),
}


@dataclass(frozen=True)
class Behaviour:
    """How simulated donors choose (identical under every strategy).

    Utility of a shown need at position i (0 = top of the list)::

        category·[category liked] + region·[province liked] + pair·[in the donor's own pair]
        + fame·[famous county] − position_cost·i + Gumbel(0, noise)

    The donor pledges to the best shown need only if its utility reaches ``threshold``;
    otherwise it leaves without pledging that day.
    """

    category: float = 1.2
    region: float = 1.0
    pair: float = 2.0
    fame: float = 0.8
    position_cost: float = 0.08
    noise: float = 0.6
    threshold: float = 2.0


#: Stress case: donors blind to category, region and pair (only fame, position and noise), who
#: pledge more easily. Personal relevance then cannot help our ranking; what is left is which
#: needs it puts in front of people.
TASTE_BLIND = Behaviour(category=0.0, region=0.0, pair=0.0, threshold=1.0)

#: Chance that a donor with budget left looks at the platform on a given day.
ACTIVE_PER_DAY = 0.12
#: Share of non-pair donors who follow the news: on half their active days they go straight
#: to a famous county's needs whatever the listing shows.
NEWS_FOLLOWER_SHARE = 0.2


# --- data ---------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """The repo's own ``data/`` (the reference CSVs ship with the repository)."""
    candidate = REPO_ROOT / "data"
    if (candidate / "poverty_counties.csv").is_file() and (
        candidate / "admin_divisions.csv"
    ).is_file():
        return candidate
    raise SystemExit(
        "reference data not found: pass --data-dir (folder with poverty_counties.csv and "
        "admin_divisions.csv)"
    )


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture_code: str | None
    province_code: str
    poverty: bool
    sanqu: bool
    townships: tuple[str, ...]


@cache
def load_counties(data_dir: Path) -> tuple[tuple[County, ...], tuple[County, ...]]:
    """(the 832 poverty counties, other rural counties), from the reference CSVs.

    Other rural counties are county-level units that are not city districts (市辖区). Two 832
    rows share code 632803 (茫崖市, data README); it is kept once.
    """
    admin: dict[str, dict[str, str]] = {}
    with (data_dir / "admin_divisions.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["level"] == "county":
                admin[row["code"]] = row
    townships: dict[str, list[str]] = {}
    towns_file = data_dir / "townships.csv"
    if towns_file.is_file():
        with towns_file.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                townships.setdefault(row["county_code"], []).append(row["code"])
    poverty: dict[str, County] = {}
    with (data_dir / "poverty_counties.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["code"]
            if code in poverty:
                continue
            a = admin.get(code)
            poverty[code] = County(
                code=code,
                name=row["name"],
                prefecture_code=(a["prefecture_code"] or None) if a else code[:4] + "00",
                province_code=a["province_code"] if a else code[:2] + "0000",
                poverty=True,
                sanqu=row["sanqu_sanzhou"] == "1",
                townships=tuple(sorted(townships.get(code, ()))),
            )
    others = tuple(
        County(
            code=code,
            name=a["name"],
            prefecture_code=a["prefecture_code"] or None,
            province_code=a["province_code"],
            poverty=False,
            sanqu=False,
            townships=tuple(sorted(townships.get(code, ()))),
        )
        for code, a in sorted(admin.items())
        if code not in poverty and a["type"] != "市辖区"
    )
    return tuple(poverty[c] for c in sorted(poverty)), others


@cache
def load_pairs(data_dir: Path) -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    """(designated-unit pair sets, east–west pair sets): helped codes grouped by helper."""
    designated: dict[str, set[str]] = {}
    with (data_dir / "designated_units.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            designated.setdefault(row["unit"], set()).add(row["county_code"])
    east: dict[str, set[str]] = {}
    with (data_dir / "east_west_pairs.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["period"] == "2016-2020":
                east.setdefault(row["helper_code"], set()).add(row["helped_code"])
    return (
        tuple(frozenset(v) for _k, v in sorted(designated.items())),
        tuple(frozenset(v) for _k, v in sorted(east.items())),
    )


# --- the world ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SimNeed:
    need_id: int
    category: str
    county: County
    village_code: str
    township_code: str
    famous: bool
    target_fen: int
    published_day: int
    deadline_day: int
    people: int


@dataclass(frozen=True)
class SimDonor:
    donor_id: int
    kind: str
    categories: frozenset[str]
    provinces: frozenset[str]
    paired_codes: frozenset[str]
    news_follower: bool
    typical_fen: int
    budget_fen: int
    profile: DonorProfile


@dataclass(frozen=True)
class World:
    seed: int
    rounds: int
    needs: tuple[SimNeed, ...]
    donors: tuple[SimDonor, ...]
    active: tuple[tuple[int, ...], ...]  # per day: ids of donors that look today
    news_days: frozenset[tuple[int, int]]  # (day, donor) when a news follower goes famous
    behaviour: Behaviour = Behaviour()


def _lognormal_int(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return int(min(high, max(low, median * math.exp(rng.gauss(0.0, sigma)))))


def build_world(
    seed: int,
    rounds: int,
    n_donors: int,
    n_needs: int,
    data_dir: Path | None = None,
    behaviour: Behaviour | None = None,
) -> World:
    data_dir = data_dir or default_data_dir()
    poverty, others = load_counties(data_dir)
    designated, east = load_pairs(data_dir)
    rng = random.Random(f"world:{seed}")
    famous = [c for c in poverty if c.name in FAMOUS_COUNTY_NAMES]
    ordinary_poverty = [c for c in poverty if c.name not in FAMOUS_COUNTY_NAMES]
    categories = list(CATEGORY_CODES)
    category_weights = [CATEGORY_MIX[c] for c in categories]  # KeyError if a category is new

    def village_in(county: County, famous_place: bool) -> tuple[str, str]:
        towns = county.townships or (county.code + "100",)
        # Famous counties concentrate on their one famous village; others spread over up to
        # six villages so that several needs can share a village (the diversity cap matters).
        index = 0 if famous_place else rng.randrange(6)
        town = towns[(index * 7919 + int(county.code)) % len(towns)]
        return f"{town}{200 + index:03d}", town

    needs: list[SimNeed] = []
    for need_id in range(1, n_needs + 1):
        roll = rng.random()
        if roll < FAMOUS_NEED_SHARE:
            county, is_famous = rng.choice(famous), True
        elif roll < POVERTY_NEED_SHARE:
            county, is_famous = rng.choice(ordinary_poverty), False
        else:
            county, is_famous = rng.choice(others), False
        village, town = village_in(county, is_famous)
        published = rng.randint(-30, -1) if rng.random() < 0.3 else rng.randrange(rounds)
        target_yuan = _lognormal_int(rng, 80_000, 0.9, 5_000, 1_500_000) // 100 * 100
        needs.append(
            SimNeed(
                need_id=need_id,
                category=rng.choices(categories, category_weights)[0],
                county=county,
                village_code=village,
                township_code=town,
                famous=is_famous,
                target_fen=target_yuan * 100,
                published_day=published,
                deadline_day=published + rng.randint(30, 90),
                people=_lognormal_int(rng, 150, 1.0, 5, 5000),
            )
        )

    provinces = sorted({c.province_code for c in poverty})
    kinds = list(DONOR_KINDS)
    donors: list[SimDonor] = []
    for donor_id in range(1, n_donors + 1):
        kind = rng.choices(kinds, [DONOR_KINDS[k][0] for k in kinds])[0]
        _share, median_yuan, history_share = DONOR_KINDS[kind]
        typical_fen = _lognormal_int(rng, median_yuan * 100, 0.6, 10_000, 10**9)
        budget_fen = typical_fen * rng.randint(2, 8)
        liked = frozenset(rng.sample(categories, rng.randint(1, 3)))
        liked_provinces = (
            frozenset(rng.sample(provinces, rng.randint(1, 2)))
            if rng.random() < 0.5
            else frozenset()
        )
        paired: frozenset[str] = frozenset()
        if kind == "central_unit":
            n_central = sum(1 for d in donors if d.kind == "central_unit")
            if n_central < len(designated):
                paired = designated[n_central]
            else:
                paired = frozenset(c.code for c in rng.sample(ordinary_poverty, rng.randint(1, 2)))
        elif kind == "east_partner":
            n_east = sum(1 for d in donors if d.kind == "east_partner")
            paired = east[n_east % len(east)]
        # What the platform knows: most stated preferences, the pairs, and some history.
        stated = frozenset(c for c in sorted(liked) if rng.random() < 0.8)
        stated_regions = frozenset(p for p in sorted(liked_provinces) if rng.random() < 0.7)
        history: tuple[PastGift, ...] = ()
        typical_known: int | None = None
        honour: float | None = None
        if rng.random() < history_share:
            gifts = []
            for _ in range(rng.randint(1, 4)):
                county = rng.choice(poverty if rng.random() < 0.7 else others)
                gifts.append(
                    PastGift(
                        category=rng.choice(sorted(liked)),
                        county_code=county.code,
                        province_code=county.province_code,
                        amount_fen=typical_fen * rng.randint(70, 130) // 100,
                    )
                )
            history = tuple(gifts)
            typical_known = int(statistics.median(g.amount_fen for g in gifts))
            honour = rng.randint(60, 100) / 100
        donors.append(
            SimDonor(
                donor_id=donor_id,
                kind=kind,
                categories=liked,
                provinces=liked_provinces,
                paired_codes=paired,
                news_follower=not paired and rng.random() < NEWS_FOLLOWER_SHARE,
                typical_fen=typical_fen,
                budget_fen=budget_fen,
                profile=DonorProfile(
                    participant_id=donor_id,
                    kind=kind,
                    paired_region_codes=paired,
                    stated_categories=stated,
                    stated_region_codes=stated_regions,
                    history=history,
                    typical_pledge_fen=typical_known,
                    honour_rate=honour,
                ),
            )
        )
    active_rng = random.Random(f"active:{seed}")
    active = tuple(
        tuple(d.donor_id for d in donors if active_rng.random() < ACTIVE_PER_DAY)
        for _day in range(rounds)
    )
    news_days = frozenset(
        (day, donor_id)
        for day, ids in enumerate(active)
        for donor_id in ids
        if donors[donor_id - 1].news_follower and active_rng.random() < 0.5
    )
    return World(
        seed, rounds, tuple(needs), tuple(donors), active, news_days, behaviour or Behaviour()
    )


# --- common random numbers ------------------------------------------------------------------


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: a reproducible hash, independent of PYTHONHASHSEED."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


def _uniform(*parts: int) -> float:
    return (_mix(*parts) + 0.5) / 2.0**64


def _gumbel(*parts: int) -> float:
    """Standard Gumbel draw (scale 1), reproducible from the parts."""
    return -math.log(-math.log(_uniform(*parts)))


# --- one run ------------------------------------------------------------------------------


@dataclass
class _State:
    open_fen: list[int]
    pledgers: list[set[int]]
    funded_day: list[int | None]
    village_received: dict[str, int] = field(default_factory=dict)
    county_received: dict[str, int] = field(default_factory=dict)
    village_donors: dict[str, set[int]] = field(default_factory=dict)
    money_by_need: list[int] = field(default_factory=list)


def _candidate(n: SimNeed, s: _State, today: date) -> CandidateNeed:
    i = n.need_id - 1
    return CandidateNeed(
        need_id=n.need_id,
        category=n.category,
        village_code=n.village_code,
        township_code=n.township_code,
        county_code=n.county.code,
        prefecture_code=n.county.prefecture_code,
        province_code=n.county.province_code,
        county_name=n.county.name,
        is_poverty_county=n.county.poverty,
        sanqu_sanzhou=n.county.sanqu,
        target_fen=n.target_fen,
        open_fen=s.open_fen[i],
        deadline=START + timedelta(days=n.deadline_day),
        published=START + timedelta(days=n.published_day),
        beneficiary_people=n.people,
        pledger_count=len(s.pledgers[i]),
        village_received_fen=s.village_received.get(n.village_code, 0),
        county_received_fen=s.county_received.get(n.county.code, 0),
        village_donor_count=len(s.village_donors.get(n.village_code, ())),
    )


def _utility(world: World, donor: SimDonor, need: SimNeed, day: int, position: int) -> float:
    b = world.behaviour
    u = -b.position_cost * position + b.noise * _gumbel(
        world.seed, donor.donor_id, day, need.need_id
    )
    if need.category in donor.categories:
        u += b.category
    if need.county.province_code in donor.provinces:
        u += b.region
    if donor.paired_codes and (
        need.county.code in donor.paired_codes
        or need.county.province_code in donor.paired_codes
        or need.county.prefecture_code in donor.paired_codes
    ):
        u += b.pair
    if need.famous:
        u += b.fame
    return u


def simulate(
    world: World, strategy: str, *, top_k: int = 10, weights: Weights = DEFAULT_WEIGHTS
) -> dict[str, float]:
    """Run one listing strategy over the world; return its metrics."""
    needs = world.needs
    state = _State(
        open_fen=[n.target_fen for n in needs],
        pledgers=[set() for _ in needs],
        funded_day=[None] * len(needs),
        money_by_need=[0] * len(needs),
    )
    budget = {d.donor_id: d.budget_fen for d in world.donors}
    profiles = {d.donor_id: d.profile for d in world.donors}
    pledges_of: dict[int, list[int]] = {
        d.donor_id: [g.amount_fen for g in d.profile.history] for d in world.donors
    }
    shuffle_rng = random.Random(f"random-listing:{world.seed}")
    looked = pledged_count = 0

    for day in range(world.rounds):
        today = START + timedelta(days=day)
        open_ids = [
            n.need_id
            for n in needs
            if n.published_day <= day <= n.deadline_day and state.open_fen[n.need_id - 1] > 0
        ]
        if not open_ids:
            continue
        current = {i: _candidate(needs[i - 1], state, today) for i in open_ids}
        ranked_by_us = strategy in ("ours", "ours_without_equity")
        pool = CandidatePool.from_needs(current.values()) if ranked_by_us else None
        newest = sorted(open_ids, key=lambda i: (-needs[i - 1].published_day, i))
        for donor_id in world.active[day]:
            donor = world.donors[donor_id - 1]
            if budget[donor_id] <= 0 or not current:
                continue
            looked += 1
            if (day, donor_id) in world.news_days:
                shown = sorted(i for i in current if needs[i - 1].famous)
                positions = [0] * len(shown)
            else:
                shown = _listing(
                    strategy,
                    donor,
                    profiles[donor_id],
                    current,
                    newest,
                    today,
                    top_k,
                    pool,
                    weights,
                    shuffle_rng,
                )
                positions = list(range(len(shown)))
            if not shown:
                continue
            best_u, best = max(
                (_utility(world, donor, needs[i - 1], day, pos), -i)
                for i, pos in zip(shown, positions, strict=True)
            )
            if best_u < world.behaviour.threshold:
                continue
            need = needs[-best - 1]
            idx = need.need_id - 1
            amount = donor.typical_fen * (60 + int(80 * _uniform(world.seed, donor_id, day))) // 100
            amount = min(amount, budget[donor_id], state.open_fen[idx])
            remainder = state.open_fen[idx] - amount
            if 0 < remainder < donor.typical_fen // 5 and remainder <= budget[donor_id] - amount:
                amount += remainder  # donors round up to close a nearly finished need
            amount = max(amount, 1)
            pledged_count += 1
            budget[donor_id] -= amount
            state.open_fen[idx] -= amount
            state.money_by_need[idx] += amount
            state.pledgers[idx].add(donor_id)
            v, c = need.village_code, need.county.code
            state.village_received[v] = state.village_received.get(v, 0) + amount
            state.county_received[c] = state.county_received.get(c, 0) + amount
            state.village_donors.setdefault(v, set()).add(donor_id)
            if state.open_fen[idx] == 0:
                state.funded_day[idx] = day
                del current[need.need_id]
            else:
                current[need.need_id] = replace(
                    current[need.need_id],
                    open_fen=state.open_fen[idx],
                    pledger_count=len(state.pledgers[idx]),
                )
            if ranked_by_us:
                pledges_of[donor_id].append(amount)
                p = profiles[donor_id]
                gift = PastGift(need.category, c, need.county.province_code, amount)
                profiles[donor_id] = replace(
                    p,
                    history=(*p.history, gift),
                    typical_pledge_fen=int(statistics.median(pledges_of[donor_id])),
                )
    return _metrics(world, state, looked, pledged_count)


def _listing(
    strategy: str,
    donor: SimDonor,
    profile: DonorProfile,
    current: dict[int, CandidateNeed],
    newest: Sequence[int],
    today: date,
    top_k: int,
    pool: CandidatePool | None,
    weights: Weights,
    shuffle_rng: random.Random,
) -> list[int]:
    if strategy in ("ours", "ours_without_equity"):
        w = weights if strategy == "ours" else NO_EQUITY
        recs = rank_needs(
            profile, list(current.values()), today=today, weights=w, limit=top_k, pool=pool
        )
        return [r.need_id for r in recs]
    if strategy == "newest_in_stated_categories":
        wanted = profile.stated_categories
        return [
            i for i in newest if i in current and (not wanted or current[i].category in wanted)
        ][:top_k]
    if strategy == "newest_first":
        return [i for i in newest if i in current][:top_k]
    if strategy == "largest_gap":
        return [
            c.need_id
            for c in heapq.nsmallest(
                top_k, current.values(), key=lambda c: (-c.open_fen, c.need_id)
            )
        ]
    if strategy == "random":
        return shuffle_rng.sample(sorted(current), min(top_k, len(current)))
    raise ValueError(f"unknown strategy {strategy!r}")


def gini(values: Sequence[int]) -> float:
    """Gini coefficient of non-negative amounts (0 = equal, → 1 = all in one place)."""
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def _metrics(world: World, state: _State, looked: int, pledged: int) -> dict[str, float]:
    needs = world.needs
    counties = {n.county.code for n in needs}
    by_county = dict.fromkeys(counties, 0)
    for n in needs:
        by_county[n.county.code] += state.money_by_need[n.need_id - 1]
    total = sum(state.money_by_need)
    to_832 = sum(state.money_by_need[n.need_id - 1] for n in needs if n.county.poverty)
    to_sanqu = sum(state.money_by_need[n.need_id - 1] for n in needs if n.county.sanqu)
    to_famous = sum(state.money_by_need[n.need_id - 1] for n in needs if n.famous)
    days = [
        d - n.published_day for n, d in zip(needs, state.funded_day, strict=True) if d is not None
    ]
    funded = len(days)
    return {
        "funded_share": funded / len(needs),
        "gini_counties": gini(list(by_county.values())),
        "share_832": to_832 / total if total else 0.0,
        "share_sanqu_sanzhou": to_sanqu / total if total else 0.0,
        "share_famous": to_famous / total if total else 0.0,
        "median_days_to_funded": float(statistics.median(days)) if days else math.nan,
        "money_yuan": total / 100,
        "conversion": pledged / looked if looked else 0.0,
    }


def run_simulation(
    seed: int = 42,
    rounds: int = 90,
    donors: int = 400,
    needs: int = 2000,
    *,
    top_k: int = 10,
    strategies: Sequence[str] = STRATEGIES,
    data_dir: Path | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    behaviour: Behaviour | None = None,
) -> dict[str, dict[str, float]]:
    """Build the world for ``seed`` and run each strategy on it: {strategy: metrics}."""
    world = build_world(seed, rounds, donors, needs, data_dir, behaviour)
    return {s: simulate(world, s, top_k=top_k, weights=weights) for s in strategies}


# --- command line -------------------------------------------------------------------------

_COLUMNS = (
    ("funded_share", "funded", "{:.1%}"),
    ("gini_counties", "Gini (counties)", "{:.3f}"),
    ("share_832", "to 832", "{:.1%}"),
    ("share_sanqu_sanzhou", "to 三区三州", "{:.1%}"),
    ("share_famous", "to famous", "{:.1%}"),
    ("median_days_to_funded", "median days", "{:.1f}"),
    ("money_yuan", "pledged ¥", "{:,.0f}"),
    ("conversion", "visits→pledge", "{:.1%}"),
)


def format_table(results: dict[str, dict[str, float]]) -> str:
    header = "| strategy | " + " | ".join(label for _k, label, _f in _COLUMNS) + " |"
    rule = "|" + "---|" * (len(_COLUMNS) + 1)
    rows = [
        f"| {name} | " + " | ".join(fmt.format(m[key]) for key, _l, fmt in _COLUMNS) + " |"
        for name, m in results.items()
    ]
    return "\n".join([header, rule, *rows])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=90, help="days simulated")
    parser.add_argument("--donors", type=int, default=400)
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--top-k", type=int, default=10, help="needs each donor looks at")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--taste-blind",
        action="store_true",
        help="stress case: donors ignore category, region and pair (see TASTE_BLIND)",
    )
    parser.add_argument(
        "--issue-strategies-only",
        action="store_true",
        help="run only ours, newest first, largest gap first and random",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run_simulation(
        args.seed,
        args.rounds,
        args.donors,
        args.needs,
        top_k=args.top_k,
        data_dir=args.data_dir,
        strategies=STRATEGIES if args.issue_strategies_only else STRATEGIES + EXTRA_STRATEGIES,
        behaviour=TASTE_BLIND if args.taste_blind else None,
    )
    elapsed = time.perf_counter() - started
    command = (
        f"python bench/matching_sim.py --seed {args.seed} --rounds {args.rounds} "
        f"--donors {args.donors} --needs {args.needs} --top-k {args.top_k}"
        + (" --taste-blind" if args.taste_blind else "")
        + (" --issue-strategies-only" if args.issue_strategies_only else "")
    )
    print(f"$ {command}")
    print(format_table(results))
    print(f"({elapsed:.1f} s)")
    ours, newest = results.get("ours"), results.get("newest_first")
    if ours and newest:
        ok = (
            ours["funded_share"] > newest["funded_share"]
            and ours["gini_counties"] < newest["gini_counties"]
        )
        print("ours beats newest-first on funded share and Gini:", "yes" if ok else "NO")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
