"""The poverty office's dashboards: national → province → county → need.

Every figure is an SQL aggregate over the platform's own records (docs/domain.md §3.6: sums in SQL). The
money figures of the region and pair dashboards are summed from the rollups of
``money_rollups`` (``fupin.pairs.service.aggregates``); only open pledges past their due date
are read live. The other modules of the dashboards: ``pair_dashboard`` (one pair and its
report), ``alerts`` (pairs behind schedule, unfunded needs, the pairs an actor follows),
``access`` (who sees what), ``tables`` (what every page, export and API response shows).
Definitions (the tests recompute each one independently, in Python, from the raw rows):

* **needs** of a year: needs in a public state (published and later) whose ``published_at``
  falls in the year (China time); target = their money targets.
* **pledged** in a year: ``committed_fen`` of the pledges made that year (what the pledge
  contributes to the need's pledged amount: the promise while active, what was paid once it was
  withdrawn or lapsed — the same rule as ``Need.pledged_fen``).
* **received** in a year: confirmed donations whose ``received_on`` lies in the year, reversals
  (negative rows, dated when made) included, so a correction lowers the year it was made in.
* **honour rate** of a year: the one definition (``money.rules.honour``) — of the pledges
  settled in the year (honoured that year, or lapsed or still open past a due date in that
  year), the share honoured; shown as count share and as money share (paid / promised).
* **villages reached**: villages whose needs received money in the year.
* **concentration**: the share of the year's money received by the top 10 % of asking villages
  (villages with at least one public need up to the end of the year), ranked by money received.
* **targeting** (national and province dashboards): the shares of the money received that
  reached the 832 former national poverty counties, 三区三州 and the registered poor villages
  (needs of a whole county are not a village's); the Gini and the top-10 % share of the money
  across the 832 counties, and across the poor villages, that asked (a public or expired need
  published by the end of the year) or received money — a place with nothing counts as 0, a net
  reversal as 0 (``pairs.rules.concentration``, the simulation's definition).
* a **pair's** money (docs/rules.md §6.2, last paragraph): for needs in the helped region, what the
  helper itself pledged / gave, and what participants pledged / gave under the pair's
  attribution (``Pledge.pair``) — the participants it mobilised.

Years are calendar years in China time; ``year=None`` means all years.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fupin.core.cache import GenerationCache
from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.core.sql import rows as _rows
from fupin.db import read_snapshot
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.needs.rules import PUBLIC_STATES, STATE_LABELS
from fupin.pairs.rules.alerts import UNFUNDED_DAYS_DEFAULT
from fupin.pairs.service.access import pairs_in_scope, region_for, require_dashboard
from fupin.pairs.service.aggregates import (
    MONEY_MOVED,
    Money,
    Targeting,
    as_int,
    asking_villages,
    in_list,
    published_period,
    region_condition,
    region_money,
    rollup_months,
    targeting,
    village_reach,
)
from fupin.pairs.service.alerts import (
    lagging_table,
    pair_summaries,
    pairs_table,
    unfunded_needs,
    unfunded_table,
)
from fupin.pairs.service.tables import Column, Table, month_series, state_table
from fupin.regions.models import Region

#: Needs listed in a county's drill-down table (the export carries the same rows).
NEED_LIST_LIMIT = 1000


@dataclass
class RegionDashboard:
    level: str  # national | province | county
    region: Region | None
    year: int | None
    today: date
    needs: int
    target_fen: int
    money: Money
    villages_asking: int
    villages_reached: int
    concentration_pct_x100: int
    top_villages: int
    tables: dict[str, Table]
    breadcrumbs: list[Region]
    lagging_pairs: int = 0
    unfunded_needs: int = 0
    # Villages reached that are registered poor villages (建档立卡, kept by the counties).
    poor_villages_reached: int = 0
    # Money reaching the poor places and its spread within them (national and province only).
    targeting: Targeting | None = None
    # What the pages drew of it, by their own key (the pages' memo: this object is shared
    # through ``CACHE`` while the data generation holds).
    renderings: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def region_code(self) -> str | None:
        return self.region.code if self.region else None

    @property
    def region_name(self) -> str | None:
        return self.region.name if self.region else None


#: The region dashboards computed by this process, for the data generation they were read at
#: (``fupin.core.cache``). Shared by every viewer allowed to see them: nothing in a region
#: dashboard depends on who looks.
CACHE: GenerationCache[RegionDashboard] = GenerationCache(max_entries=64)


async def region_dashboard(
    *,
    actor: Actor | None,
    level: str,
    code: str | None = None,
    year: int | None,
    today: date | None = None,
    unfunded_days: int = UNFUNDED_DAYS_DEFAULT,
) -> RegionDashboard:
    """One dashboard, its aggregates read from one snapshot (``read_snapshot``): a pledge that
    lapses meanwhile is counted once, from the rollups or live. On SQLite the snapshot is a
    read-only connection of its own, so the site goes on while it is read.

    The figures are kept per process for the data generation of the snapshot (``CACHE``): a
    reload after no write is a lookup; any write, in any process, and the next load reads
    afresh. Who may see it is checked on every load."""
    if level not in ("national", "province", "county"):
        raise InvalidInput(_("未知的看板层级。"), field="level")
    day = today or today_cn()
    async with read_snapshot():
        require_dashboard(actor, await region_for(level, code))
        return await CACHE.get_or_compute(
            (level, code, year, day, unfunded_days),
            lambda: _region_dashboard(
                actor=actor,
                level=level,
                code=code,
                year=year,
                today=day,
                unfunded_days=unfunded_days,
            ),
        )


async def _region_dashboard(
    *,
    actor: Actor | None,
    level: str,
    code: str | None,
    year: int | None,
    today: date | None,
    unfunded_days: int,
) -> RegionDashboard:
    if level not in ("national", "province", "county"):
        raise InvalidInput(_("未知的看板层级。"), field="level")
    region = await region_for(level, code)
    require_dashboard(actor, region)
    today = today or today_cn()
    where, params = region_condition(region)
    child_key = {
        "national": "n.province_code",
        "province": "n.county_code",
        "county": "n.region_id",
    }[level]

    # needs published in the year, by child region × category × state
    public_in, public_params = in_list(PUBLIC_STATES)
    period, period_params = published_period(year)
    need_rows = await _rows(
        f"SELECT {child_key} AS g0, n.category AS g1, n.state AS g2, COUNT(*) AS k, "
        f"CAST(SUM(n.target_fen) AS BIGINT) AS t FROM need n WHERE n.state IN {public_in} AND {period} AND {where} "
        f"GROUP BY {child_key}, n.category, n.state",
        [*public_params, *period_params, *params],
    )
    # The national and province dashboards count the villages asking in the pass over the
    # needs that finds the poor places that asked (one read of the needs, not two).
    targeted = await targeting(region, year) if level != "county" else None
    asking = targeted.villages_asking if targeted else await asking_villages(region, year)
    top_n = max(1, math.ceil(asking * 10 / 100)) if asking else 0
    money_by = await region_money(level, region, year, today)
    received = await village_reach(level, region, year, top_n)
    if received.reached > asking:
        # Money reached villages whose needs are no longer public (e.g. withdrawn): they count.
        top_n = max(1, math.ceil(received.reached * 10 / 100))
        received = await village_reach(level, region, year, top_n)

    by_child: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"needs": 0, "target_fen": 0, "money": Money()}
    )
    by_category: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"needs": 0, "target_fen": 0, "money": Money()}
    )
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in need_rows:
        child, category, state = row["g0"], row["g1"], row["g2"]
        for bucket in (by_child[child], by_category[category]):
            bucket["needs"] += as_int(row["k"])
            bucket["target_fen"] += as_int(row["t"])
        states[category][state] += as_int(row["k"])
    for (child, category), money in money_by.items():
        by_child[child]["money"].add(money)
        by_category[category]["money"].add(money)

    total = Money()
    for bucket in by_category.values():
        total.add(bucket["money"])
    concentration = (
        received.top_fen * 10000 // received.village_total_fen
        if received.village_total_fen > 0
        else 0
    )
    villages = {
        "asking": asking,
        "reached": received.reached,
        "top_n": top_n,
        "concentration": concentration,
    }
    reached_by_child = received.reached_by_child if level != "county" else {}

    names = await _child_names(level, region, list(by_child))
    tables: dict[str, Table] = {}
    tables["regions"] = _region_table(level, region, by_child, names, reached_by_child, year)
    tables["categories"] = _category_table(by_category)
    tables["states"] = state_table(states)
    tables["monthly"] = await _monthly_table(region, year)

    pairs = await pairs_in_scope(region, year or today.year)
    pair_rows, lagging = await pair_summaries(pairs, year or today.year, today)
    tables["pairs"] = pairs_table(pair_rows)
    tables["lagging"] = lagging_table(lagging)
    unfunded_rows, unfunded_total = await unfunded_needs(
        regions=[p.helped_region for p in pairs], within=region, today=today, days=unfunded_days
    )
    tables["unfunded"] = unfunded_table(unfunded_rows, unfunded_days, unfunded_total)
    if level == "county":
        tables["needs"] = await _needs_table(where, params, year)

    return RegionDashboard(
        level=level,
        region=region,
        year=year,
        today=today,
        needs=sum(b["needs"] for b in by_category.values()),
        target_fen=sum(b["target_fen"] for b in by_category.values()),
        money=total,
        villages_asking=villages["asking"],
        villages_reached=villages["reached"],
        concentration_pct_x100=villages["concentration"],
        top_villages=villages["top_n"],
        tables=tables,
        breadcrumbs=await _breadcrumbs(region),
        lagging_pairs=len({a["pair_id"] for a in lagging}),
        unfunded_needs=unfunded_total,
        poor_villages_reached=received.poor_reached,
        targeting=targeted,
    )


async def _child_names(level: str, region: Region | None, codes: list[str]) -> dict[str, Region]:
    if not codes:
        return {}
    return {r.code: r for r in await Region.filter(code__in=codes)}


def _money_columns() -> list[Column]:
    return [
        Column("needs", _("需求数"), "int"),
        Column("target_fen", _("目标金额"), "yuan"),
        Column("pledged_fen", _("认捐"), "yuan"),
        Column("received_fen", _("到账"), "yuan"),
        Column("honour_pct", _("兑现率（笔数）"), "pct"),
        Column("paid_pct", _("兑现率（金额）"), "pct"),
    ]


def _money_cells(bucket: dict[str, Any]) -> dict[str, Any]:
    money: Money = bucket["money"]
    return {
        "needs": bucket["needs"],
        "target_fen": bucket["target_fen"],
        "pledged_fen": money.pledged_fen,
        "received_fen": money.received_fen,
        "honour_pct": money.honour_pct_x100,
        "paid_pct": money.paid_pct_x100,
    }


def _region_table(
    level: str,
    region: Region | None,
    by_child: dict[str, dict[str, Any]],
    names: dict[str, Region],
    reached: dict[str, int],
    year: int | None,
) -> Table:
    title = {
        "national": _("分省情况"),
        "province": _("分县情况"),
        "county": _("分村情况"),
    }[level]
    first = {"national": _("省份"), "province": _("县"), "county": _("村")}[level]
    columns = [Column("name", first), Column("code", _("代码")), *_money_columns()]
    if level != "county":
        columns.append(Column("villages_reached", _("受益村数"), "int"))
    rows = []
    suffix = f"?year={year}" if year else "?year=all"
    for code, bucket in by_child.items():
        place = names.get(code)
        if level == "county" and region is not None and code == region.code:
            name = _("全县性项目")
        else:
            name = place.name if place else code
        row = {"name": name, "code": code, **_money_cells(bucket)}
        if level != "county":
            row["villages_reached"] = reached.get(code, 0)
        if level == "national":
            row["_href"] = f"/dashboards/province/{code}{suffix}"
        elif level == "province" and place is not None and place.level == "county":
            row["_href"] = f"/dashboards/county/{code}{suffix}"
        rows.append(row)
    rows.sort(key=lambda r: (-r["received_fen"], -r["pledged_fen"], r["code"]))
    return Table("regions", title, columns, rows)


def _category_table(by_category: dict[str, dict[str, Any]]) -> Table:
    rows = []
    for code in CATEGORIES:
        if code in by_category:
            rows.append(
                {"category": _(CATEGORIES[code]), "code": code, **_money_cells(by_category[code])}
            )
    columns = [Column("category", _("类别")), *_money_columns()]  # the label, never the code
    return Table("categories", _("分类别情况"), columns, rows)


async def _monthly_table(region: Region | None, year: int | None) -> Table:
    """Pledged and received per month (per year for all years), from the month rollup."""
    period, period_params = rollup_months(year)
    where, params = region_condition(region)
    rows = await _rows(
        "SELECT n.month AS m, CAST(SUM(n.pledged_fen) AS BIGINT) AS p, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS r FROM rollup_month_money n "
        f"WHERE {period} AND {where} AND {MONEY_MOVED} GROUP BY n.month",
        [*period_params, *params],
    )
    return month_series(rows, year)


async def _needs_table(where: str, params: list[Any], year: int | None) -> Table:
    public_in, public_params = in_list(PUBLIC_STATES)
    period, period_params = published_period(year)
    rows = await _rows(
        f"SELECT n.id, n.title, n.region_id, n.category, n.state, n.target_fen, n.pledged_fen, n.received_fen "
        f"FROM need n WHERE n.state IN {public_in} AND {period} AND {where} "
        f"ORDER BY n.published_at DESC, n.id DESC LIMIT {NEED_LIST_LIMIT}",
        [*public_params, *period_params, *params],
    )
    names = {
        r.code: r.name
        for r in await Region.filter(code__in=list({row["region_id"] for row in rows}))
    }
    out = [
        {
            "id": row["id"],
            "title": row["title"],
            "place": names.get(row["region_id"], row["region_id"]),
            "category": _(CATEGORIES.get(row["category"], row["category"])),
            "state": _(STATE_LABELS.get(row["state"], row["state"])),
            "target_fen": as_int(row["target_fen"]),
            "pledged_fen": as_int(row["pledged_fen"]),
            "received_fen": as_int(row["received_fen"]),
            "_href": f"/needs/{row['id']}",
            "_href_key": "title",
        }
        for row in rows
    ]
    columns = [
        Column("id", _("编号"), "int"),
        Column("title", _("需求")),
        Column("place", _("村")),
        Column("category", _("类别")),
        Column("state", _("状态")),
        Column("target_fen", _("目标金额"), "yuan"),
        Column("pledged_fen", _("已认捐（累计）"), "yuan"),
        Column("received_fen", _("已到账（累计）"), "yuan"),
    ]
    note = (
        _("最多列出 %(n)d 条，按发布时间倒序。", n=NEED_LIST_LIMIT)
        if len(out) >= NEED_LIST_LIMIT
        else ""
    )
    return Table("needs", _("需求明细"), columns, out, note)


async def _breadcrumbs(region: Region | None) -> list[Region]:
    if region is None:
        return []
    codes = [c for c in (region.province_code,) if c and c != region.code]
    found = {r.code: r for r in await Region.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]
