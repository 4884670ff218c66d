"""What the needs pages and exports show besides a need's own fields: its place (the trail
province → village, the county's flags, the cooperation pairs helping it), export rows, and
labels in the reader's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from fupin.accounts.models import Pair
from fupin.core.categories import CATEGORIES, CATEGORY_CODES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.needs.rules import ACTION_LABELS, STATE_LABELS, effective_state
from fupin.needs.service.reading import NeedFilters, iter_needs
from fupin.regions.models import Region

# --- page context ---------------------------------------------------------------------------------


@dataclass
class RegionContext:
    region: Region
    county: Region | None
    trail: list[Region]
    pairs: list[Pair]


async def region_context(need: Need) -> RegionContext:
    """The need's place for its page: the trail province → village, the county's flags
    (poverty county, contiguous area, 三区三州) and the cooperation pairs helping it."""
    region = need.region
    codes = [c for c in (region.province_code, region.prefecture_code, region.county_code) if c]
    if region.parent_id and region.parent_id not in codes:
        codes.append(region.parent_id)
    found = {r.code: r for r in await Region.filter(code__in=codes)}
    trail = [found[c] for c in codes if c in found and c != region.code]
    county = found.get(need.county_code) or (region if region.level == "county" else None)
    year = today_cn().year
    pairs = list(
        await Pair.filter(
            Q(end_year__isnull=True) | Q(end_year__gte=year),
            helped_region_id__in=[c for c in (need.county_code, region.prefecture_code,
                                              region.province_code) if c],
        )
        .prefetch_related("helper")
        .order_by("kind", "id")
        .limit(10)
    )  # fmt: skip
    return RegionContext(region=region, county=county, trail=trail, pairs=pairs)


def category_choices() -> list[tuple[str, str]]:
    return [(code, _(CATEGORIES[code])) for code in CATEGORY_CODES]


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def action_label(action: str) -> str:
    return _(ACTION_LABELS.get(action, action))


# --- export rows ----------------------------------------------------------------------------------


def export_columns(*, private: bool = False) -> list[tuple[str, str, str]]:
    """(key, label, kind) of the needs export; kinds as ``fupin.core.exports`` knows them."""
    columns = [
        ("id", _("编号"), "int"),
        ("title", _("标题"), "text"),
        ("category", _("类别"), "text"),
        ("state", _("状态"), "text"),
        ("region", _("地区"), "text"),
        ("region_code", _("地区代码"), "text"),
        ("target_fen", _("目标金额（元）"), "yuan"),
        ("pledged_fen", _("已认捐（元）"), "yuan"),
        ("received_fen", _("已到账（元）"), "yuan"),
        ("open_fen", _("缺口（元）"), "yuan"),
        ("beneficiary_households", _("受益户数"), "int"),
        ("beneficiary_people", _("受益人数"), "int"),
        ("deadline", _("截止日期"), "date"),
        ("published_at", _("发布时间"), "datetime"),
    ]
    if private:
        columns += [
            ("external_ref", _("项目编号"), "text"),
            ("source", _("来源"), "text"),
            ("created_at", _("创建时间"), "datetime"),
        ]
    return columns


def export_row(need: Need, *, private: bool = False) -> dict[str, Any]:
    today = today_cn()
    state = effective_state(need.state, need.deadline, today)
    region = need.region if isinstance(getattr(need, "region", None), Region) else None
    row: dict[str, Any] = {
        "id": need.id,
        "title": need.title,
        "category": _(CATEGORIES.get(need.category, need.category)),
        "state": _(STATE_LABELS.get(state, state)),
        "region": region.full_name if region else "",
        "region_code": need.region_id,
        "target_fen": need.target_fen,
        "pledged_fen": need.pledged_fen,
        "received_fen": need.received_fen,
        "open_fen": need.open_fen,
        "beneficiary_households": need.beneficiary_households,
        "beneficiary_people": need.beneficiary_people,
        "deadline": need.deadline,
        "published_at": need.published_at,
    }
    if private:
        row.update(external_ref=need.external_ref, source=need.source, created_at=need.created_at)
    return row


async def export_rows(
    filters: NeedFilters, *, actor: Actor | None = None, private: bool = False
) -> AsyncIterator[dict[str, Any]]:
    async for need in iter_needs(filters, actor=actor, private=private):
        yield export_row(need, private=private)
