"""The public page of one pair: what the pair did on the platform, for anyone to read.

The offices' pair page (``pair_dashboard``) is a pair-year with targets, reported figures,
grades and alerts; the public one is the pair's whole record on the platform, read from the
same rollups with the same definitions: its money in its helped region (the helper's own and
what it mobilised, docs/rules.md §6.2), the needs it pledged to, the villages its money reached,
and that money year by year. The honour rate is the one of ``money.rules.honour``.

Anonymity: the public page gives the pair's money as one figure and never splits the helper's
own giving from the participants it mobilised, so a helper's anonymous gift is not read next to
its name as a figure of its own (docs/domain.md §3.7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fupin.accounts.models import Pair
from fupin.core.clock import today_cn
from fupin.core.sql import rows as _rows
from fupin.db import read_snapshot
from fupin.pairs.rules.sources import SourceRefs, source_refs, verification_label
from fupin.pairs.service.access import load_pair
from fupin.pairs.service.aggregates import Money, pair_money
from fupin.pairs.service.pair_dashboard import pair_projects, pair_rows, pair_villages
from fupin.pairs.service.tables import Table


@dataclass
class PairYearMoney:
    year: int
    money: Money


@dataclass
class PairPublicPage:
    pair: Pair
    money: Money
    need_count: int
    projects: Table
    villages: Table
    years: list[PairYearMoney]
    verification: str
    sources: SourceRefs


async def _money_years(pair: Pair) -> list[int]:
    """The years in which the pair's money moved or was settled (rollup rows exist)."""
    mine, params = pair_rows(pair, ("1=1", []))
    found = await _rows(
        f"SELECT DISTINCT n.year AS y FROM rollup_pair_money n WHERE {mine}",
        params,
    )
    return sorted({int(r["y"]) for r in found}, reverse=True)


async def pair_public_page(pair_id: int, *, today: date | None = None) -> PairPublicPage:
    """Everything the public pair page shows, read from one snapshot."""
    today = today or today_cn()
    async with read_snapshot():
        pair = await load_pair(pair_id)
        total = (await pair_money([pair], None, today))[pair.id].total
        years = []
        for year in await _money_years(pair):
            money = (await pair_money([pair], year, today))[pair.id].total
            years.append(PairYearMoney(year, money))
        projects = await pair_projects(pair, None)
        villages = await pair_villages(pair, None)
    for row in villages.rows:
        row["_href"] = f"/regions/{row['code']}"
    need_count = sum(int(row.get("total") or 0) for row in projects.rows)
    return PairPublicPage(
        pair=pair,
        money=total,
        need_count=need_count,
        projects=projects,
        villages=villages,
        years=years,
        verification=verification_label(pair.verification),
        sources=source_refs(pair.source),
    )
