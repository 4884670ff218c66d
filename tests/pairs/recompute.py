"""Independent recomputation of every dashboard figure, in plain Python over the raw rows.

Written from the definitions in ``fupin.pairs.service.dashboards``' docstring, not from its SQL: rows
are fetched with the ORM, filtered and summed here, so an SQL mistake (a wrong join, a time
zone slip at the new year, a missing state filter) shows up as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fupin.accounts.models import Pair
from fupin.core.clock import CHINA_TZ
from fupin.money.models import Donation, Pledge
from fupin.needs.models import Need
from fupin.regions.models import Region

PUBLIC = ("published", "funded", "in_progress", "completed", "closed")
LISTABLE = (*PUBLIC, "expired")


@dataclass
class Rows:
    needs: dict[int, Need]
    pledges: list[Pledge]
    donations: list[Donation]
    pledge_by_id: dict[int, Pledge] = field(default_factory=dict)


async def load() -> Rows:
    needs = {n.id: n for n in await Need.all()}
    pledges = list(await Pledge.all())
    donations = list(await Donation.all())
    return Rows(needs, pledges, donations, {p.id: p for p in pledges})


def cn_year(instant: datetime) -> int:
    return instant.astimezone(CHINA_TZ).year


def cn_month(instant: datetime) -> str:
    return instant.astimezone(CHINA_TZ).strftime("%Y-%m")


def in_scope(need: Need, level: str, code: str | None) -> bool:
    if level == "national":
        return True
    if level == "province":
        return need.province_code == code
    if level == "county":
        return need.county_code == code
    raise ValueError(level)


def in_pair_region(need: Need, region: Region) -> bool:
    if region.level == "province":
        return need.province_code == region.code
    if region.level == "prefecture":
        return need.county_code[:4] == region.code[:4]
    return need.county_code == region.code


def _due(p: Pledge, today: date) -> bool:
    return p.state in ("honoured", "lapsed") or (
        p.state in ("pledged", "partially_paid") and p.due_date < today
    )


def _settled_year(p: Pledge) -> int:
    if p.state == "honoured" and p.honoured_on is not None:
        return p.honoured_on.year
    return p.due_date.year


@dataclass
class Sums:
    needs: int = 0
    target: int = 0
    pledged: int = 0
    received: int = 0
    pledges: int = 0
    due: int = 0
    honoured: int = 0
    due_fen: int = 0
    paid_fen: int = 0

    def pledge(self, p: Pledge, today: date, year: int | None) -> None:
        """A pledge made in ``year`` counts as pledged; one settled in ``year`` (honoured that
        year, else due that year) counts in the honour rate (docs/domain.md §3.5)."""
        if year is None or cn_year(p.created_at) == year:
            self.pledged += p.committed_fen
            self.pledges += 1
        if _due(p, today) and (year is None or _settled_year(p) == year):
            self.due += 1
            self.due_fen += p.amount_fen
            self.paid_fen += p.paid_fen
            self.honoured += p.state == "honoured"

    @property
    def honour_pct(self) -> int | None:
        return self.honoured * 10000 // self.due if self.due else None

    @property
    def paid_pct(self) -> int | None:
        return self.paid_fen * 10000 // self.due_fen if self.due_fen else None


def region_figures(
    rows: Rows, level: str, code: str | None, year: int | None, today: date
) -> dict[str, Any]:
    child_of = {
        "national": lambda n: n.province_code,
        "province": lambda n: n.county_code,
        "county": lambda n: n.region_id,
    }[level]
    total = Sums()
    children: dict[str, Sums] = defaultdict(Sums)
    categories: dict[str, Sums] = defaultdict(Sums)
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    months_p: dict[str, int] = defaultdict(int)
    months_r: dict[str, int] = defaultdict(int)
    for need in rows.needs.values():
        if not in_scope(need, level, code) or need.state not in PUBLIC or need.published_at is None:
            continue
        if year is not None and cn_year(need.published_at) != year:
            continue
        for s in (total, children[child_of(need)], categories[need.category]):
            s.needs += 1
            s.target += need.target_fen
        states[need.category][need.state] += 1
    for p in rows.pledges:
        need = rows.needs[p.need_id]
        if not in_scope(need, level, code):
            continue
        for s in (total, children[child_of(need)], categories[need.category]):
            s.pledge(p, today, year)
        if year is not None and cn_year(p.created_at) != year:
            continue
        months_p[cn_month(p.created_at) if year else str(cn_year(p.created_at))] += p.committed_fen
    village_money: dict[str, int] = defaultdict(int)
    reached_by_child: dict[str, set[str]] = defaultdict(set)
    for d in rows.donations:
        need = rows.needs[d.need_id]
        if d.state != "confirmed" or not in_scope(need, level, code):
            continue
        if year is not None and d.received_on.year != year:
            continue
        for s in (total, children[child_of(need)], categories[need.category]):
            s.received += d.amount_fen
        months_r[d.received_on.strftime("%Y-%m") if year else str(d.received_on.year)] += (
            d.amount_fen
        )
        if need.region_id != need.county_code:
            village_money[need.region_id] += d.amount_fen
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ) if year else None
    asking = {
        n.region_id
        for n in rows.needs.values()
        if in_scope(n, level, code)
        and n.state in LISTABLE
        and n.region_id != n.county_code
        and n.published_at is not None
        and (end is None or n.published_at < end)
    }
    amounts = sorted((v for v in village_money.values() if v > 0), reverse=True)
    for rid, amount in village_money.items():
        if amount > 0:
            need = next(n for n in rows.needs.values() if n.region_id == rid)
            reached_by_child[child_of(need)].add(rid)
    population = max(len(asking), len(amounts))
    top_n = -(-population * 10 // 100) if population else 0
    top_n = max(1, top_n) if population else 0
    concentration = (
        sum(amounts[:top_n]) * 10000 // sum(amounts) if amounts and sum(amounts) > 0 else 0
    )
    if year is not None:
        month_keys = [f"{year}-{m:02d}" for m in range(1, 13)]
    else:
        found = sorted(set(months_p) | set(months_r))
        month_keys = [str(y) for y in range(int(found[0]), int(found[-1]) + 1)] if found else []
    return {
        "total": total,
        "children": dict(children),
        "categories": dict(categories),
        "states": {k: dict(v) for k, v in states.items()},
        "monthly": [(k, months_p.get(k, 0), months_r.get(k, 0)) for k in month_keys],
        "villages_asking": len(asking),
        "villages_reached": len(amounts),
        "top_n": top_n,
        "concentration": concentration,
        "reached_by_child": {k: len(v) for k, v in reached_by_child.items()},
    }


def pair_figures(
    rows: Rows, pair: Pair, region: Region, year: int | None, today: date
) -> dict[str, Any]:
    helper, mobilised = Sums(), Sums()
    projects: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    villages: dict[str, int] = defaultdict(int)
    for p in rows.pledges:
        need = rows.needs[p.need_id]
        if not in_pair_region(need, region):
            continue
        if p.participant_id == pair.helper_id:
            helper.pledge(p, today, year)
        elif p.pair_id == pair.id:
            mobilised.pledge(p, today, year)
        if year is not None and cn_year(p.created_at) != year:
            continue
        if (p.participant_id == pair.helper_id or p.pair_id == pair.id) and p.state != "withdrawn":
            projects[need.category][need.state].add(need.id)
    for d in rows.donations:
        need = rows.needs[d.need_id]
        if (
            d.state != "confirmed"
            or (year is not None and d.received_on.year != year)
            or not in_pair_region(need, region)
        ):
            continue
        pledge = rows.pledge_by_id.get(d.pledge_id) if d.pledge_id else None
        if d.donor_id == pair.helper_id:
            helper.received += d.amount_fen
        elif pledge is not None and pledge.pair_id == pair.id:
            mobilised.received += d.amount_fen
        else:
            continue
        if need.region_id != need.county_code:
            villages[need.region_id] += d.amount_fen
    return {
        "helper": helper,
        "mobilised": mobilised,
        "projects": {c: {s: len(ids) for s, ids in v.items()} for c, v in projects.items()},
        "villages": {k: v for k, v in villages.items() if v > 0},
    }
