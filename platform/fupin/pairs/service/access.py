"""Who may open which dashboard, and which pairs a dashboard covers.

A region's dashboard is for the offices of that region and the national office (policy
``dashboard.view``; the national one ``dashboard.national``); a pair's page also for the pair's
own helper (``pair.report``, for its self-assessment report). A pair belongs to a region's
dashboard when its helped region lies in the region or contains it.
"""

from __future__ import annotations

from fupin.accounts.models import Pair
from fupin.core.policy import Actor, Scope, can, require
from fupin.errors import NotFound, PermissionDenied
from fupin.i18n import _
from fupin.pairs.service.management import pair_scope
from fupin.regions.models import Region

# ---- regions -----------------------------------------------------------------------------------


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


async def region_for(level: str, code: str | None) -> Region | None:
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
