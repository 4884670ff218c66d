"""The poverty office's dashboards: national → province → county → need, and per pair.

Every figure is an SQL aggregate over the platform's own records (BRIEF §3.6: sums in SQL). The
money figures of the region and pair dashboards are summed from the rollups of
``money_rollups`` — kept equal to the pledges and donations inside every money transaction — so
the national dashboard reads a few thousand rows, not a million donations
(``bench/dashboard.py``); only open pledges past their due date are read live. Definitions (the
tests recompute each one independently, in Python, from the raw rows):

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
* a **pair's** money (RULES §6.2, last paragraph): for needs in the helped region, what the
  helper itself pledged / gave, and what participants pledged / gave under the pair's
  attribution (``Pledge.pair``) — the participants it mobilised.

Years are calendar years in China time; ``year=None`` means all years.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fupin.accounts.models import Pair
from fupin.core.categories import CATEGORIES
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.core.policy import Actor, Scope, can, require
from fupin.core.sql import dialect as _dialect
from fupin.core.sql import rows as _rows
from fupin.db import read_snapshot
from fupin.errors import InvalidInput, NotFound, PermissionDenied
from fupin.i18n import _
from fupin.money.rules.honour import HonourRate
from fupin.money.rules.states import OPEN_PLEDGE_STATES
from fupin.money.service import rollups as money_rollups
from fupin.needs.rules import LISTABLE_STATES, PUBLIC_STATES, STATE_LABELS
from fupin.pairs.models import PairFigure, PairYear
from fupin.pairs.rules.alerts import (
    INDICATOR_BY_CODE,
    INDICATORS,
    MONEY,
    PLATFORM_MONEY_INDICATOR,
    STATUS_LABELS,
    UNFUNDED_DAYS_DEFAULT,
    FigureAlert,
    Progress,
    assess,
    figure_alerts,
    unfunded_cutoff,
)
from fupin.pairs.service.management import pair_scope, year_figures
from fupin.regions.models import Region

MIN_YEAR, MAX_YEAR = 2010, 2100
#: Needs listed in a county's drill-down table (the export carries the same rows).
NEED_LIST_LIMIT = 1000
UNFUNDED_LIST_LIMIT = 100


#: Covering indexes of the raw-row aggregates that remain (a pair's own page: its villages,
#: projects, years and months). They are in the money models' ``Meta.indexes``; the benchmark
#: reports them (and creates them on a database built before they existed).
DASHBOARD_INDEXES: dict[str, tuple[str, ...]] = {
    "donation": ("state", "received_on", "need_id", "amount_fen", "donor_id", "pledge_id"),
    "pledge": (
        "created_at",
        "need_id",
        "participant_id",
        "pair_id",
        "state",
        "due_date",
        "amount_fen",
        "paid_fen",
        "committed_fen",
    ),
}


# ---- tables: what pages, charts, exports and the API all show ---------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | yuan (fen) | pct (hundredths of a percent, None = —)


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{k: v for k, v in row.items() if not k.startswith("_")} for row in self.rows],
        }


def pct_text(value: int | None) -> str:
    """Hundredths of a percent → "12.34%"; None → "—"."""
    if value is None:
        return "—"
    whole, frac = divmod(int(value), 100)
    return f"{whole}.{frac:02d}%"


def export_columns(table: Table) -> tuple[list[tuple[str, str, str]], list[dict[str, Any]]]:
    """Columns and rows in the shape of ``fupin.core.exports`` (percentages as text)."""
    columns = [(c.key, c.label, "text" if c.kind == "pct" else c.kind) for c in table.columns]
    pct_keys = [c.key for c in table.columns if c.kind == "pct"]
    rows = []
    for row in table.rows:
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        for key in pct_keys:
            out[key] = pct_text(row.get(key))
        rows.append(out)
    return columns, rows


# ---- SQL helpers -----------------------------------------------------------------------------


def _int(value: Any) -> int:
    return int(value or 0)


def _date_param(value: date) -> Any:
    return value if _dialect() == "postgres" else value.isoformat()


def _instant_param(value: datetime) -> Any:
    """Timestamps: PostgreSQL compares timestamptz; SQLite stores UTC text, compared as text."""
    utc = value.astimezone(UTC)
    return utc if _dialect() == "postgres" else utc.strftime("%Y-%m-%d %H:%M:%S")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in China time (a pledge at 23:30 on 31 December belongs to that year)."""
    return (
        datetime(year, 1, 1, tzinfo=CHINA_TZ),
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ),
    )


def _instant_period(column: str, year: int | None) -> tuple[str, list[Any]]:
    if year is None:
        return "1=1", []
    start, end = year_bounds(year)
    return f"{column} >= ? AND {column} < ?", [_instant_param(start), _instant_param(end)]


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    items = list(values)
    if not items:
        return "(NULL)", []
    return "(" + ", ".join("?" for _ in items) + ")", items


def region_condition(region: Region | None, alias: str = "n") -> tuple[str, list[Any]]:
    """Needs inside a region (None: everywhere), from the need's denormalised codes."""
    if region is None:
        return "1=1", []
    if region.level == "province":
        return f"{alias}.province_code = ?", [region.code]
    if region.level == "prefecture":
        # GB/T 2260: a prefecture's counties share its first four digits.
        return f"{alias}.county_code LIKE ?", [region.code[:4] + "%"]
    if region.level == "county":
        return f"{alias}.county_code = ?", [region.code]
    return f"{alias}.region_id = ?", [region.code]


def need_in_region(county_code: str, province_code: str, region: Region) -> bool:
    """The same test in Python (pair attribution of aggregated rows)."""
    if region.level == "province":
        return province_code == region.code
    if region.level == "prefecture":
        return county_code.startswith(region.code[:4])
    if region.level == "county":
        return county_code == region.code
    return False


# ---- money aggregates ------------------------------------------------------------------------


@dataclass
class Money:
    pledged_fen: int = 0
    received_fen: int = 0
    honour: HonourRate = field(default_factory=HonourRate)
    pledges: int = 0

    def add(self, other: Money) -> None:
        self.pledged_fen += other.pledged_fen
        self.received_fen += other.received_fen
        self.pledges += other.pledges
        self.honour = self.honour + other.honour

    @property
    def honour_pct_x100(self) -> int | None:
        return self.honour.rate_bp

    @property
    def paid_pct_x100(self) -> int | None:
        if not self.honour.due_fen:
            return None
        return self.honour.paid_fen * 10000 // self.honour.due_fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "pledged_fen": self.pledged_fen,
            "received_fen": self.received_fen,
            "pledges": self.pledges,
            "honour": self.honour.as_dict(),
            "honour_pct_x100": self.honour_pct_x100,
            "paid_pct_x100": self.paid_pct_x100,
        }


def _money_of(row: dict[str, Any]) -> Money:
    """A rollup row's sums (``money_rollups.MEASURES``) as Money; open pledges past their due
    date are not in it (``_open_overdue``)."""
    return Money(
        pledged_fen=_int(row["pledged_fen"]),
        received_fen=_int(row["received_fen"]),
        pledges=_int(row["pledges"]),
        honour=HonourRate(
            _int(row["closed_due"]),
            _int(row["honoured"]),
            _int(row["closed_due_fen"]),
            _int(row["closed_paid_fen"]),
        ),
    )


_ROLLUP_SUMS = ", ".join(f"CAST(SUM(n.{m}) AS BIGINT) AS {m}" for m in money_rollups.MEASURES)


def _rollup_year(year: int | None) -> tuple[str, list[Any]]:
    return ("n.year = ?", [year]) if year is not None else ("1=1", [])


def _rollup_months(year: int | None) -> tuple[str, list[Any]]:
    if year is None:
        return "1=1", []
    return "n.month >= ? AND n.month <= ?", [year * 100 + 1, year * 100 + 12]


async def _open_overdue(
    groups: Sequence[str], where: str, params: Sequence[Any], year: int | None, today: date
) -> dict[tuple[Any, ...], HonourRate]:
    """Open pledges past their due date, due in the year, by ``groups`` (SQL over ``p`` pledge,
    ``n`` need, ``pa`` participant): the part of honour rates that depends on today — such a
    pledge counts on its due date (``money.rules.honour``). The lapse sweep closes them within
    the hour, so they are few; the covering (state, due date, …) index finds them."""
    if year is None:
        period, period_params = "1=1", []
    else:
        period = "o.due_date >= ? AND o.due_date <= ?"
        period_params = [_date_param(date(year, 1, 1)), _date_param(date(year, 12, 31))]
    open_in, open_params = _in(OPEN_PLEDGE_STATES)
    keys = ", ".join(f"{g} AS g{i}" for i, g in enumerate(groups))
    # The open pledges past due are picked first, on their own, from the covering index on
    # (state, due date, …), then placed.
    rows = await _rows(
        "WITH p AS MATERIALIZED (SELECT o.need_id AS need_id, o.participant_id AS participant_id, "
        "o.pair_id AS pair_id, o.created_at AS created_at, o.amount_fen AS amount_fen, "
        f"o.paid_fen AS paid_fen FROM pledge o WHERE o.state IN {open_in} AND o.due_date < ? "
        f"AND {period}) "
        f"SELECT {keys}, COUNT(*) AS k, CAST(SUM(p.amount_fen) AS BIGINT) AS due_fen, "
        "CAST(SUM(p.paid_fen) AS BIGINT) AS paid_fen FROM p "
        "JOIN need n ON n.id = p.need_id JOIN participant pa ON pa.id = p.participant_id "
        f"WHERE {where} GROUP BY {', '.join(groups)}",
        [*open_params, _date_param(today), *period_params, *params],
    )
    return {
        tuple(r[f"g{i}"] for i in range(len(groups))): HonourRate(
            _int(r["k"]), 0, _int(r["due_fen"]), _int(r["paid_fen"])
        )
        for r in rows
    }


def _rollup_scope(level: str, region: Region | None) -> tuple[str, str, str, list[Any]]:
    """(table, child column, scope condition, params) of a region dashboard's money: the
    county rollup for the nation and a province, the per-need rollup inside a county."""
    where, params = region_condition(region)
    if level == "county":
        return money_rollups.NEED_TABLE, "n.region_id", where, params
    child = "n.province_code" if level == "national" else "n.county_code"
    return "rollup_county_money", child, where, params


async def _region_money(
    level: str, region: Region | None, year: int | None, today: date
) -> dict[tuple[str, str], Money]:
    """Pledges made and money received in the year, by (child region, category)."""
    table, child, where, params = _rollup_scope(level, region)
    period, period_params = (
        _rollup_months(year) if table == money_rollups.NEED_TABLE else _rollup_year(year)
    )
    rows = await _rows(
        f"SELECT {child} AS g0, n.category AS g1, {_ROLLUP_SUMS} FROM {table} n "
        f"WHERE {period} AND {where} GROUP BY {child}, n.category",
        [*period_params, *params],
    )
    out = {(r["g0"], r["g1"]): _money_of(r) for r in rows}
    overdue = await _open_overdue([child, "n.category"], where, params, year, today)
    for key, honour in overdue.items():
        out.setdefault((key[0], key[1]), Money()).add(Money(honour=honour))
    return out


@dataclass
class VillageReach:
    reached_by_child: dict[str, int]
    reached: int
    village_total_fen: int
    top_fen: int


async def _village_reach(
    level: str, region: Region | None, year: int | None, top_n: int
) -> VillageReach:
    """Villages whose needs received money in the year (net of reversals), by child region;
    their total, and the money of the ``top_n`` best-funded of them — one statement."""
    child = {"national": "n.province_code", "province": "n.county_code"}.get(level, "n.region_id")
    period, period_params = _rollup_year(year)
    where, params = region_condition(region)
    rows = await _rows(
        f"WITH v AS MATERIALIZED (SELECT {child} AS child, n.region_id AS rid, "
        f"CAST(SUM(n.received_fen) AS BIGINT) AS amt FROM rollup_village_money n "
        f"WHERE {period} AND {where} GROUP BY {child}, n.region_id) "
        "SELECT 'reach' AS t, child AS a, CAST(SUM(amt) AS BIGINT) AS amt, COUNT(*) AS k "
        "FROM v WHERE amt > 0 GROUP BY child "
        "UNION ALL SELECT 'top', NULL, CAST(SUM(t3.amt) AS BIGINT), COUNT(*) FROM "
        "(SELECT amt FROM v WHERE amt > 0 ORDER BY amt DESC LIMIT ?) t3",
        [*period_params, *params, top_n],
    )
    out = VillageReach({}, 0, 0, 0)
    for row in rows:
        if row["t"] == "reach":
            out.reached_by_child[row["a"]] = _int(row["k"])
            out.reached += _int(row["k"])
            out.village_total_fen += _int(row["amt"])
        else:
            out.top_fen = _int(row["amt"])
    return out


async def _asking_villages(region: Region | None, year: int | None) -> int:
    """Villages with a public (or expired) need published by the end of the year: one index
    probe per village instead of a DISTINCT over every need."""
    listable_in, listable_params = _in(LISTABLE_STATES)
    scope, scope_params = "1=1", []
    if region is not None:
        column = {"province": "province_code", "prefecture": "prefecture_code"}.get(
            region.level, "county_code"
        )
        scope, scope_params = f"r.{column} = ?", [region.code]
    period, period_params = "n.published_at IS NOT NULL", []
    if year is not None:
        period, period_params = "n.published_at < ?", [_instant_param(year_bounds(year)[1])]
    rows = await _rows(
        f"SELECT COUNT(*) AS k FROM region r WHERE r.level = 'village' AND {scope} AND EXISTS "
        f"(SELECT 1 FROM need n WHERE n.region_id = r.code AND n.state IN {listable_in} AND {period})",
        [*scope_params, *listable_params, *period_params],
    )
    return _int(rows[0]["k"]) if rows else 0


# ---- region dashboards -----------------------------------------------------------------------


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

    def summary(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "region": self.region.code if self.region else None,
            "region_name": self.region.name if self.region else None,
            "year": self.year,
            "needs": self.needs,
            "target_fen": self.target_fen,
            **self.money.as_dict(),
            "villages_asking": self.villages_asking,
            "villages_reached": self.villages_reached,
            "top_villages": self.top_villages,
            "concentration_pct_x100": self.concentration_pct_x100,
            "lagging_pairs": self.lagging_pairs,
            "unfunded_needs": self.unfunded_needs,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "tables": {k: t.as_dict() for k, t in self.tables.items()}}


def check_year(raw: Any, *, default: int | None = None, allow_all: bool = True) -> int | None:
    """``?year=`` → an int, None for "all" (when allowed), or the default (this year)."""
    if raw in (None, ""):
        return default if default is not None else today_cn().year
    text = str(raw).strip()
    if allow_all and text == "all":
        return None
    try:
        year = int(text)
    except ValueError:
        raise InvalidInput(_("年份必须是整数。"), field="year") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(_("年份须在 %(a)d–%(b)d 之间。", a=MIN_YEAR, b=MAX_YEAR), field="year")
    return year


def _published_period(year: int | None) -> tuple[str, list[Any]]:
    """Needs published in the year; for all years, published at all — written as a range so
    that the planner reads the covering (published_at, …) index instead of every need row."""
    if year is None:
        return (
            "n.published_at >= ? AND n.published_at < ?",
            [_instant_param(year_bounds(1970)[0]), _instant_param(year_bounds(MAX_YEAR)[1])],
        )
    return _instant_period("n.published_at", year)


def require_dashboard_ok(actor: Actor | None, region: Region | None) -> bool:
    """Whether ``require_dashboard`` would let the actor in (for links)."""
    if region is None:
        return can(actor, "dashboard.national")
    county = region.county_code or (region.code if region.level == "county" else "")
    return can(
        actor,
        "dashboard.view",
        Scope(region_code=region.code, county_code=county, province_code=region.province_code),
    )


async def _region_for(level: str, code: str | None) -> Region | None:
    if level == "national":
        return None
    region = await Region.get_or_none(code=code or "")
    if region is None or region.level != level:
        raise NotFound(_("地区不存在：%(code)s", code=str(code)[:20]), field="code")
    return region


def require_dashboard(actor: Actor | None, region: Region | None) -> Actor:
    """National: the national office and auditors. A province / county: offices of that
    province (or county), and the national office (policy ``dashboard.view``)."""
    if region is None:
        return require(actor, "dashboard.national")
    county = region.county_code or (region.code if region.level == "county" else "")
    return require(
        actor,
        "dashboard.view",
        Scope(region_code=region.code, county_code=county, province_code=region.province_code),
    )


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
    lapses meanwhile is counted once, from the rollups or live."""
    async with read_snapshot():
        return await _region_dashboard(
            actor=actor,
            level=level,
            code=code,
            year=year,
            today=today,
            unfunded_days=unfunded_days,
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
    region = await _region_for(level, code)
    require_dashboard(actor, region)
    today = today or today_cn()
    where, params = region_condition(region)
    child_key = {
        "national": "n.province_code",
        "province": "n.county_code",
        "county": "n.region_id",
    }[level]

    # needs published in the year, by child region × category × state
    public_in, public_params = _in(PUBLIC_STATES)
    period, period_params = _published_period(year)
    need_rows = await _rows(
        f"SELECT {child_key} AS g0, n.category AS g1, n.state AS g2, COUNT(*) AS k, "
        f"CAST(SUM(n.target_fen) AS BIGINT) AS t FROM need n WHERE n.state IN {public_in} AND {period} AND {where} "
        f"GROUP BY {child_key}, n.category, n.state",
        [*public_params, *period_params, *params],
    )
    asking = await _asking_villages(region, year)
    top_n = max(1, math.ceil(asking * 10 / 100)) if asking else 0
    money_by = await _region_money(level, region, year, today)
    received = await _village_reach(level, region, year, top_n)
    if received.reached > asking:
        # Money reached villages whose needs are no longer public (e.g. withdrawn): they count.
        top_n = max(1, math.ceil(received.reached * 10 / 100))
        received = await _village_reach(level, region, year, top_n)

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
            bucket["needs"] += _int(row["k"])
            bucket["target_fen"] += _int(row["t"])
        states[category][state] += _int(row["k"])
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
    tables["states"] = _state_table(states)
    tables["monthly"] = await _monthly_table(region, year)

    pairs = await pairs_in_scope(region, year or today.year)
    pair_rows, lagging = await _pair_summaries(pairs, year or today.year, today)
    tables["pairs"] = _pairs_table(pair_rows)
    tables["lagging"] = _lagging_table(lagging)
    unfunded_rows, unfunded_total = await unfunded_needs(
        regions=[p.helped_region for p in pairs], within=region, today=today, days=unfunded_days
    )
    tables["unfunded"] = _unfunded_table(unfunded_rows, unfunded_days, unfunded_total)
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
    columns = [Column("category", _("类别")), Column("code", _("代码")), *_money_columns()]
    return Table("categories", _("分类别情况"), columns, rows)


def _state_table(states: dict[str, dict[str, int]]) -> Table:
    columns = [Column("category", _("类别"))]
    columns += [Column(s, _(STATE_LABELS[s]), "int") for s in PUBLIC_STATES]
    columns.append(Column("total", _("合计"), "int"))
    rows = []
    for code in CATEGORIES:
        if code not in states:
            continue
        row: dict[str, Any] = {"category": _(CATEGORIES[code]), "_code": code}
        for s in PUBLIC_STATES:
            row[s] = states[code].get(s, 0)
        row["total"] = sum(states[code].values())
        rows.append(row)
    return Table("states", _("项目：按类别和状态"), columns, rows)


#: Months in which a pledge was made or money received (a month holding only the honour figures
#: of pledges settled in it moved no money).
_MONEY_MOVED = "(n.pledges <> 0 OR n.donations <> 0)"


async def _monthly_table(region: Region | None, year: int | None) -> Table:
    """Pledged and received per month (per year for all years), from the month rollup."""
    period, period_params = _rollup_months(year)
    where, params = region_condition(region)
    rows = await _rows(
        "SELECT n.month AS m, CAST(SUM(n.pledged_fen) AS BIGINT) AS p, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS r FROM rollup_month_money n "
        f"WHERE {period} AND {where} AND {_MONEY_MOVED} GROUP BY n.month",
        [*period_params, *params],
    )
    return _month_series(rows, year)


def _month_series(rows: list[dict[str, Any]], year: int | None) -> Table:
    """Rows of (m = YYYYMM, p = pledged, r = received) as the money-over-time table: months of
    the year, or years when ``year`` is None."""
    pledged: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    for row in rows:
        y, m = divmod(_int(row["m"]), 100)
        key = f"{y}" if year is None else f"{y}-{m:02d}"
        pledged[key] += _int(row["p"])
        received[key] += _int(row["r"])
    return _series_table(dict(pledged), dict(received), year)


def _series_table(p: dict[str, int], r: dict[str, int], year: int | None) -> Table:
    if year is not None:
        keys = [f"{year}-{m:02d}" for m in range(1, 13)]
    else:
        found = sorted(set(p) | set(r))
        keys = [str(y) for y in range(int(found[0]), int(found[-1]) + 1)] if found else []
    rows = []
    cumulative = 0
    for key in keys:
        cumulative += r.get(key, 0)
        rows.append(
            {
                "period": key,
                "pledged_fen": p.get(key, 0),
                "received_fen": r.get(key, 0),
                "cumulative_fen": cumulative,
            }
        )
    columns = [
        Column("period", _("月份") if year is not None else _("年份")),
        Column("pledged_fen", _("认捐"), "yuan"),
        Column("received_fen", _("到账"), "yuan"),
        Column("cumulative_fen", _("累计到账"), "yuan"),
    ]
    return Table("monthly", _("资金走势") if year is None else _("逐月资金"), columns, rows)


async def _needs_table(where: str, params: list[Any], year: int | None) -> Table:
    public_in, public_params = _in(PUBLIC_STATES)
    period, period_params = _published_period(year)
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
            "target_fen": _int(row["target_fen"]),
            "pledged_fen": _int(row["pledged_fen"]),
            "received_fen": _int(row["received_fen"]),
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


# ---- pairs ------------------------------------------------------------------------------------


def in_force(pair: Pair, year: int) -> bool:
    return pair.start_year <= year and (pair.end_year is None or pair.end_year >= year)


async def pairs_in_scope(region: Region | None, year: int) -> list[Pair]:
    """Pairs in force in ``year`` whose helped region lies in (or contains) ``region``."""
    query = Pair.filter(start_year__lte=year).prefetch_related("helper", "helped_region")
    pairs = [p for p in await query if in_force(p, year)]
    if region is None:
        return sorted(pairs, key=lambda p: (p.kind, p.helped_region_id, p.id))
    out = []
    for pair in pairs:
        helped = pair.helped_region
        if (
            region.level == "province"
            and (helped.province_code or helped.code) == region.code
            or region.level == "county"
            and (
                helped.code in (region.code, region.province_code)
                or (helped.level == "prefecture" and region.code.startswith(helped.code[:4]))
            )
        ):
            out.append(pair)
    return sorted(out, key=lambda p: (p.kind, p.helped_region_id, p.id))


@dataclass
class PairMoney:
    helper: Money = field(default_factory=Money)
    mobilised: Money = field(default_factory=Money)

    @property
    def total(self) -> Money:
        both = Money()
        both.add(self.helper)
        both.add(self.mobilised)
        return both


async def pair_money(pairs: Sequence[Pair], year: int | None, today: date) -> dict[int, PairMoney]:
    """Helper's own and mobilised money for many pairs from the pair rollup (see module doc)."""
    out = {p.id: PairMoney() for p in pairs}
    if not pairs:
        return out
    helpers_in, helper_params = _in({p.helper_id for p in pairs})
    pairs_in, pair_params = _in(p.id for p in pairs)
    # Rows are kept per helper donor (``who``) and pair attribution; every other donor is
    # "who = 0", so a few hundred groups reach Python, not one per donor.
    period, period_params = _rollup_year(year)
    rows = await _rows(
        f"SELECT n.pair_id AS g0, n.who AS g1, n.county_code AS g2, n.province_code AS g3, "
        f"{_ROLLUP_SUMS} FROM rollup_pair_money n WHERE {period} "
        f"AND (n.who IN {helpers_in} OR n.pair_id IN {pairs_in}) "
        "GROUP BY n.pair_id, n.who, n.county_code, n.province_code",
        [*period_params, *helper_params, *pair_params],
    )
    groups = {(r["g0"], r["g1"], r["g2"], r["g3"]): _money_of(r) for r in rows}
    overdue = await _open_overdue(
        [
            "COALESCE(p.pair_id, 0)",
            money_rollups.who_sql("pa", "p.participant_id"),
            "n.county_code",
            "n.province_code",
        ],
        f"(p.participant_id IN {helpers_in} OR p.pair_id IN {pairs_in})",
        [*helper_params, *pair_params],
        year,
        today,
    )
    for key, honour in overdue.items():
        groups.setdefault(key, Money()).add(Money(honour=honour))
    by_id = {p.id: p for p in pairs}
    by_helper: dict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_helper[pair.helper_id].append(pair)

    def owners(
        pair_id: int | None, who: int, county: str, province: str
    ) -> Iterable[tuple[Pair, bool]]:
        """(pair, is the helper's own money) for every pair a group of rows counts for."""
        for pair in by_helper.get(who, ()):
            if need_in_region(county or "", province or "", pair.helped_region):
                yield pair, True
        pair = by_id.get(pair_id) if pair_id else None
        if (
            pair is not None
            and pair.helper_id != who
            and need_in_region(county or "", province or "", pair.helped_region)
        ):
            yield pair, False

    for (pair_id, who, county, province), money in groups.items():
        for pair, own in owners(pair_id, who, county, province):
            (out[pair.id].helper if own else out[pair.id].mobilised).add(money)
    return out


async def _figures_for(
    pairs: Sequence[Pair], year: int
) -> dict[int, tuple[dict[str, int | None], dict[str, int | None]]]:
    out: dict[int, tuple[dict[str, int | None], dict[str, int | None]]] = {
        p.id: ({}, {}) for p in pairs
    }
    if not pairs:
        return out
    years = {
        y.id: y.pair_id for y in await PairYear.filter(pair_id__in=[p.id for p in pairs], year=year)
    }
    for figure in await PairFigure.filter(pair_year_id__in=list(years)):
        targets, reported = out[years[figure.pair_year_id]]
        targets[figure.indicator] = figure.target
        reported[figure.indicator] = figure.reported
    return out


async def _pair_summaries(
    pairs: Sequence[Pair], year: int, today: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    money = await pair_money(pairs, year, today)
    figures = await _figures_for(pairs, year)
    rows: list[dict[str, Any]] = []
    lagging: list[dict[str, Any]] = []
    for pair in pairs:
        targets, reported = figures[pair.id]
        platform = money[pair.id].total
        alerts = figure_alerts(
            year=year,
            today=today,
            targets=targets,
            reported=reported,
            platform_money_fen=platform.received_fen,
        )
        target = targets.get(PLATFORM_MONEY_INDICATOR)
        progress = assess(
            target,
            max(platform.received_fen, reported.get(PLATFORM_MONEY_INDICATOR) or 0),
            year,
            today,
        )
        label = f"{pair.helper.name} → {pair.helped_region.name}"
        rows.append(
            {
                "pair_id": pair.id,
                "pair": label,
                "kind": _("东西部协作") if pair.kind == "east_west" else _("定点帮扶"),
                "helper_pledged_fen": money[pair.id].helper.pledged_fen,
                "helper_received_fen": money[pair.id].helper.received_fen,
                "mobilised_pledged_fen": money[pair.id].mobilised.pledged_fen,
                "mobilised_received_fen": money[pair.id].mobilised.received_fen,
                "target_fen": target,
                "reported_fen": reported.get(PLATFORM_MONEY_INDICATOR),
                "progress_pct": progress.actual_pct * 100 if target else None,
                "status": _(STATUS_LABELS[progress.status]),
                "lagging": len(alerts),
                "_status": progress.status,
                "_href": f"/dashboards/pairs/{pair.id}?year={year}",
                "_href_key": "pair",
            }
        )
        for alert in alerts:
            lagging.append(_alert_row(pair, label, alert, year))
    return rows, lagging


def _alert_row(pair: Pair, label: str, alert: FigureAlert, year: int) -> dict[str, Any]:
    indicator = INDICATOR_BY_CODE[alert.indicator]
    money = indicator.unit == MONEY
    return {
        "pair_id": pair.id,
        "pair": label,
        "indicator": _(indicator.label),
        "indicator_code": indicator.code,
        "unit": _("元") if money else (_("人") if indicator.unit == "people" else _("个")),
        "target": alert.target if not money else alert.target // 100,
        "actual": alert.actual if not money else alert.actual // 100,
        "expected_pct": alert.progress.expected_pct * 100,
        "actual_pct": alert.progress.actual_pct * 100,
        "status": _(STATUS_LABELS[alert.progress.status]),
        "source": _("平台记录") if alert.source == "platform" else _("报告数"),
        "_href": f"/dashboards/pairs/{pair.id}?year={year}",
        "_href_key": "pair",
    }


def _pairs_table(rows: list[dict[str, Any]]) -> Table:
    columns = [
        Column("pair_id", _("编号"), "int"),
        Column("pair", _("结对")),
        Column("kind", _("类型")),
        Column("helper_pledged_fen", _("帮扶方认捐"), "yuan"),
        Column("helper_received_fen", _("帮扶方到账"), "yuan"),
        Column("mobilised_pledged_fen", _("动员认捐"), "yuan"),
        Column("mobilised_received_fen", _("动员到账"), "yuan"),
        Column("target_fen", _("社会帮扶资金目标"), "yuan"),
        Column("reported_fen", _("社会帮扶资金报告数"), "yuan"),
        Column("progress_pct", _("完成比例"), "pct"),
        Column("status", _("进度")),
        Column("lagging", _("滞后指标数"), "int"),
    ]
    return Table(
        "pairs",
        _("结对帮扶：目标与完成"),
        columns,
        rows,
        _("平台记录为各结对整个帮扶地区内需求的认捐和到账；完成比例取平台到账与报告数中较大者。"),
    )


def _lagging_table(rows: list[dict[str, Any]]) -> Table:
    columns = [
        Column("pair_id", _("编号"), "int"),
        Column("pair", _("结对")),
        Column("indicator", _("指标")),
        Column("unit", _("单位")),
        Column("target", _("目标"), "int"),
        Column("actual", _("完成"), "int"),
        Column("expected_pct", _("应完成"), "pct"),
        Column("actual_pct", _("已完成"), "pct"),
        Column("status", _("状态")),
        Column("source", _("依据")),
    ]
    return Table(
        "lagging",
        _("进度滞后的结对"),
        columns,
        rows,
        _("进度表：一季度末 10%，二季度末 25%，三季度末 50%，年末 100%。"),
    )


async def unfunded_needs(
    *,
    regions: Sequence[Region],
    within: Region | None,
    today: date,
    days: int = UNFUNDED_DAYS_DEFAULT,
    limit: int = UNFUNDED_LIST_LIMIT,
) -> tuple[list[dict[str, Any]], int]:
    """Needs in helped regions still open (published, not fully pledged, deadline not passed)
    ``days`` after publication, oldest first; and how many there are."""
    if not regions:
        return [], 0
    provinces = sorted({r.code for r in regions if r.level == "province"})
    counties = sorted({r.code for r in regions if r.level == "county"})
    prefixes = sorted({r.code[:4] for r in regions if r.level == "prefecture"})
    parts: list[str] = []
    params: list[Any] = []
    for sql_column, values in (
        ("n.province_code", provinces),
        ("n.county_code", counties),
        ("substr(n.county_code, 1, 4)", prefixes),
    ):
        if values:
            marks, vals = _in(values)
            parts.append(f"{sql_column} IN {marks}")
            params.extend(vals)
    if not parts:
        return [], 0
    helped = "(" + " OR ".join(parts) + ")"
    inside, inside_params = region_condition(within)
    cutoff = unfunded_cutoff(datetime.combine(today, datetime.min.time(), tzinfo=CHINA_TZ), days)
    # One statement: the matching needs once, their number by a window over all of them, and
    # the oldest ``limit`` of them.
    rows = await _rows(
        "WITH u AS MATERIALIZED (SELECT n.id AS id, n.title AS title, n.region_id AS region_id, "
        "n.category AS category, n.published_at AS published_at, n.target_fen AS target_fen, "
        "n.pledged_fen AS pledged_fen FROM need n WHERE n.state = 'published' AND n.deadline >= ? "
        f"AND n.published_at IS NOT NULL AND n.published_at <= ? AND {helped} AND {inside}) "
        f"SELECT u.*, COUNT(*) OVER () AS total FROM u ORDER BY u.published_at, u.id LIMIT {int(limit)}",
        [_date_param(today), _instant_param(cutoff), *params, *inside_params],
    )
    count = [{"k": rows[0]["total"]}] if rows else [{"k": 0}]
    names = {
        r.code: r.full_name or r.name
        for r in await Region.filter(code__in=list({r["region_id"] for r in rows}))
    }
    out = []
    for row in rows:
        published = row["published_at"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        opened = (today - published.astimezone(CHINA_TZ).date()).days
        out.append(
            {
                "id": row["id"],
                "title": row["title"],
                "place": names.get(row["region_id"], row["region_id"]),
                "category": _(CATEGORIES.get(row["category"], row["category"])),
                "published": published.astimezone(CHINA_TZ).date().isoformat(),
                "days_open": opened,
                "target_fen": _int(row["target_fen"]),
                "pledged_fen": _int(row["pledged_fen"]),
                "_href": f"/needs/{row['id']}",
                "_href_key": "title",
            }
        )
    return out, _int(count[0]["k"]) if count else 0


def _unfunded_table(rows: list[dict[str, Any]], days: int, total: int) -> Table:
    columns = [
        Column("id", _("编号"), "int"),
        Column("title", _("需求")),
        Column("place", _("地点")),
        Column("category", _("类别")),
        Column("published", _("发布日期")),
        Column("days_open", _("已发布天数"), "int"),
        Column("target_fen", _("目标金额"), "yuan"),
        Column("pledged_fen", _("已认捐"), "yuan"),
    ]
    note = _("帮扶地区内发布超过 %(d)d 天仍未认捐满额的需求，共 %(n)d 条", d=days, n=total)
    if total > len(rows):
        note += _("（列出最早的 %(k)d 条）", k=len(rows))
    return Table("unfunded", _("长期未获认捐的需求"), columns, rows, note + "。")


# ---- the pair dashboard ----------------------------------------------------------------------


@dataclass
class IndicatorLine:
    code: str
    label: str
    unit: str
    target: int | None
    reported: int | None
    progress: Progress


@dataclass
class PairDashboard:
    pair: Pair
    year: int
    today: date
    money: PairMoney
    indicators: list[IndicatorLine]
    alerts: list[FigureAlert]
    grade: str
    summary_text: str
    note: str
    tables: dict[str, Table]
    years: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair.id,
            "year": self.year,
            "kind": self.pair.kind,
            "helper": {"id": self.pair.helper.id, "name": self.pair.helper.name},
            "helped_region": {
                "code": self.pair.helped_region.code,
                "name": self.pair.helped_region.name,
            },
            "start_year": self.pair.start_year,
            "end_year": self.pair.end_year,
            "helper_money": self.money.helper.as_dict(),
            "mobilised_money": self.money.mobilised.as_dict(),
            "total_money": self.money.total.as_dict(),
            "grade": self.grade,
            "summary": self.summary_text,
            "indicators": [
                {
                    "code": i.code,
                    "unit": i.unit,
                    "target": i.target,
                    "reported": i.reported,
                    "status": i.progress.status,
                    "expected_pct": i.progress.expected_pct,
                    "actual_pct": i.progress.actual_pct,
                }
                for i in self.indicators
            ],
            "alerts": [
                {
                    "indicator": a.indicator,
                    "target": a.target,
                    "actual": a.actual,
                    "status": a.progress.status,
                    "expected_pct": a.progress.expected_pct,
                    "actual_pct": a.progress.actual_pct,
                    "source": a.source,
                }
                for a in self.alerts
            ],
            "tables": {k: t.as_dict() for k, t in self.tables.items()},
        }


def may_view_pair(actor: Actor | None, pair: Pair) -> bool:
    scope = pair_scope(pair)
    return can(actor, "dashboard.view", scope) or can(actor, "pair.report", scope)


def require_pair_view(actor: Actor | None, pair: Pair) -> Actor:
    if actor is None:
        return require(actor, "pair.report")  # raises NotAuthenticated
    if not may_view_pair(actor, pair):
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    return actor


async def load_pair(pair_id: int) -> Pair:
    pair = await Pair.get_or_none(id=pair_id).prefetch_related(
        "helper", "helped_region", "replaces"
    )
    if pair is None:
        raise NotFound(_("结对关系不存在。"), field="pair")
    return pair


async def pair_dashboard(
    *,
    actor: Actor | None,
    pair_id: int,
    year: int | None = None,
    today: date | None = None,
    unfunded_days: int = UNFUNDED_DAYS_DEFAULT,
) -> PairDashboard:
    """A pair's page, read from one snapshot like the region dashboards."""
    async with read_snapshot():
        return await _pair_dashboard(
            actor=actor, pair_id=pair_id, year=year, today=today, unfunded_days=unfunded_days
        )


async def _pair_dashboard(
    *,
    actor: Actor | None,
    pair_id: int,
    year: int | None,
    today: date | None,
    unfunded_days: int,
) -> PairDashboard:
    pair = await load_pair(pair_id)
    require_pair_view(actor, pair)
    today = today or today_cn()
    if year is None:
        year = min(max(today.year, pair.start_year), pair.end_year or today.year)
    if (
        year < pair.start_year
        or (pair.end_year is not None and year > pair.end_year)
        or year > today.year + 1
    ):
        raise InvalidInput(
            _(
                "%(y)d 年不在该结对的执行期（%(a)d–%(b)s）内。",
                y=year,
                a=pair.start_year,
                b=str(pair.end_year) if pair.end_year else _("至今"),
            ),
            field="year",
        )
    money = (await pair_money([pair], year, today))[pair.id]
    figures = await year_figures(pair.id, year)
    platform = money.total
    indicators = []
    for indicator in INDICATORS:
        target = figures.targets.get(indicator.code)
        reported = figures.reported.get(indicator.code)
        if target is None and reported is None and pair.kind not in indicator.kinds:
            continue
        actual = reported
        if indicator.code == PLATFORM_MONEY_INDICATOR:
            actual = max(reported or 0, platform.received_fen)
        indicators.append(
            IndicatorLine(
                indicator.code,
                _(indicator.label),
                indicator.unit,
                target,
                reported,
                assess(target, actual, year, today),
            )
        )
    alerts = figure_alerts(
        year=year,
        today=today,
        targets=figures.targets,
        reported=figures.reported,
        platform_money_fen=platform.received_fen,
    )
    tables: dict[str, Table] = {}
    tables["money_indicators"], tables["other_indicators"] = _indicator_tables(
        indicators, platform.received_fen
    )
    tables["platform"] = _platform_table(money)
    tables["projects"] = await _pair_projects(pair, year)
    tables["villages"] = await _pair_villages(pair, year)
    tables["years"] = await _pair_years(pair, today)
    tables["monthly"] = await _pair_monthly(pair, year)
    unfunded_rows, unfunded_total = await unfunded_needs(
        regions=[pair.helped_region], within=None, today=today, days=unfunded_days
    )
    tables["unfunded"] = _unfunded_table(unfunded_rows, unfunded_days, unfunded_total)
    tables["lagging"] = _lagging_table(
        [
            _alert_row(pair, f"{pair.helper.name} → {pair.helped_region.name}", a, year)
            for a in alerts
        ]
    )
    pair_year = figures.pair_year
    this_year = today.year
    last = min(pair.end_year or this_year + 1, this_year + 1)
    return PairDashboard(
        pair=pair,
        year=year,
        today=today,
        money=money,
        indicators=indicators,
        alerts=alerts,
        grade=pair_year.grade if pair_year else "",
        summary_text=pair_year.summary if pair_year else "",
        note=pair_year.note if pair_year else "",
        tables=tables,
        years=list(range(last, pair.start_year - 1, -1)),
    )


def _indicator_tables(indicators: list[IndicatorLine], platform_fen: int) -> tuple[Table, Table]:
    money_rows, other_rows = [], []
    for line in indicators:
        row = {
            "indicator": line.label,
            "code": line.code,
            "target": line.target,
            "reported": line.reported,
            "expected_pct": line.progress.expected_pct * 100 if line.target else None,
            "actual_pct": line.progress.actual_pct * 100 if line.target else None,
            "status": _(STATUS_LABELS[line.progress.status]),
            "_status": line.progress.status,
        }
        if line.unit == MONEY:
            row["platform"] = platform_fen if line.code == PLATFORM_MONEY_INDICATOR else None
            money_rows.append(row)
        else:
            row["unit"] = _("人") if line.unit == "people" else _("个")
            other_rows.append(row)
    base = [Column("indicator", _("指标")), Column("code", _("代码"))]
    tail = [
        Column("expected_pct", _("应完成"), "pct"),
        Column("actual_pct", _("已完成"), "pct"),
        Column("status", _("进度")),
    ]
    money_table = Table(
        "money_indicators",
        _("资金类指标：目标与完成"),
        [
            *base,
            Column("target", _("目标"), "yuan"),
            Column("reported", _("报告数"), "yuan"),
            Column("platform", _("平台到账"), "yuan"),
            *tail,
        ],
        money_rows,
        _("社会帮扶资金的完成比例取报告数与平台到账中较大者。"),
    )
    other_table = Table(
        "other_indicators",
        _("人才、劳务、产业和结对指标"),
        [
            *base,
            Column("unit", _("单位")),
            Column("target", _("目标"), "int"),
            Column("reported", _("报告数"), "int"),
            *tail,
        ],
        other_rows,
    )
    return money_table, other_table


def _platform_table(money: PairMoney) -> Table:
    rows = []
    for key, label, m in (
        ("helper", _("帮扶方自身"), money.helper),
        ("mobilised", _("动员的参与方"), money.mobilised),
        ("total", _("合计"), money.total),
    ):
        rows.append(
            {
                "who": label,
                "_key": key,
                "pledges": m.pledges,
                "pledged_fen": m.pledged_fen,
                "received_fen": m.received_fen,
                "due": m.honour.due_count,
                "honoured": m.honour.honoured_count,
                "honour_pct": m.honour_pct_x100,
                "paid_pct": m.paid_pct_x100,
            }
        )
    columns = [
        Column("who", _("来源")),
        Column("pledges", _("认捐笔数"), "int"),
        Column("pledged_fen", _("认捐"), "yuan"),
        Column("received_fen", _("到账"), "yuan"),
        Column("due", _("到期笔数"), "int"),
        Column("honoured", _("已兑现笔数"), "int"),
        Column("honour_pct", _("兑现率（笔数）"), "pct"),
        Column("paid_pct", _("兑现率（金额）"), "pct"),
    ]
    return Table("platform", _("平台记录：帮扶地区内的认捐与到账"), columns, rows)


def _pair_rows(pair: Pair, period: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    """Rollup rows of a pair's money (RULES §6.2) in ``period``, for needs in its helped region:
    the helper's own (``who``), and what others gave under the pair's attribution."""
    when, when_params = period
    scope, scope_params = region_condition(pair.helped_region)
    return (
        f"{when} AND {scope} AND (n.who = ? OR n.pair_id = ?)",
        [*when_params, *scope_params, pair.helper_id, pair.id],
    )


async def _pair_projects(pair: Pair, year: int | None) -> Table:
    """Needs with a pledge (not withdrawn) made in the year by the helper or under its
    attribution, by category and state."""
    mine, mine_params = _pair_rows(pair, _rollup_months(year))
    rows = await _rows(
        "WITH x AS MATERIALIZED (SELECT n.need_id AS need_id FROM rollup_need_money n "
        f"WHERE {mine} GROUP BY n.need_id "
        "HAVING SUM(n.pledges) > SUM(n.withdrawn)) "
        "SELECT d.category AS c, d.state AS s, COUNT(*) AS k FROM x JOIN need d ON d.id = x.need_id "
        "GROUP BY d.category, d.state",
        mine_params,
    )
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        states[row["c"]][row["s"]] += _int(row["k"])
    table = _state_table(states)
    table.name = "projects"
    table.title = _("帮扶的项目：按类别和状态")
    table.note = _("当年帮扶方或其动员的参与方认捐（未撤回）的需求。")
    return table


async def _pair_villages(pair: Pair, year: int | None) -> Table:
    mine, mine_params = _pair_rows(pair, _rollup_months(year))
    rows = await _rows(
        "WITH x AS MATERIALIZED (SELECT n.need_id AS need_id, n.region_id AS rid, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS amt FROM rollup_need_money n "
        f"WHERE {mine} AND n.region_id <> n.county_code "
        "GROUP BY n.need_id, n.region_id HAVING SUM(n.donations) > 0) "
        "SELECT rid, CAST(SUM(amt) AS BIGINT) AS amt, COUNT(*) AS k FROM x GROUP BY rid",
        mine_params,
    )
    rows = [r for r in rows if _int(r["amt"]) > 0]
    places = {r.code: r for r in await Region.filter(code__in=[r["rid"] for r in rows])}
    out = [
        {
            "village": places[r["rid"]].full_name if r["rid"] in places else r["rid"],
            "code": r["rid"],
            "needs": _int(r["k"]),
            "received_fen": _int(r["amt"]),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["received_fen"], r["code"]))
    columns = [
        Column("village", _("村")),
        Column("code", _("代码")),
        Column("needs", _("需求数"), "int"),
        Column("received_fen", _("到账"), "yuan"),
    ]
    return Table(
        "villages", _("受益村"), columns, out, _("当年收到帮扶方或其动员的参与方捐赠的村。")
    )


async def _pair_years(pair: Pair, today: date) -> Table:
    last = min(pair.end_year or today.year, today.year)
    years = list(range(pair.start_year, last + 1))[-10:]
    figures: dict[int, dict[str, tuple[int | None, int | None]]] = defaultdict(dict)
    year_ids = {y.id: y.year for y in await PairYear.filter(pair_id=pair.id)}
    for f in await PairFigure.filter(
        pair_year_id__in=list(year_ids),
        indicator__in=[PLATFORM_MONEY_INDICATOR, "fiscal_aid", "funds_invested"],
    ):
        figures[year_ids[f.pair_year_id]][f.indicator] = (f.target, f.reported)
    received: dict[str, int] = {}
    if years:
        mine, mine_params = _pair_rows(pair, ("n.year >= ? AND n.year <= ?", [years[0], years[-1]]))
        rows = await _rows(
            "SELECT n.year AS y, CAST(SUM(n.received_fen) AS BIGINT) AS amt "
            f"FROM rollup_pair_money n WHERE {mine} GROUP BY n.year",
            mine_params,
        )
        received = {str(r["y"]): _int(r["amt"]) for r in rows}
    funds = "fiscal_aid" if pair.kind == "east_west" else "funds_invested"
    out = []
    for y in years:
        social = figures[y].get(PLATFORM_MONEY_INDICATOR, (None, None))
        fiscal = figures[y].get(funds, (None, None))
        out.append(
            {
                "year": str(y),
                "social_target_fen": social[0],
                "social_reported_fen": social[1],
                "platform_received_fen": received.get(str(y), 0),
                "funds_target_fen": fiscal[0],
                "funds_reported_fen": fiscal[1],
            }
        )
    funds_label = _(INDICATOR_BY_CODE[funds].label)
    columns = [
        Column("year", _("年份")),
        Column("social_target_fen", _("社会帮扶资金目标"), "yuan"),
        Column("social_reported_fen", _("社会帮扶资金报告数"), "yuan"),
        Column("platform_received_fen", _("平台到账"), "yuan"),
        Column("funds_target_fen", _("%(x)s目标", x=funds_label), "yuan"),
        Column("funds_reported_fen", _("%(x)s报告数", x=funds_label), "yuan"),
    ]
    return Table("years", _("逐年目标与完成"), columns, out)


async def _pair_monthly(pair: Pair, year: int | None) -> Table:
    """The pair's money (own and mobilised, in the helped region) per month."""
    mine, mine_params = _pair_rows(pair, _rollup_months(year))
    rows = await _rows(
        "SELECT n.month AS m, CAST(SUM(n.pledged_fen) AS BIGINT) AS p, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS r FROM rollup_need_money n "
        f"WHERE {mine} AND {_MONEY_MOVED} GROUP BY n.month",
        mine_params,
    )
    return _month_series(rows, year)


# ---- alerts across a scope (API and CLI) -------------------------------------------------------


async def alerts(
    *,
    actor: Actor | None,
    region_code: str | None = None,
    year: int | None = None,
    today: date | None = None,
    unfunded_days: int = UNFUNDED_DAYS_DEFAULT,
) -> dict[str, Any]:
    """Lagging pairs and long-unfunded needs in a scope (national, a province or a county)."""
    today = today or today_cn()
    year = year or today.year
    region: Region | None = None
    if region_code:
        region = await Region.get_or_none(code=region_code)
        if region is None or region.level not in ("province", "county"):
            raise NotFound(_("地区不存在：%(code)s", code=region_code[:20]), field="region")
    require_dashboard(actor, region)
    pairs = await pairs_in_scope(region, year)
    _rows_unused, lagging = await _pair_summaries(pairs, year, today)
    unfunded, total = await unfunded_needs(
        regions=[p.helped_region for p in pairs], within=region, today=today, days=unfunded_days
    )
    return {
        "year": year,
        "region": region.code if region else None,
        "schedule": _("一季度末 10%，二季度末 25%，三季度末 50%，年末 100%"),
        "unfunded_days": unfunded_days,
        "lagging": [{k: v for k, v in row.items() if not k.startswith("_")} for row in lagging],
        "unfunded_total": total,
        "unfunded": [{k: v for k, v in row.items() if not k.startswith("_")} for row in unfunded],
    }


# ---- the pairs an actor follows ---------------------------------------------------------------


@dataclass
class PairOverview:
    year: int
    region: Region | None
    pairs: list[Pair]
    table: Table
    lagging: Table
    may_manage: bool


async def pair_overview(
    *, actor: Actor | None, year: int, today: date | None = None
) -> PairOverview:
    """The pairs an actor follows in ``year``: every pair (national office, auditors), the pairs
    helping its province or county (offices), or the pairs it is the helper of (a helper's
    members, for their self-assessment reports)."""
    today = today or today_cn()
    if actor is None:
        require(actor, "pair.report")
    assert actor is not None
    region: Region | None = None
    if actor.role in ("national_admin", "auditor"):
        require(actor, "dashboard.national")
        pairs = await pairs_in_scope(None, year)
    elif actor.role in ("province_office", "county_officer"):
        code = actor.province_code if actor.role == "province_office" else actor.county_code
        region = await Region.get_or_none(code=code)
        if region is None:
            raise PermissionDenied(_("您的账号没有所辖地区。"))
        require_dashboard(actor, region)
        pairs = await pairs_in_scope(region, year)
    elif actor.role == "participant_member" and actor.participant_id is not None:
        require(actor, "pair.report", Scope(participant_id=actor.participant_id))
        pairs = [p for p in await pairs_in_scope(None, year) if p.helper_id == actor.participant_id]
    else:
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    rows, lagging = await _pair_summaries(pairs, year, today)
    return PairOverview(
        year=year,
        region=region,
        pairs=pairs,
        table=_pairs_table(rows),
        lagging=_lagging_table(lagging),
        may_manage=can(actor, "pair.manage", None),
    )
