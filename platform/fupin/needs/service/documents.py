"""The search document of a public need (``fupin.search.rules.documents.FIELDS``): what the
outbox worker writes to the index and what a rebuild reads, in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.needs.models import Need, NeedItem
from fupin.needs.rules import PUBLIC_STATES, effective_state
from fupin.needs.service.visibility import state_condition
from fupin.regions.models import Region
from fupin.search.rules.documents import amount_band
from fupin.search.rules.settings_data import default_settings


def _utc_midnight_ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


async def _region_names(needs: Sequence[Need]) -> dict[str, Region]:
    codes: set[str] = set()
    for need in needs:
        region = need.region
        codes.update(
            c for c in (region.province_code, region.prefecture_code, region.county_code) if c
        )
        codes.add(region.code)
        if region.parent_id:
            codes.add(region.parent_id)
    return {r.code: r for r in await Region.filter(code__in=list(codes))}


async def _item_names(needs: Sequence[Need]) -> dict[int, str]:
    """The in-kind item names of each need, space-separated (searched like the description)."""
    names: dict[int, list[str]] = {}
    for need_id, name in (
        await NeedItem.filter(need_id__in=[n.id for n in needs])
        .order_by("need_id", "id")
        .values_list("need_id", "name")
    ):
        names.setdefault(need_id, []).append(name)
    return {k: " ".join(dict.fromkeys(v)) for k, v in names.items()}


def _document(need: Need, regions: Mapping[str, Region], items: str = "") -> dict[str, Any]:
    region = need.region
    county = regions.get(need.county_code)
    village = region if region.level == "village" else None
    township = regions.get(region.parent_id) if village and region.parent_id else None

    def name(code: str) -> str:
        found = regions.get(code)
        return found.name if found else ""

    return {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "items": items,
        "category": need.category,
        "category_label": CATEGORIES.get(need.category, need.category),
        "state": need.state,
        "province": name(need.province_code),
        "province_code": need.province_code,
        "prefecture": name(region.prefecture_code),
        "county": county.name if county else "",
        "county_code": need.county_code,
        "township": township.name if township else "",
        "village": village.name if village else "",
        "contiguous_area": county.contiguous_area if county else "",
        "is_poverty_county": bool(county and county.is_poverty_county),
        "target_fen": need.target_fen,
        "pledged_fen": need.pledged_fen,
        "received_fen": need.received_fen,
        "open_fen": need.open_fen,
        "amount_band": amount_band(need.target_fen, default_settings()),
        "deadline": need.deadline.isoformat(),
        "deadline_ts": _utc_midnight_ts(need.deadline),
        "published_ts": int(need.published_at.timestamp()) if need.published_at else 0,
        "beneficiary_people": need.beneficiary_people,
        "beneficiary_households": need.beneficiary_households,
    }


def _is_public_now(need: Need, today: date) -> bool:
    return effective_state(need.state, need.deadline, today) in PUBLIC_STATES


async def public_need_document(need_id: int) -> dict[str, Any] | None:
    """The search document of a public need, or None when the need does not exist or is not
    public (draft, under review, withdrawn, expired)."""
    need = await Need.get_or_none(id=need_id).prefetch_related("region")
    if need is None or not _is_public_now(need, today_cn()):
        return None
    items = await _item_names([need])
    return _document(need, await _region_names([need]), items.get(need.id, ""))


async def public_need_documents(after_id: int, limit: int) -> list[dict[str, Any]]:
    """Search documents of public needs with id > ``after_id``, by id, at most ``limit``
    (reindexing: continue with the last returned id until an empty list)."""
    today = today_cn()
    needs = list(
        await Need.filter(state_condition(None, PUBLIC_STATES, today), id__gt=after_id)
        .order_by("id")
        .limit(max(0, min(limit, 10_000)))
        .prefetch_related("region")
    )
    if not needs:
        return []
    regions = await _region_names(needs)
    items = await _item_names(needs)
    return [_document(n, regions, items.get(n.id, "")) for n in needs]
