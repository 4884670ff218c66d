"""Drafting and editing a need (docs/domain.md §3.4). Each use case is one transaction writing the need,
its items, a NeedEvent, an audit row and a search-outbox row together (docs/domain.md §3.10/§3.12).

The content is checked by the schemas of ``fupin.needs.schemas.drafts`` (``NeedCreate`` from
the API, ``NeedForm`` from the drafting form and the importer, ``NeedPatch`` for edits): one set
of rules for every door. What needs the database is checked here: the place (a village, or a
county for county-wide projects, within the actor's scope) and the county's project number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, can, require
from fupin.core.schemas import invalid_input, validate
from fupin.db import transaction
from fupin.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    PermissionDenied,
)
from fupin.i18n import _
from fupin.needs.models import Need, NeedItem
from fupin.needs.rules import CREATE_PERMISSION, EDIT_PERMISSIONS, FIELD_LABELS, STATE_LABELS
from fupin.needs.schemas.drafts import NeedCreate, NeedForm, NeedPatch
from fupin.needs.service import search_outbox
from fupin.needs.service.history import SNAPSHOT_FIELDS, record_event
from fupin.needs.service.reading import get_need, load_need
from fupin.needs.service.visibility import need_scope
from fupin.regions.models import Region
from fupin.regions.service import scope_of

S = TypeVar("S", bound=BaseModel)


def _checked(schema: type[S], raw: Mapping[str, Any], *, today: date | None = None) -> S:
    """``raw`` as ``schema``, its values parsed as a form's would be (text "20" is 20)."""
    try:
        return schema.model_validate(raw, strict=False, context={"today": today or today_cn()})
    except ValidationError as exc:
        raise invalid_input(exc) from None


def as_draft(raw: NeedCreate | Mapping[str, Any], *, today: date | None = None) -> NeedCreate:
    """A need's content, checked. The API and the form hand over their validated schema; other
    callers (the CLI, tests, demo loaders) may pass the fields as a mapping, checked here with
    ``NeedForm`` when the target is given in yuan (``target_yuan``), else with ``NeedCreate``
    (fen)."""
    if isinstance(raw, NeedCreate):
        return raw
    return _checked(NeedForm if "target_yuan" in raw else NeedCreate, raw, today=today)


async def need_region(code: str, *, field: str = "region_code") -> Region:
    """A need belongs to a village, or to a county for county-wide projects (docs/domain.md §3.4)."""
    region = await Region.get_or_none(code=code)
    if region is None or region.level not in ("village", "county"):
        raise InvalidInput(_("村或县代码不存在：%(code)s", code=code), field=field)
    return region


async def check_external_ref(ref: str, county_code: str, *, exclude_id: int | None = None) -> None:
    """A county's project number names one need of that county."""
    if not ref:
        return
    query = Need.filter(county_code=county_code, external_ref=ref)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise InvalidInput(
            _("本县已有项目编号为 %(ref)s 的需求。", ref=ref),
            field="external_ref",
            code="duplicate",
        )


def _values_of(data: NeedCreate) -> dict[str, Any]:
    return {
        "region_id": data.region_code,
        "category": data.category,
        "title": data.title,
        "description": data.description,
        "target_fen": data.target_fen,
        "beneficiary_households": data.beneficiary_households,
        "beneficiary_people": data.beneficiary_people,
        "deadline": data.deadline,
        "external_ref": data.external_ref,
    }


def _item_rows(need_id: int, data: NeedCreate) -> list[NeedItem]:
    return [
        NeedItem(
            need_id=need_id,
            name=i.name,
            quantity=i.quantity,
            unit=i.unit,
            unit_value_fen=i.unit_value_fen,
        )
        for i in data.items
    ]


# --- drafting -------------------------------------------------------------------------------------


async def draft_need(
    actor: Actor | None,
    raw: NeedCreate | Mapping[str, Any],
    *,
    source: str = "web",
    today: date | None = None,
) -> Need:
    """Create a need as a draft in a village (or county) within the actor's scope."""
    require(actor, CREATE_PERMISSION)
    data = as_draft(raw, today=today)
    region = await need_region(data.region_code)
    require(actor, CREATE_PERMISSION, scope_of(region))
    await check_external_ref(data.external_ref, scope_of(region).county_code)
    async with transaction():
        return await insert_need(actor, data, region, source=source)


async def insert_need(
    actor: Actor | None,
    data: NeedCreate,
    region: Region,
    *,
    source: str,
    state: str = "draft",
    reason: str = "",
) -> Need:
    """Write a checked need (draft, or draft + submit for imports) with its items, events,
    audit row and outbox row. Call inside a transaction; permissions are the caller's job."""
    if state not in ("draft", "submitted"):
        raise ValueError(f"a new need starts as draft or submitted, not {state!r}")
    scope = scope_of(region)
    need = await Need.create(
        **_values_of(data),
        county_code=scope.county_code,
        province_code=scope.province_code,
        state=state,
        created_by_id=actor.user_id if actor else None,
        source=source,
    )
    if data.items:
        await NeedItem.bulk_create(_item_rows(need.id, data))
    label = None if actor else source
    await record_event(need.id, "draft", "", "draft", actor, reason, label=label)
    if state == "submitted":
        await record_event(need.id, "submit", "draft", "submitted", actor, reason, label=label)
    await audit.record(
        actor=actor,
        actor_label=None if actor else source,
        action="need.draft",
        object_type="need",
        object_id=need.id,
        after={**audit.snapshot(need, SNAPSHOT_FIELDS), "items": len(data.items)},
    )
    await search_outbox.enqueue(need.id)
    need.region = region
    return need


# --- editing --------------------------------------------------------------------------------------


def check_editable(actor: Actor | None, need: Need) -> str:
    """Raise unless ``actor`` may edit ``need`` now; returns the permission that allows it."""
    scope = need_scope(need)
    if not any(can(actor, p, scope) for p in EDIT_PERMISSIONS.values()):
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    permission = EDIT_PERMISSIONS.get(need.state)
    if permission is None:
        raise InvalidTransition(
            _("需求当前状态为“%(state)s”，不能再修改内容。", state=_(STATE_LABELS[need.state])),
            state=need.state,
            action="edit",
        )
    require(actor, permission, scope)
    return permission


def _content(need: Need) -> dict[str, Any]:
    """The need's content as ``NeedCreate`` fields (its items loaded)."""
    return {
        "region_code": need.region_id,
        "category": need.category,
        "title": need.title,
        "description": need.description,
        "items": [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit": i.unit,
                "unit_value_fen": i.unit_value_fen,
            }
            for i in need.items
        ],
        "target_fen": need.target_fen,
        "beneficiary_households": need.beneficiary_households,
        "beneficiary_people": need.beneficiary_people,
        "deadline": need.deadline,
        "external_ref": need.external_ref,
    }


async def edit_need(
    actor: Actor | None,
    need_id: int,
    changes: NeedPatch | Mapping[str, Any],
    *,
    today: date | None = None,
) -> Need:
    """Change a need's content while it is a draft, returned, or under review. Fields not in
    ``changes`` keep their values; ``items`` (when given) replaces the whole list; the result is
    checked as a whole, as when drafting."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    if not isinstance(changes, NeedPatch):
        changes = _checked(NeedPatch, changes)
    need = await get_need(actor, need_id)
    permission = check_editable(actor, need)
    current = _content(need)
    merged = {**current, **changes.model_dump(exclude_unset=True)}
    data = validate(NeedCreate, merged, context={"today": today or today_cn()})
    region = need.region
    if data.region_code != need.region_id:
        region = await need_region(data.region_code)
        require(actor, permission, scope_of(region))
    new_scope = scope_of(region)
    await check_external_ref(data.external_ref, new_scope.county_code, exclude_id=need.id)
    before = {**audit.snapshot(need, SNAPSHOT_FIELDS), "items": current["items"]}
    values = _values_of(data)
    changed = [k for k, v in values.items() if getattr(need, k) != v]
    items = [i.model_dump() for i in data.items]
    items_changed = items != current["items"]
    if not changed and not items_changed:
        return need
    async with transaction():
        updated = await Need.filter(id=need.id, state=need.state).update(
            **values,
            county_code=new_scope.county_code,
            province_code=new_scope.province_code,
            updated_at=clock.now(),
        )
        if not updated:
            raise Conflict(_("需求刚被他人更改，请刷新后重试。"), code="stale")
        if items_changed:
            await NeedItem.filter(need_id=need.id).delete()
            await NeedItem.bulk_create(_item_rows(need.id, data))
        labels = [_(FIELD_LABELS.get({"region_id": "region_code"}.get(k, k), k)) for k in changed]
        if items_changed:
            labels.append(_("物资"))
        await record_event(
            need.id, "edit", need.state, need.state, actor, _("修改：%(f)s", f="、".join(labels))
        )
        await audit.record(
            actor=actor,
            action="need.edit",
            object_type="need",
            object_id=need.id,
            before=before,
            after={**values, "items": items},
        )
        await search_outbox.enqueue(need.id)
    return await load_need(need.id, details=True)
