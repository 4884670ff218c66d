"""Demo targets and reported figures for the real cooperation pairs (idempotent).

Magnitudes follow the national figures of docs/rules.md §6 divided per helped poverty county
(e.g. 2023 fiscal aid 231.9 亿 ≈ 5,187 万 per county; labour placed 73.1 万 people; products
bought and helped to sell 943.8 亿), scaled by the number of poverty counties in the helped
region. Past years are reported around their targets (a few missed); the current year is
reported along the quarter schedule of ``pair_alerts`` with some pairs deliberately behind, so
the dashboards have something to flag.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from fupin.accounts.models import Pair
from fupin.core.clock import today_cn
from fupin.db import transaction
from fupin.pairs.models import PairFigure, PairYear
from fupin.pairs.rules.alerts import INDICATORS, MONEY, expected_share_pct
from fupin.regions.models import Region
from fupin.settings import Settings

WAN = 1_000_000  # fen in 1 万元

#: Per helped poverty county: (low, high) of the yearly target. Money in 万元.
EAST_WEST_PER_COUNTY: dict[str, tuple[int, int]] = {
    "fiscal_aid": (3000, 6000),
    "social_funds": (300, 1200),
    "cadres_exchanged": (4, 10),
    "talent_exchanged": (30, 80),
    "cadres_trained": (200, 600),
    "technicians_trained": (150, 400),
    "parks": (1, 2),
    "enterprises_invested": (3, 8),
    "investment": (10000, 40000),
    "products_purchased": (5000, 12000),
    "products_sold": (8000, 15000),
    "labour_placed": (1000, 2500),
    "labour_placed_poor": (600, 1500),
    "workshops": (1, 3),
    "workshop_workers": (20, 60),
    "pairings_county": (1, 1),
    "pairings_township": (3, 7),
    "pairings_village": (4, 9),
    "pairings_enterprise": (6, 14),
    "pairings_social_org": (1, 3),
    "pairings_school": (4, 8),
    "pairings_hospital": (1, 3),
    "projects": (3, 8),
    "beneficiaries": (2000, 6000),
}
DESIGNATED_PER_COUNTY: dict[str, tuple[int, int]] = {
    "funds_invested": (500, 3000),
    "funds_attracted": (500, 2500),
    "social_funds": (100, 600),
    "cadres_exchanged": (2, 5),
    "cadres_trained": (500, 2000),
    "technicians_trained": (300, 1500),
    "leader_visits": (3, 10),
    "products_purchased": (300, 1500),
    "products_sold": (1000, 5000),
    "pairings_enterprise": (2, 6),
    "pairings_social_org": (1, 2),
    "projects": (5, 20),
    "beneficiaries": (1000, 5000),
}
SUMMARY = (
    "{year} 年双方按年度帮扶协议推进协作：召开联席会议，互派干部挂职，"
    "围绕产业合作、劳务协作和消费帮扶开展工作，主要指标完成情况见下表。"
)


async def _poverty_counties(region: Region) -> int:
    if region.level == "county":
        return 1
    query = Region.filter(level="county", is_poverty_county=True)
    if region.level == "province":
        query = query.filter(province_code=region.code)
    else:
        query = query.filter(prefecture_code=region.code)
    return max(1, await query.count())


def _years(pair: Pair, this_year: int) -> list[int]:
    last = min(pair.end_year or this_year, this_year)
    return [y for y in range(last - 2, last + 1) if y >= pair.start_year]


def plan_figures(
    pair: Pair, counties: int, year: int, today: date
) -> tuple[dict[str, int], dict[str, int], str]:
    """Targets, reported figures and grade for one pair-year (deterministic per pair and year)."""
    rng = random.Random(pair.id * 10007 + year)
    table = EAST_WEST_PER_COUNTY if pair.kind == "east_west" else DESIGNATED_PER_COUNTY
    units = {i.code: i.unit for i in INDICATORS}
    # A pair helping a whole province does not pair every county with the same intensity.
    scale = counties if counties <= 10 else 10 + (counties - 10) // 3
    lagging = rng.random() < 0.3
    share = expected_share_pct(year, today)
    targets: dict[str, int] = {}
    reported: dict[str, int] = {}
    for code, (low, high) in table.items():
        per_county = rng.randint(low, high)
        target = per_county * scale * (WAN if units[code] == MONEY else 1)
        targets[code] = target
        if share == 0:
            continue
        if share == 100:
            factor = rng.randint(70, 95) if lagging and rng.random() < 0.5 else rng.randint(95, 135)
        else:
            factor = share * (rng.randint(45, 85) if lagging else rng.randint(95, 140)) // 100
        reported[code] = target * factor // 100
    grade = ""
    if year >= 2021 and share == 100:
        grade = "fairly_good" if lagging else rng.choice(["good", "good", "fairly_good"])
    return targets, reported, grade


async def load_demo_pairs(
    settings: Settings, result: Any, needs: int, *, today: date | None = None
) -> None:
    today = today or today_cn()
    created = 0
    pairs = await Pair.all().prefetch_related("helped_region")
    counties_cache: dict[str, int] = {}
    existing = set(await PairYear.all().values_list("pair_id", "year"))
    for pair in pairs:
        region = pair.helped_region
        if region.code not in counties_cache:
            counties_cache[region.code] = await _poverty_counties(region)
        for year in _years(pair, today.year):
            if (pair.id, year) in existing:
                continue
            targets, reported, grade = plan_figures(pair, counties_cache[region.code], year, today)
            async with transaction():  # one pair year with its figures
                pair_year = await PairYear.create(
                    pair_id=pair.id,
                    year=year,
                    grade=grade,
                    summary=SUMMARY.format(year=year) if reported else "",
                    note="演示数据",
                )
                await PairFigure.bulk_create(
                    [
                        PairFigure(
                            pair_year_id=pair_year.id,
                            indicator=code,
                            target=target,
                            reported=reported.get(code),
                        )
                        for code, target in targets.items()
                    ]
                )
            created += 1
    result.extra["pair years with targets"] = created
