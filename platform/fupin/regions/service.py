"""Reading the region tree: browsing, lookups, breadcrumbs and permission scopes."""

from __future__ import annotations

from dataclasses import dataclass

from fupin.core import sql
from fupin.core.policy import EVERYWHERE, Scope
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _
from fupin.regions.models import LEVELS, Region


async def get_region(code: str) -> Region:
    region = await Region.get_or_none(code=code)
    if region is None:
        raise NotFound(_("地区代码不存在：%(code)s", code=code), field="code")
    return region


async def ancestors(region: Region) -> list[Region]:
    """Province → … → parent, from the denormalised codes (no recursive walk)."""
    codes = [c for c in (region.province_code, region.prefecture_code, region.county_code) if c]
    if region.level == "village" and region.parent_id:
        codes.append(region.parent_id)
    codes = [c for c in dict.fromkeys(codes) if c != region.code]
    found = {r.code: r for r in await Region.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def scope_of(region: Region) -> Scope:
    county = region.county_code or (region.code if region.level == "county" else "")
    return Scope(region_code=region.code, county_code=county, province_code=region.province_code)


@dataclass
class RegionPage:
    items: list[Region]
    total: int
    page: int
    per_page: int


async def list_regions(
    *,
    level: str | None = None,
    parent: str | None = None,
    q: str | None = None,
    poverty_only: bool = False,
    province: str | None = None,
    page: int = 1,
    per_page: int = 50,
    scope: Scope = EVERYWHERE,
) -> RegionPage:
    if q and level in (None, "village") and not parent and not province and not poverty_only:
        # The picker: villages by name within the caller's scope; with no level, the places
        # above the village that match come first (44,565 rows, by the level index).
        found: list[Region] = []
        if level is None:
            if len(q) > 64:
                raise InvalidInput(_("查询过长。"), field="q")
            # ordered by level first, so the level index is walked and not the 665,138 codes
            found = sorted(
                await Region.filter(level__in=LEVELS[:-1], name__contains=q)
                .order_by("level", "code")
                .limit(per_page),
                key=lambda r: (LEVELS.index(r.level), r.code),
            )
        found += await search_villages(q, scope, limit=per_page - len(found))
        return RegionPage(items=found, total=len(found), page=1, per_page=per_page)
    query = Region.all()
    if level:
        if level not in LEVELS:
            raise InvalidInput(_("未知的地区层级：%(level)s", level=level), field="level")
        query = query.filter(level=level)
    if parent:
        query = query.filter(parent_id=parent)
    if province:
        query = query.filter(province_code=province)
    if q:
        if len(q) > 64:
            raise InvalidInput(_("查询过长。"), field="q")
        query = query.filter(name__contains=q)
    if poverty_only:
        query = query.filter(is_poverty_county=True)
    total = await query.count()
    items = await query.order_by("code").offset((page - 1) * per_page).limit(per_page)
    return RegionPage(items=items, total=total, page=page, per_page=per_page)


#: The last code point: ``name < q + MAX_CHAR`` closes the range of names starting with q.
MAX_CHAR = "\U0010ffff"


async def search_villages(q: str, scope: Scope = EVERYWHERE, *, limit: int = 20) -> list[Region]:
    """The village picker: villages whose name contains ``q`` within a county or a province;
    across the whole country, names that start with ``q`` (an index range on SQLite; a
    substring over 620,573 names is a full scan, ~200 ms). Merged villages are left out: a
    new need goes to the village that absorbed them."""
    q = q.strip()
    if not q or limit <= 0:
        return []
    if len(q) > 64:
        raise InvalidInput(_("查询过长。"), field="q")
    query = Region.filter(level="village", merged_into_id__isnull=True)
    if scope.county_code:
        query = query.filter(county_code=scope.county_code, name__contains=q)
    elif scope.province_code:
        query = query.filter(province_code=scope.province_code, name__contains=q)
    elif sql.dialect() == "sqlite":
        query = query.filter(name__gte=q, name__lt=q + MAX_CHAR)
    else:
        query = query.filter(name__startswith=q)
    return list(await query.order_by("name", "code").limit(limit))
