"""The targeting figures of the national and province dashboards (money reaching the 832
counties, 三区三州 and the registered poor villages, and its spread within them), read from the
rollups, against a recomputation from the confirmed donations and the regions' flags, on SQLite
and PostgreSQL. The Gini here is the mean absolute difference, not the sorted formula of
``pairs.rules.concentration``, so the two definitions check each other."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from fupin.core.clock import CHINA_TZ
from fupin.core.policy import Actor
from fupin.needs.models import Need
from fupin.pairs.rules.concentration import gini, top_share
from fupin.pairs.service import dashboards
from fupin.regions.models import Region
from tests.pairs import recompute
from tests.pairs.data import TODAY, build

ADMIN = Actor(user_id=1, username="national_admin", role="national_admin")


def _gini(values: list[int]) -> float:
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return 0.0
    return sum(abs(a - b) for a in values for b in values) / (2 * n * total)


def _top10(values: list[int]) -> float:
    total = sum(values)
    if not values or total <= 0:
        return 0.0
    return sum(sorted(values, reverse=True)[: math.ceil(len(values) / 10)]) / total


def _pct(part: int, whole: int) -> int | None:
    return part * 10000 // whole if whole > 0 else None


async def _expected(rows: recompute.Rows, code: str | None, year: int | None) -> dict:
    level = "national" if code is None else "province"
    regions = {r.code: r for r in await Region.all()}

    def in_scope(need: Need) -> bool:
        return recompute.in_scope(need, level, code)

    received = to_832 = to_sanqu = to_poor = 0
    counties: dict[str, int] = {}
    villages: dict[str, int] = {}
    for d in rows.donations:
        need = rows.needs[d.need_id]
        if d.state != "confirmed" or not in_scope(need):
            continue
        if year is not None and d.received_on.year != year:
            continue
        county = regions[need.county_code]
        received += d.amount_fen
        if county.is_poverty_county:
            to_832 += d.amount_fen
            counties[county.code] = counties.get(county.code, 0) + d.amount_fen
        if county.sanqu_sanzhou:
            to_sanqu += d.amount_fen
        if need.region_id != need.county_code and regions[need.region_id].is_poor_village:
            to_poor += d.amount_fen
            villages[need.region_id] = villages.get(need.region_id, 0) + d.amount_fen
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ) if year else None
    for need in rows.needs.values():
        if (
            not in_scope(need)
            or need.state not in recompute.LISTABLE
            or need.published_at is None
            or (end is not None and need.published_at >= end)
        ):
            continue
        if regions[need.county_code].is_poverty_county:
            counties.setdefault(need.county_code, 0)
        if regions[need.region_id].is_poor_village:
            villages.setdefault(need.region_id, 0)
    in_832 = [max(0, v) for v in counties.values()]
    poor = [max(0, v) for v in villages.values()]
    return {
        "received_fen": received,
        "share_832_pct_x100": _pct(to_832, received),
        "share_sanqu_pct_x100": _pct(to_sanqu, received),
        "share_poor_villages_pct_x100": _pct(to_poor, received),
        "counties_832": len(in_832),
        "gini_832": _gini(in_832),
        "top10_832": _top10(in_832),
        "poor_villages": len(poor),
        "gini_poor_villages": _gini(poor),
        "top10_poor_villages": _top10(poor),
    }


@pytest.mark.both_databases
async def test_targeting_figures_match_a_recomputation_from_the_donations(world) -> None:
    data = await build(world)
    # Make the flags tell places apart: every other village with a need is a registered poor
    # village, and one county is taken off the 832 list (so not everything is "in the 832").
    village_codes = sorted({n.region_id for n in data.needs if n.region_id != n.county_code})
    await Region.filter(code__in=village_codes[::2]).update(is_poor_village=True)
    await Region.filter(code="532530").update(is_poverty_county=False)
    rows = await recompute.load()
    seen_shares: set[int | None] = set()
    for code in (None, "530000", "510000"):
        for year in (2024, 2025, None):
            d = await dashboards.region_dashboard(
                actor=ADMIN,
                level="national" if code is None else "province",
                code=code,
                year=year,
                today=TODAY,
            )
            t = d.targeting
            assert t is not None
            want = await _expected(rows, code, year)
            where = f"{code} {year}"
            assert t.received_fen == d.money.received_fen == want["received_fen"], where
            for key, value in want.items():
                got = getattr(t, key)
                if isinstance(value, float):
                    assert got == pytest.approx(value), f"{where} {key}"
                else:
                    assert got == value, f"{where} {key}"
            seen_shares.add(t.share_832_pct_x100)
            assert t.gini_832 == pytest.approx(gini(list(t.by_832_county.values())))
            assert t.top10_poor_villages == pytest.approx(
                top_share(list(t.by_poor_village.values()))
            )
    # the data exercises the figures: some money outside the 832 and in poor villages
    assert any(s is not None and 0 < s < 10000 for s in seen_shares)
    county = await dashboards.region_dashboard(
        actor=ADMIN, level="county", code="532627", year=None, today=TODAY
    )
    assert county.targeting is None


async def test_the_national_and_province_pages_show_the_targeting_figures(world, client_as) -> None:
    await build(world)
    admin = client_as("national_admin")
    for path in ("/dashboards/national?year=2025", "/dashboards/province/530000?year=all"):
        page = (await admin.get(path)).text
        assert "资金是否到达贫困地区" in page, path
        assert "贫困县之间的基尼系数" in page and "前 10% 的贫困村获得的资金占比" in page, path
    county = (await admin.get("/dashboards/county/532627?year=all")).text
    assert "资金是否到达贫困地区" not in county
