"""Docking figures (对接率) over a chosen period, by province, county or category
(``rules.docking``; docs/domain.md §3.10). Public: they are made of published needs and the
pledges on them, which the need pages show anyway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fupin.core.categories import CATEGORIES
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.core.sql import dialect
from fupin.core.sql import rows as sql_rows
from fupin.disclosure.rules.docking import (
    GROUPINGS,
    DockingFigure,
    NeedDocking,
    docking_figures,
)
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.needs.models import PUBLIC_STATES
from fupin.regions.models import Region

#: The longest period one request may cover (ten years of needs).
MAX_PERIOD_DAYS = 3660


@dataclass
class Docking:
    start: date
    end: date
    by: str
    region_code: str | None
    category: str | None
    total: DockingFigure
    groups: list[DockingFigure]
    names: dict[str, str]


def _instant(day: date) -> object:
    at = datetime.combine(day, time(0), tzinfo=CHINA_TZ).astimezone(UTC)
    return at if dialect() == "postgres" else at.strftime("%Y-%m-%d %H:%M:%S")


def _stamp(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("T", " "))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def docking(
    *,
    start: date | None = None,
    end: date | None = None,
    by: str = "province",
    region_code: str | None = None,
    category: str | None = None,
) -> Docking:
    """The figures for the needs published from ``start`` to ``end`` (China days, inclusive;
    default: the last 365 days), in a province or county if given."""
    end = end or today_cn()
    start = start or end - timedelta(days=364)
    if start > end:
        raise InvalidInput(_("开始日期不能晚于结束日期。"), field="start")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(_("统计期间最长十年。"), field="start")
    if by not in GROUPINGS:
        raise InvalidInput(_("分组只能是省、县或类别。"), field="by")
    where = ["n.published_at >= ?", "n.published_at < ?"]
    params: list[object] = [_instant(start), _instant(end + timedelta(days=1))]
    states = [*PUBLIC_STATES, "expired"]
    where.append("n.state IN (" + ", ".join("?" for _s in states) + ")")
    params += states
    if region_code:
        region = await Region.get_or_none(code=region_code)
        if region is None or region.level not in ("province", "county"):
            raise InvalidInput(_("地区须为省或县。"), field="region")
        where.append("n.province_code = ?" if region.level == "province" else "n.county_code = ?")
        params.append(region.code)
    if category:
        where.append("n.category = ?")
        params.append(category)
    found = await sql_rows(
        "SELECT n.province_code AS province, n.county_code AS county, n.category AS category, "
        "n.published_at AS published_at, n.target_fen AS target, n.pledged_fen AS pledged, "
        "n.state AS state, "
        "(SELECT MIN(p.created_at) FROM pledge p WHERE p.need_id = n.id) AS first_pledge, "
        "(SELECT MIN(e.at) FROM need_event e WHERE e.need_id = n.id AND e.to_state = 'funded') "
        "AS funded_at FROM need n WHERE " + " AND ".join(where),
        params,
    )
    needs = [
        NeedDocking(
            province_code=str(r["province"]),
            county_code=str(r["county"]),
            category=str(r["category"]),
            published_at=_stamp(r["published_at"]) or datetime.now(UTC),
            target_fen=int(r["target"] or 0),
            pledged_fen=int(r["pledged"] or 0),
            state=str(r["state"]),
            first_pledge_at=_stamp(r["first_pledge"]),
            funded_at=_stamp(r["funded_at"]),
        )
        for r in found
    ]
    total, groups = docking_figures(needs, by)
    names: dict[str, str] = {}
    if by != "category":
        names = dict(
            await Region.filter(code__in=[g.key for g in groups]).values_list("code", "name")
        )
    return Docking(start, end, by, region_code, category, total, groups, names)


def as_dict(found: Docking) -> dict[str, Any]:
    def figure(f: Any, name: str) -> dict[str, Any]:
        return {
            "key": f.key,
            "name": name,
            "needs": f.needs,
            "fully_pledged": f.fully_pledged,
            "pledged_needs": f.pledged_needs,
            "rate_pct_x100": f.rate_pct_x100,
            "median_days_to_first_pledge_x10": f.median_days_to_first_pledge_x10,
            "median_days_to_funded_x10": f.median_days_to_funded_x10,
        }

    def name_of(key: str) -> str:
        if found.by == "category":
            return _(CATEGORIES.get(key, key))
        return found.names.get(key, key)

    return {
        "start": found.start,
        "end": found.end,
        "by": found.by,
        "total": figure(found.total, _("合计")),
        "groups": [figure(g, name_of(g.key)) for g in found.groups],
    }
