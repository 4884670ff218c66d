"""The dashboards' money and counts from the platform's records, summed in SQL (docs/domain.md §3.6).

Money figures are summed from the rollups of ``money_rollups`` — kept equal to the pledges and
donations inside every money transaction — so a national dashboard reads a few thousand rows,
not a million donations (``bench/dashboard.py``); only open pledges past their due date are read
live (``open_overdue``). The definitions of each figure are in the docstring of
``fupin.pairs.service.dashboards``; the honour rate is the one of ``money.rules.honour``.

Also here: the small SQL helpers the dashboard modules share (parameters for both databases, a
region as a condition on the need's denormalised codes, a calendar year in China time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fupin.accounts.models import Pair
from fupin.core.clock import CHINA_TZ
from fupin.core.sql import dialect as _dialect
from fupin.core.sql import rows as _rows
from fupin.money.rules.honour import HonourRate
from fupin.money.rules.states import OPEN_PLEDGE_STATES
from fupin.money.service import rollups as money_rollups
from fupin.needs.rules import LISTABLE_STATES
from fupin.pairs.rules import concentration
from fupin.pairs.rules.terms import LAST_YEAR
from fupin.regions.models import Region

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


# ---- SQL helpers -----------------------------------------------------------------------------


def as_int(value: Any) -> int:
    return int(value or 0)


def date_param(value: date) -> Any:
    return value if _dialect() == "postgres" else value.isoformat()


def instant_param(value: datetime) -> Any:
    """Timestamps: PostgreSQL compares timestamptz; SQLite stores UTC text, compared as text."""
    utc = value.astimezone(UTC)
    return utc if _dialect() == "postgres" else utc.strftime("%Y-%m-%d %H:%M:%S")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in China time (a pledge at 23:30 on 31 December belongs to that year)."""
    return (
        datetime(year, 1, 1, tzinfo=CHINA_TZ),
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ),
    )


def instant_period(column: str, year: int | None) -> tuple[str, list[Any]]:
    if year is None:
        return "1=1", []
    start, end = year_bounds(year)
    return f"{column} >= ? AND {column} < ?", [instant_param(start), instant_param(end)]


def in_list(values: Iterable[Any]) -> tuple[str, list[Any]]:
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


def money_of(row: dict[str, Any]) -> Money:
    """A rollup row's sums (``money_rollups.MEASURES``) as Money; open pledges past their due
    date are not in it (``_open_overdue``)."""
    return Money(
        pledged_fen=as_int(row["pledged_fen"]),
        received_fen=as_int(row["received_fen"]),
        pledges=as_int(row["pledges"]),
        honour=HonourRate(
            as_int(row["closed_due"]),
            as_int(row["honoured"]),
            as_int(row["closed_due_fen"]),
            as_int(row["closed_paid_fen"]),
        ),
    )


ROLLUP_SUMS = ", ".join(f"CAST(SUM(n.{m}) AS BIGINT) AS {m}" for m in money_rollups.MEASURES)


def rollup_year(year: int | None) -> tuple[str, list[Any]]:
    return ("n.year = ?", [year]) if year is not None else ("1=1", [])


def rollup_months(year: int | None) -> tuple[str, list[Any]]:
    if year is None:
        return "1=1", []
    return "n.month >= ? AND n.month <= ?", [year * 100 + 1, year * 100 + 12]


async def open_overdue(
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
        period_params = [date_param(date(year, 1, 1)), date_param(date(year, 12, 31))]
    open_in, open_params = in_list(OPEN_PLEDGE_STATES)
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
        [*open_params, date_param(today), *period_params, *params],
    )
    return {
        tuple(r[f"g{i}"] for i in range(len(groups))): HonourRate(
            as_int(r["k"]), 0, as_int(r["due_fen"]), as_int(r["paid_fen"])
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


async def region_money(
    level: str, region: Region | None, year: int | None, today: date
) -> dict[tuple[str, str], Money]:
    """Pledges made and money received in the year, by (child region, category)."""
    table, child, where, params = _rollup_scope(level, region)
    period, period_params = (
        rollup_months(year) if table == money_rollups.NEED_TABLE else rollup_year(year)
    )
    rows = await _rows(
        f"SELECT {child} AS g0, n.category AS g1, {ROLLUP_SUMS} FROM {table} n "
        f"WHERE {period} AND {where} GROUP BY {child}, n.category",
        [*period_params, *params],
    )
    out = {(r["g0"], r["g1"]): money_of(r) for r in rows}
    overdue = await open_overdue([child, "n.category"], where, params, year, today)
    for key, honour in overdue.items():
        out.setdefault((key[0], key[1]), Money()).add(Money(honour=honour))
    return out


@dataclass
class VillageReach:
    reached_by_child: dict[str, int]
    reached: int
    village_total_fen: int
    top_fen: int
    # Of the villages reached, the registered poor villages (the flag the counties keep).
    poor_reached: int = 0


async def village_reach(
    level: str, region: Region | None, year: int | None, top_n: int
) -> VillageReach:
    """Villages whose needs received money in the year (net of reversals), by child region;
    their total, and the money of the ``top_n`` best-funded of them — one statement."""
    child = {"national": "n.province_code", "province": "n.county_code"}.get(level, "n.region_id")
    period, period_params = rollup_year(year)
    where, params = region_condition(region)
    rows = await _rows(
        f"WITH v AS MATERIALIZED (SELECT {child} AS child, n.region_id AS rid, "
        f"CAST(SUM(n.received_fen) AS BIGINT) AS amt FROM rollup_village_money n "
        f"WHERE {period} AND {where} GROUP BY {child}, n.region_id) "
        "SELECT 'reach' AS t, child AS a, CAST(SUM(amt) AS BIGINT) AS amt, COUNT(*) AS k "
        "FROM v WHERE amt > 0 GROUP BY child "
        "UNION ALL SELECT 'top', NULL, CAST(SUM(t3.amt) AS BIGINT), COUNT(*) FROM "
        "(SELECT amt FROM v WHERE amt > 0 ORDER BY amt DESC LIMIT ?) t3 "
        "UNION ALL SELECT 'poor', NULL, CAST(SUM(v.amt) AS BIGINT), COUNT(*) FROM v "
        "JOIN region r ON r.code = v.rid WHERE v.amt > 0 AND r.is_poor_village",
        [*period_params, *params, top_n],
    )
    out = VillageReach({}, 0, 0, 0)
    for row in rows:
        if row["t"] == "reach":
            out.reached_by_child[row["a"]] = as_int(row["k"])
            out.reached += as_int(row["k"])
            out.village_total_fen += as_int(row["amt"])
        elif row["t"] == "poor":
            out.poor_reached = as_int(row["k"])
        else:
            out.top_fen = as_int(row["amt"])
    return out


@dataclass
class Targeting:
    """Where the year's money went against the policy's aim (the poor places) and how evenly it
    spread inside them. Shares are of the money received in scope; the concentration is over the
    places that asked (a public or expired need published by the end of the year) or received
    money, those that got nothing counting as 0 (``pairs.rules.concentration``)."""

    received_fen: int = 0
    to_832_fen: int = 0
    to_sanqu_fen: int = 0
    to_poor_villages_fen: int = 0
    # money received (net, at least 0) per 832 county / registered poor village in the population
    by_832_county: dict[str, int] = field(default_factory=dict)
    by_poor_village: dict[str, int] = field(default_factory=dict)
    # The villages that asked, poor or not: ``asking_villages``'s figure, counted in the same
    # pass over the needs as the poor villages that asked.
    villages_asking: int = 0

    @staticmethod
    def _pct(part: int, whole: int) -> int | None:
        return part * 10000 // whole if whole > 0 else None

    @property
    def share_832_pct_x100(self) -> int | None:
        return self._pct(self.to_832_fen, self.received_fen)

    @property
    def share_sanqu_pct_x100(self) -> int | None:
        return self._pct(self.to_sanqu_fen, self.received_fen)

    @property
    def share_poor_villages_pct_x100(self) -> int | None:
        return self._pct(self.to_poor_villages_fen, self.received_fen)

    @property
    def counties_832(self) -> int:
        return len(self.by_832_county)

    @property
    def poor_villages(self) -> int:
        return len(self.by_poor_village)

    @property
    def gini_832(self) -> float:
        return concentration.gini(list(self.by_832_county.values()))

    @property
    def top10_832(self) -> float:
        return concentration.top_share(list(self.by_832_county.values()))

    @property
    def gini_poor_villages(self) -> float:
        return concentration.gini(list(self.by_poor_village.values()))

    @property
    def top10_poor_villages(self) -> float:
        return concentration.top_share(list(self.by_poor_village.values()))


async def targeting(region: Region | None, year: int | None) -> Targeting:
    """The targeting figures from the county and village rollups (a few thousand rows), plus the
    832 counties and poor villages that asked, found from the needs side as ``asking_villages``
    does — and, in the same pass, ``asking_villages``'s own count."""
    period, period_params = rollup_year(year)
    where, params = region_condition(region)
    out = Targeting()
    counties = await _rows(
        "SELECT n.county_code AS c, CAST(SUM(n.received_fen) AS BIGINT) AS amt, "
        "MAX(CASE WHEN r.is_poverty_county THEN 1 ELSE 0 END) AS p, "
        "MAX(CASE WHEN r.sanqu_sanzhou THEN 1 ELSE 0 END) AS s "
        "FROM rollup_county_money n LEFT JOIN region r ON r.code = n.county_code "
        f"WHERE {period} AND {where} GROUP BY n.county_code",
        [*period_params, *params],
    )
    for row in counties:
        amount = as_int(row["amt"])
        out.received_fen += amount
        if as_int(row["p"]):
            out.to_832_fen += amount
            out.by_832_county[row["c"]] = max(0, amount)
        if as_int(row["s"]):
            out.to_sanqu_fen += amount
    villages = await _rows(
        "SELECT n.region_id AS v, CAST(SUM(n.received_fen) AS BIGINT) AS amt "
        "FROM rollup_village_money n JOIN region r ON r.code = n.region_id "
        f"WHERE r.is_poor_village AND {period} AND {where} GROUP BY n.region_id",
        [*period_params, *params],
    )
    for row in villages:
        amount = as_int(row["amt"])
        out.to_poor_villages_fen += amount
        out.by_poor_village[row["v"]] = max(0, amount)
    listable_in, listable_params = in_list(LISTABLE_STATES)
    asked, asked_params = "n.published_at IS NOT NULL", []
    if year is not None:
        asked, asked_params = "n.published_at < ?", [instant_param(year_bounds(year)[1])]
    need_where, need_params = region_condition(region)
    county_where, county_params = region_condition(region, alias="r")
    # The 832 counties probe their needs by the (county, region, state, published_at) index,
    # 832 probes at most, each answered from the index (with the (county, state) index every
    # probe read need rows for the publication day: 100k needs, ~50 ms → 3 ms); a DISTINCT
    # over every need in scope took 0.4 s nationally. The villages: the distinct places of the
    # needs first, grouped in the order of the (region_id, state, published_at) index as
    # ``asking_villages`` groups them (the state as ``state || ''`` so that the planner walks
    # that order instead of sorting every public need), counted — the dashboard's "villages
    # asking", so that it reads the needs once — and then one probe of the region table per
    # place for the poor ones, not one per need (100k needs: 2.0 → 0.4 s on SQLite, most of
    # it reading region rows).
    asking = await _rows(
        "WITH v AS MATERIALIZED (SELECT n.region_id AS region_id FROM need n "
        f"WHERE n.state || '' IN {listable_in} AND {asked} AND {need_where} "
        "GROUP BY n.region_id) "
        "SELECT 'c' AS t, r.code AS k, 0 AS n FROM region r WHERE r.is_poverty_county "
        f"AND r.level = 'county' AND {county_where} AND EXISTS (SELECT 1 FROM need n "
        f"WHERE n.county_code = r.code AND n.state IN {listable_in} AND {asked}) "
        "UNION ALL SELECT 'v', v.region_id, 0 FROM v "
        "JOIN region r ON r.code = v.region_id WHERE r.is_poor_village "
        "UNION ALL SELECT 'n', NULL, COUNT(*) FROM v WHERE length(v.region_id) = 12",
        [
            *listable_params,
            *asked_params,
            *need_params,
            *county_params,
            *listable_params,
            *asked_params,
        ],
    )
    for row in asking:
        if row["t"] == "n":
            out.villages_asking = as_int(row["n"])
            continue
        bucket = out.by_832_county if row["t"] == "c" else out.by_poor_village
        bucket.setdefault(row["k"], 0)
    return out


async def asking_villages(region: Region | None, year: int | None) -> int:
    """Villages with a public (or expired) need published by the end of the year. Counted from
    the needs side (a DISTINCT over the needs in scope, each probing its village by key): the
    national registry holds 620,573 villages, almost all without a need, so probing every
    village in scope for a need cost 0.7 s nationally where the needs are ~100k at most."""
    listable_in, listable_params = in_list(LISTABLE_STATES)
    period, period_params = "n.published_at IS NOT NULL", []
    if year is not None:
        period, period_params = "n.published_at < ?", [instant_param(year_bounds(year)[1])]
    if region is None or region.level in ("province", "county"):
        # A village's code is its 12 digits (regions.rules.is_village_code) and a need carries
        # its province and county: no probe of the 620,573-row region table per need (at 100k
        # needs the join was most of the national dashboard's time).
        scope, scope_params = "1=1", []
        if region is not None:
            column = "province_code" if region.level == "province" else "county_code"
            scope, scope_params = f"n.{column} = ?", [region.code]
        # Grouped by village in the order of the (region_id, state, published_at) index, which
        # holds every test: a DISTINCT over the needs found by state sorted every public need
        # in a temporary B-tree (100k needs on SQLite: 60–80 ms → 20 ms). The state is tested
        # as ``state || ''``, which no index serves, so that the planner walks the village
        # order instead of the state's.
        rows = await _rows(
            "SELECT COUNT(*) AS k FROM (SELECT n.region_id FROM need n WHERE"
            f" length(n.region_id) = 12 AND {scope} AND n.state || '' IN {listable_in}"
            f" AND {period} GROUP BY n.region_id) v",
            [*scope_params, *listable_params, *period_params],
        )
        return as_int(rows[0]["k"]) if rows else 0
    rows = await _rows(
        "SELECT COUNT(DISTINCT n.region_id) AS k FROM need n JOIN region r ON r.code = n.region_id"
        f" WHERE r.level = 'village' AND r.prefecture_code = ? AND n.state IN {listable_in}"
        f" AND {period}",
        [region.code, *listable_params, *period_params],
    )
    return as_int(rows[0]["k"]) if rows else 0


def published_period(year: int | None) -> tuple[str, list[Any]]:
    """Needs published in the year; for all years, published at all — written as a range so
    that the planner reads the covering (published_at, …) index instead of every need row."""
    if year is None:
        return (
            "n.published_at >= ? AND n.published_at < ?",
            [instant_param(year_bounds(1970)[0]), instant_param(year_bounds(LAST_YEAR)[1])],
        )
    return instant_period("n.published_at", year)


#: Months in which a pledge was made or money received (a month holding only the honour figures
#: of pledges settled in it moved no money).
MONEY_MOVED = "(n.pledges <> 0 OR n.donations <> 0)"


# ---- a pair's money (docs/rules.md §6.2, last paragraph) ------------------------------------------------


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
    helpers_in, helper_params = in_list({p.helper_id for p in pairs})
    pairs_in, pair_params = in_list(p.id for p in pairs)
    # Rows are kept per helper donor (``who``) and pair attribution; every other donor is
    # "who = 0", so a few hundred groups reach Python, not one per donor.
    period, period_params = rollup_year(year)
    rows = await _rows(
        f"SELECT n.pair_id AS g0, n.who AS g1, n.county_code AS g2, n.province_code AS g3, "
        f"{ROLLUP_SUMS} FROM rollup_pair_money n WHERE {period} "
        f"AND (n.who IN {helpers_in} OR n.pair_id IN {pairs_in}) "
        "GROUP BY n.pair_id, n.who, n.county_code, n.province_code",
        [*period_params, *helper_params, *pair_params],
    )
    groups = {(r["g0"], r["g1"], r["g2"], r["g3"]): money_of(r) for r in rows}
    overdue = await open_overdue(
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
