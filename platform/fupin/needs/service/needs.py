"""Village needs: drafting, review, publication, delivery and expiry (BRIEF §3.4).

Use cases (each one transaction; each writes the need change, a NeedEvent, an audit row and a
search-outbox row together, BRIEF §3.10/§3.12):

    draft_need, edit_need, transition_need (submit, return, publish, withdraw, start, deliver,
    confirm_receipt, close, dispute), expire_overdue_needs, refresh_funded_state

The lifecycle table (who may make which transition from which state, and when a reason is
required) is ``fupin.needs.rules``; permissions go only through ``fupin.core.policy``
with the scope of the need's region (``regions.scope_of``).

**Funded (derived).** "Funded" means the active pledges cover the target (BRIEF §3.4). The money
services keep ``Need.pledged_fen`` equal to the sum of active pledges, in the same transaction as
every pledge event, and then call :func:`refresh_funded_state` inside that transaction. The
documented query is::

    funded  ⇔  target_fen > 0 AND pledged_fen >= target_fen        (need_states.is_funded)

published → funded when it starts to hold, funded → published when a withdrawal or lapse makes it
false; both are conditional UPDATEs (``WHERE state = … AND pledged_fen >= target_fen``), so they
are correct under concurrent pledges on SQLite and PostgreSQL.

**Expiry.** An unfunded (``published``) need whose deadline day has passed is ``expired``
without anyone clicking, by two mechanisms that both go through :func:`expire_overdue_needs` /
the same conditional UPDATE (so a need expires exactly once, with one NeedEvent):

1. check on read: listings and the need page treat such a need as expired at once (the query
   itself excludes it from "published") and persist the transition they found;
2. the background sweep :func:`expire_all_overdue` (``fupin.background.SWEEPS``, every five
   minutes; in production the ``fupin worker`` process); also ``fupin needs expire``.

**Ledger.** Publication appends ``need_published`` and completion ``need_completed`` with the
public payload {need_id, title, county_code, target_fen} (BRIEF §3.7).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count

from fupin.accounts.models import Pair
from fupin.core import audit, clock
from fupin.core.categories import CATEGORIES, CATEGORY_CODES
from fupin.core.clock import today_cn
from fupin.core.money import number_text, parse_yuan
from fupin.core.policy import Actor, Scope, can, require
from fupin.core.states import Transition
from fupin.db import transaction
from fupin.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from fupin.i18n import N_, _
from fupin.ledger import service as ledger
from fupin.needs.models import Attachment, Need, NeedEvent, NeedItem
from fupin.needs.rules import (
    ACTION_LABELS,
    ATTACH_STATES,
    CREATE_PERMISSION,
    EDIT_PERMISSIONS,
    LISTABLE_STATES,
    NEED_MACHINE,
    PUBLIC_STATES,
    STATE_LABELS,
    STATES,
    USER_ACTIONS,
    NeedFacts,
    actions_from,
    effective_state,
    is_overdue,
)
from fupin.needs.service import search_outbox
from fupin.regions.models import Region
from fupin.regions.service import scope_of

# --- limits (bad input: a clear message naming the field) ---------------------------------------

MIN_TITLE, MAX_TITLE = 4, 60
MIN_DESCRIPTION, MAX_DESCRIPTION = 20, 5000
YUAN = 100
#: ¥100 … ¥1亿: below is not a project, above is not a village need (and is a typo).
MIN_TARGET_FEN, MAX_TARGET_FEN = 100 * YUAN, 100_000_000 * YUAN
MAX_HOUSEHOLDS, MAX_PEOPLE = 100_000, 500_000
#: A deadline is a future day within three years (a proposal's horizon; the 2014 opinion plans
#: to 2020). Today itself is refused: a need must be open at least one full day.
MAX_DEADLINE_DAYS = 3 * 366
MAX_ITEMS = 50
MAX_ITEM_QUANTITY = 1_000_000
MAX_ITEM_VALUE_FEN = 10_000_000 * YUAN
MAX_REASON = 1000
MAX_EXTERNAL_REF = 64
#: Duplicate guard: the same village + category + a similar title within this window.
DUPLICATE_WINDOW_DAYS = 365
DUPLICATE_SIMILARITY = 0.6
#: How many needs one pass of the expiry sweep expires.
EXPIRY_BATCH = 500

SORTS = ("newest", "deadline", "open_amount")
SORT_LABELS = {
    "newest": N_("最新发布"),
    "deadline": N_("截止日期最近"),
    "open_amount": N_("缺口最大"),
}

#: Who acted, as the public history shows it (never the person's name).
ROLE_LABELS: dict[str, str] = {
    "village_worker": N_("村级信息员"),
    "county_officer": N_("县扶贫办"),
    "province_office": N_("省扶贫办"),
    "national_admin": N_("国家扶贫办"),
    "system": N_("系统"),
    "import": N_("批量导入"),
}

#: Form/API field → label, for messages and the import report.
FIELD_LABELS: dict[str, str] = {
    "region_code": N_("村（或县）代码"),
    "category": N_("类别"),
    "title": N_("标题"),
    "description": N_("需求说明"),
    "target_fen": N_("目标金额"),
    "target_yuan": N_("目标金额（元）"),
    "beneficiary_households": N_("受益户数"),
    "beneficiary_people": N_("受益人数"),
    "deadline": N_("截止日期"),
    "items": N_("物资"),
    "external_ref": N_("项目编号"),
}
EDITABLE_FIELDS = tuple(FIELD_LABELS)


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    name: str
    quantity: int
    unit: str
    unit_value_fen: int

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_value_fen


@dataclass(frozen=True)
class NeedInput:
    """A need's content after validation (the same checks for forms, API and imports)."""

    region_code: str
    category: str
    title: str
    description: str
    target_fen: int
    beneficiary_households: int
    beneficiary_people: int
    deadline: date
    items: tuple[ItemInput, ...] = ()
    external_ref: str = ""


def _text(value: object) -> str:
    """Strings are normalised (NFC, no control characters except newlines, trimmed)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def _yuan(value: object, field: str) -> int:
    """An amount in 元: text from a form or import in the one grammar (core.money), or a number
    from JSON or a spreadsheet cell."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = number_text(value)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("金额必须是数字。"), field=field)
    # the range checks that follow name the allowed range, a negative amount included
    return parse_yuan(value, field=field, allow_negative=True)


def _int(value: object, field: str, *, low: int, high: int, label: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_("%(label)s必须是整数。", label=label), field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = _text(value).replace(",", "")
        if not re.fullmatch(r"-?\d{1,15}", text):
            raise InvalidInput(_("%(label)s必须是整数。", label=label), field=field)
        value = int(text)
    if not isinstance(value, int):
        raise InvalidInput(_("%(label)s必须是整数。", label=label), field=field)
    if value < low or value > high:
        raise InvalidInput(
            _("%(label)s须在 %(low)s–%(high)s 之间。", label=label, low=low, high=high), field=field
        )
    return value


def _date(value: object, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if not text:
        raise InvalidInput(_("请填写截止日期。"), field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("日期格式应为 YYYY-MM-DD。"), field=field) from None


def _clean_items(raw: object) -> tuple[tuple[ItemInput, ...], list[FieldError]]:
    errors: list[FieldError] = []
    if raw in (None, ""):
        return (), errors
    if not isinstance(raw, list | tuple):
        return (), [FieldError("items", _("物资必须是列表。"))]
    if len(raw) > MAX_ITEMS:
        return (), [FieldError("items", _("物资最多 %(n)d 项。", n=MAX_ITEMS))]
    items: list[ItemInput] = []
    for i, entry in enumerate(raw):
        prefix = f"items[{i}]"
        if not isinstance(entry, Mapping):
            errors.append(FieldError(prefix, _("每项物资必须是对象。")))
            continue
        name, unit = _text(entry.get("name")), _text(entry.get("unit"))
        if not name or len(name) > 64:
            errors.append(FieldError(f"{prefix}.name", _("物资名称须为 1–64 个字。")))
        if not unit or len(unit) > 16:
            errors.append(FieldError(f"{prefix}.unit", _("单位须为 1–16 个字。")))
        try:
            quantity = _int(
                entry.get("quantity"), f"{prefix}.quantity", low=1, high=MAX_ITEM_QUANTITY,
                label=_("数量"),
            )  # fmt: skip
        except InvalidInput as exc:
            errors.extend(exc.errors)
            quantity = 0
        try:
            if "unit_value_fen" in entry:
                value = _int(
                    entry.get("unit_value_fen"), f"{prefix}.unit_value_fen", low=1,
                    high=MAX_ITEM_VALUE_FEN, label=_("单价（分）"),
                )  # fmt: skip
            else:
                value = _yuan(entry.get("unit_value_yuan"), f"{prefix}.unit_value_yuan")
                if not 1 <= value <= MAX_ITEM_VALUE_FEN:
                    raise InvalidInput(
                        _("单价须在 0.01–%(max)s 元之间。", max=MAX_ITEM_VALUE_FEN // YUAN),
                        field=f"{prefix}.unit_value_yuan",
                    )
        except InvalidInput as exc:
            errors.extend(exc.errors)
            value = 0
        if quantity and value:
            items.append(ItemInput(name, quantity, unit, value))
    return tuple(items), errors


def clean_need(raw: Mapping[str, Any], *, today: date | None = None) -> NeedInput:
    """Validate a need's fields; raise InvalidInput listing every bad field (nothing written).

    Accepts form strings and JSON values alike: ``target_fen`` (integer fen) or
    ``target_yuan`` (decimal text in 元), ``deadline`` as a date or ``YYYY-MM-DD``. A target of
    0 with in-kind items takes the items' total value (BRIEF §3.4: "a money target and/or
    in-kind items"; the donor may give money or the goods)."""
    today = today or today_cn()
    errors: list[FieldError] = []

    def check(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            errors.extend(exc.errors)
            return None

    region_code = _text(raw.get("region_code"))
    if not re.fullmatch(r"\d{6}|\d{12}", region_code):
        errors.append(
            FieldError("region_code", _("请选择需求所在的村（12 位代码）或县（6 位代码）。"))
        )
    category = _text(raw.get("category"))
    if category not in CATEGORIES:
        by_label = {_(label): code for code, label in CATEGORIES.items()}
        by_label.update({label: code for code, label in CATEGORIES.items()})
        category = by_label.get(category, category)
        if category not in CATEGORIES:
            errors.append(FieldError("category", _("请选择十项重点工作之一或“其他”。")))
    title = _text(raw.get("title")).replace("\n", " ")
    if not MIN_TITLE <= len(title) <= MAX_TITLE:
        errors.append(
            FieldError("title", _("标题须为 %(a)d–%(b)d 个字。", a=MIN_TITLE, b=MAX_TITLE))
        )
    description = _text(raw.get("description"))
    if not MIN_DESCRIPTION <= len(description) <= MAX_DESCRIPTION:
        errors.append(
            FieldError(
                "description",
                _(
                    "需求说明须为 %(a)d–%(b)d 个字：写明村情、建设内容、预算测算和受益群众。",
                    a=MIN_DESCRIPTION,
                    b=MAX_DESCRIPTION,
                ),
            )  # fmt: skip
        )
    items, item_errors = _clean_items(raw.get("items"))
    errors.extend(item_errors)
    target_field = (
        "target_yuan" if raw.get("target_fen") is None and "target_yuan" in raw else "target_fen"
    )
    raw_target = raw.get(target_field)
    target_fen: int | None = 0
    if raw_target not in (None, ""):
        if target_field == "target_yuan":
            target_fen = check(_yuan, raw_target, target_field)
        else:
            target_fen = check(
                _int,
                raw_target,
                target_field,
                low=0,
                high=MAX_TARGET_FEN,
                label=_("目标金额（分）"),
            )
    if target_fen is not None:
        if target_fen == 0 and items:
            target_fen = sum(item.total_fen for item in items)
        if target_fen == 0:
            errors.append(FieldError(target_field, _("请填写目标金额或至少一项物资。")))
        elif not MIN_TARGET_FEN <= target_fen <= MAX_TARGET_FEN:
            errors.append(
                FieldError(
                    target_field,
                    _(
                        "目标金额须在 %(a)s–%(b)s 元之间。",
                        a=MIN_TARGET_FEN // YUAN,
                        b=f"{MAX_TARGET_FEN // YUAN:,}",
                    ),
                )  # fmt: skip
            )
    households = check(
        _int, raw.get("beneficiary_households") or 0, "beneficiary_households",
        low=0, high=MAX_HOUSEHOLDS, label=_("受益户数"),
    )  # fmt: skip
    people = check(
        _int, raw.get("beneficiary_people") or 0, "beneficiary_people",
        low=0, high=MAX_PEOPLE, label=_("受益人数"),
    )  # fmt: skip
    if households is not None and people is not None:
        if households == 0 and people == 0:
            errors.append(FieldError("beneficiary_people", _("请填写受益人数或受益户数。")))
        elif people and households > people:
            errors.append(FieldError("beneficiary_people", _("受益人数不能少于受益户数。")))
    deadline = check(_date, raw.get("deadline"), "deadline")
    if deadline is not None:
        if deadline <= today:
            errors.append(FieldError("deadline", _("截止日期须晚于今天。")))
        elif deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
            errors.append(FieldError("deadline", _("截止日期最多在三年之内。")))
    external_ref = _text(raw.get("external_ref"))
    if len(external_ref) > MAX_EXTERNAL_REF:
        errors.append(FieldError("external_ref", _("项目编号最多 64 个字符。")))
    if errors:
        raise InvalidInput(errors=errors)
    return NeedInput(
        region_code=region_code,
        category=category,
        title=title,
        description=description,
        target_fen=int(target_fen or 0),
        beneficiary_households=int(households or 0),
        beneficiary_people=int(people or 0),
        deadline=deadline,  # type: ignore[arg-type]
        items=items,
        external_ref=external_ref,
    )


async def need_region(code: str, *, field: str = "region_code") -> Region:
    """A need belongs to a village, or to a county for county-wide projects (BRIEF §3.4)."""
    region = await Region.get_or_none(code=code)
    if region is None or region.level not in ("village", "county"):
        raise InvalidInput(_("村或县代码不存在：%(code)s", code=code), field=field)
    return region


def _values_of(data: NeedInput) -> dict[str, Any]:
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


SNAPSHOT_FIELDS = (
    "region_id",
    "category",
    "title",
    "description",
    "target_fen",
    "beneficiary_households",
    "beneficiary_people",
    "deadline",
    "state",
    "external_ref",
)


# --- reading -----------------------------------------------------------------------------------


def need_scope(need: Need) -> Scope:
    """Where the need lies, for policy checks (its region: village or county)."""
    region = need.region if isinstance(getattr(need, "region", None), Region) else None
    if region is not None:
        return scope_of(region)
    return Scope(
        region_code=need.region_id, county_code=need.county_code, province_code=need.province_code
    )


def is_visible_publicly(need: Need, today: date | None = None) -> bool:
    """Published needs and the ones that expired after publication."""
    return effective_state(need.state, need.deadline, today or today_cn()) in LISTABLE_STATES


def may_view(actor: Actor | None, need: Need) -> bool:
    return is_visible_publicly(need) or can(actor, "need.view_private", need_scope(need))


def may_view_private(actor: Actor | None, need: Need) -> bool:
    return can(actor, "need.view_private", need_scope(need))


async def _load(need_id: int, *, details: bool = False) -> Need:
    query = Need.get_or_none(id=need_id)
    related = ["region", "items", "attachments"] if details else ["region"]
    need = await query.prefetch_related(*related)
    if need is None:
        raise NotFound(_("需求不存在。"), field="id")
    return need


async def get_need(actor: Actor | None, need_id: int, *, details: bool = True) -> Need:
    """The need as ``actor`` may see it: a need that is not public is 'not found' for anyone
    without ``need.view_private`` in its scope (its existence is not revealed). A published
    need past its deadline is expired here and now (check on read)."""
    need = await _load(need_id, details=details)
    if not may_view(actor, need):
        raise NotFound(_("需求不存在。"), field="id")
    if is_overdue(need.state, need.deadline, today_cn()):
        await _expire_one(need.id)
        need = await _load(need_id, details=details)
    return need


async def need_events(actor: Actor | None, need_id: int) -> list[NeedEvent]:
    need = await get_need(actor, need_id, details=False)
    return list(await NeedEvent.filter(need_id=need.id).order_by("id"))


def event_dict(event: NeedEvent, *, include_private: bool = False) -> dict[str, Any]:
    role = event.actor_role or ("system" if event.actor_label == "system" else "")
    out: dict[str, Any] = {
        "id": event.id,
        "action": event.action,
        "action_label": _(ACTION_LABELS.get(event.action, event.action)),
        "from_state": event.from_state or None,
        "to_state": event.to_state,
        "actor": _(ROLE_LABELS[role]) if role in ROLE_LABELS else "",
        "reason": event.reason,
        "at": event.at.isoformat() if event.at else None,
    }
    if include_private:
        out["actor_username"] = event.actor_label
    return out


def _fetched(relation: Any) -> list[Any] | None:
    """A prefetched reverse relation's rows, or None when it was not fetched."""
    if relation is None or not getattr(relation, "_fetched", False):
        return None
    return list(relation)


def attachment_url(need_id: int, attachment: Attachment) -> str:
    return f"/needs/{need_id}/attachments/{attachment.id}"


def need_dict(need: Need, *, include_private: bool = False) -> dict[str, Any]:
    """The API/JSON shape of a need (money in fen). ``include_private`` adds who drafted it, its
    import reference and the attachments' original names. Call on a need loaded by this module
    (region prefetched; items and attachments when loaded with details)."""
    region = need.region if isinstance(getattr(need, "region", None), Region) else None
    today = today_cn()
    state = effective_state(need.state, need.deadline, today)
    out: dict[str, Any] = {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "category": need.category,
        "category_label": _(CATEGORIES.get(need.category, need.category)),
        "state": state,
        "state_label": _(STATE_LABELS.get(state, state)),
        "region": {
            "code": need.region_id,
            "name": region.name if region else "",
            "level": region.level if region else "",
            "full_name": region.full_name if region else "",
            "is_generated": bool(region and region.is_generated),
        },
        "county_wide": bool(region and region.level == "county"),
        "county_code": need.county_code,
        "province_code": need.province_code,
        "target_fen": need.target_fen,
        "pledged_fen": need.pledged_fen,
        "received_fen": need.received_fen,
        "open_fen": need.open_fen,
        "beneficiary_households": need.beneficiary_households,
        "beneficiary_people": need.beneficiary_people,
        "deadline": need.deadline.isoformat(),
        "published_at": need.published_at.isoformat() if need.published_at else None,
        "is_demo": need.is_demo,
        "url": f"/needs/{need.id}",
    }
    items = _fetched(getattr(need, "items", None))
    if items is not None:
        out["items"] = [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit": i.unit,
                "unit_value_fen": i.unit_value_fen,
                "total_fen": i.quantity * i.unit_value_fen,
            }
            for i in items
        ]
    attachments = _fetched(getattr(need, "attachments", None))
    if attachments is not None:
        out["attachments"] = [
            {
                "id": a.id,
                "purpose": a.purpose,
                "content_type": a.content_type,
                "size": a.size,
                "url": attachment_url(need.id, a),
                **({"original_name": a.original_name} if include_private else {}),
            }
            for a in attachments
        ]
    if include_private:
        out.update(
            {
                "source": need.source,
                "external_ref": need.external_ref,
                "created_by_id": need.created_by_id,
                "published_by_id": need.published_by_id,
                "created_at": need.created_at.isoformat() if need.created_at else None,
                "updated_at": need.updated_at.isoformat() if need.updated_at else None,
            }
        )
    return out


# --- listing ------------------------------------------------------------------------------------


@dataclass
class NeedFilters:
    """Filters of a needs list. ``q`` is reserved for full-text search: the search service
    replaces :func:`list_needs` for a query (it returns the same page shape); here it falls back
    to a title substring match so the parameter is never silently ignored."""

    province: str | None = None
    county: str | None = None
    region: str | None = None
    category: str | None = None
    state: str | None = None
    q: str | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 20


@dataclass
class NeedPage:
    items: list[Need]
    total: int
    page: int
    per_page: int
    filters: NeedFilters = field(default_factory=NeedFilters)


def check_filters(filters: NeedFilters, *, private: bool = False) -> NeedFilters:
    for name, pattern in (("province", r"\d{6}"), ("county", r"\d{6}"), ("region", r"\d{6,12}")):
        value = getattr(filters, name)
        if value and not re.fullmatch(pattern, value):
            raise InvalidInput(_("地区代码格式不正确。"), field=name)
    if filters.category and filters.category not in CATEGORIES:
        raise InvalidInput(_("未知的需求类别。"), field="category")
    allowed = STATES if private else LISTABLE_STATES
    if filters.state and filters.state not in allowed:
        raise InvalidInput(_("未知或不公开的需求状态。"), field="state")
    if filters.sort not in SORTS:
        raise InvalidInput(_("排序方式只能是：%(s)s。", s=", ".join(SORTS)), field="sort")
    if filters.q and len(filters.q) > 64:
        raise InvalidInput(_("查询过长。"), field="q")
    return filters


def _state_condition(state: str | None, default: Sequence[str], today: date) -> Q:
    """States as the reader sees them: a published need past its deadline counts as expired
    even before the sweep has persisted it. Written as ``state IN (…) AND (…)`` rather than an
    OR of two index ranges, so SQLite keeps the top-N sort cheap (measured at 100k needs: the
    OR form took 120 ms per page, this one 10 ms)."""
    wanted = [state] if state else list(default)
    if "expired" in wanted and "published" in wanted:
        return Q(state__in=wanted)
    if "expired" in wanted:
        return Q(state__in=wanted) | Q(state="published", deadline__lt=today)
    if "published" in wanted:
        return Q(state__in=wanted) & (~Q(state="published") | Q(deadline__gte=today))
    return Q(state__in=wanted)


def actor_scope_condition(actor: Actor) -> Q | None:
    """The needs an office may see in private lists: its village, county, province or all."""
    if can(actor, "need.view_private", Scope()) and actor.role in ("national_admin", "auditor"):
        return Q()
    if actor.role == "province_office" and actor.province_code:
        return Q(province_code=actor.province_code)
    if actor.role == "county_officer" and actor.county_code:
        return Q(county_code=actor.county_code)
    if actor.role == "village_worker" and actor.region_code:
        return Q(region_id=actor.region_code)
    return None


def _query(filters: NeedFilters, *, actor: Actor | None, private: bool, today: date) -> Any:
    if private:
        if actor is None:
            raise NotAuthenticated(_("请先登录。"))
        require(actor, "need.view_private")
        condition = actor_scope_condition(actor)
        if condition is None:
            raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
        query = Need.filter(condition)
        if filters.state:
            query = query.filter(_state_condition(filters.state, STATES, today))
    else:
        query = Need.filter(_state_condition(filters.state, PUBLIC_STATES, today))
    if filters.province:
        query = query.filter(province_code=filters.province)
    if filters.county:
        query = query.filter(county_code=filters.county)
    if filters.region:
        query = query.filter(Q(region_id=filters.region) | Q(region__parent_id=filters.region))
    if filters.category:
        query = query.filter(category=filters.category)
    if filters.q:
        query = query.filter(title__icontains=filters.q)
    return query


def _ordered(query: Any, sort: str, *, private: bool) -> Any:
    if sort == "deadline":
        return query.order_by("deadline", "id")
    if sort == "open_amount":
        return query.annotate(open_amount=F("target_fen") - F("pledged_fen")).order_by(
            "-open_amount", "id"
        )
    return query.order_by("-id") if private else query.order_by("-published_at", "-id")


async def list_needs(
    filters: NeedFilters, *, actor: Actor | None = None, private: bool = False
) -> NeedPage:
    """One page of needs. Public (default): published and later states only; ``private``: the
    needs the actor may see in full (its village / county / province / all), every state."""
    check_filters(filters, private=private)
    today = today_cn()
    await expire_overdue_needs(today=today, limit=EXPIRY_BATCH)  # check on read
    query = _query(filters, actor=actor, private=private, today=today)
    total = await query.count()
    # Two steps: the page's ids from the (covering) index, then those rows — sorting 100k
    # wide rows (descriptions) is what made a page slow.
    ids = list(
        await _ordered(query, filters.sort, private=private)
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
        .values_list("id", flat=True)
    )
    rows = {n.id: n for n in await Need.filter(id__in=ids).prefetch_related("region")}
    return NeedPage(
        items=[rows[i] for i in ids if i in rows],
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        filters=filters,
    )


async def iter_needs(
    filters: NeedFilters, *, actor: Actor | None = None, private: bool = False, batch: int = 1000
) -> AsyncIterator[Need]:
    """Every need matching ``filters`` (no paging), in batches: for exports."""
    check_filters(filters, private=private)
    today = today_cn()
    await expire_overdue_needs(today=today, limit=EXPIRY_BATCH)
    query = _query(filters, actor=actor, private=private, today=today)
    last_id = 0
    while True:
        rows = (
            await query.filter(id__gt=last_id)
            .order_by("id")
            .limit(batch)
            .prefetch_related("region")
        )
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def state_counts(actor: Actor) -> dict[str, int]:
    """Needs per state in the actor's area (the workspace's tabs)."""
    require(actor, "need.view_private")
    condition = actor_scope_condition(actor)
    if condition is None:
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    today = today_cn()
    counts = dict.fromkeys(STATES, 0)
    rows = (
        await Need.filter(condition)
        .annotate(n=Count("id"))
        .group_by("state")
        .values_list("state", "n")
    )
    for state, n in rows:
        counts[state] = counts.get(state, 0) + int(n)
    overdue = await Need.filter(condition, state="published", deadline__lt=today).count()
    counts["published"] -= overdue
    counts["expired"] += overdue
    return counts


async def villages_for(actor: Actor) -> list[Region]:
    """The villages (and county) an actor may draft needs for: the form's region choices."""
    require(actor, CREATE_PERMISSION)
    if actor.role == "village_worker":
        return list(await Region.filter(code=actor.region_code))
    if actor.role == "county_officer" and actor.county_code:
        county = await Region.filter(code=actor.county_code)
        villages = await Region.filter(level="village", county_code=actor.county_code).order_by(
            "code"
        )
        return [*county, *villages]
    return []


# --- duplicate guard ----------------------------------------------------------------------------

_GENERIC = ("项目", "工程", "建设", "改造", "提升", "计划", "一期", "二期", "扶贫")


def _title_core(title: str, names: Iterable[str]) -> str:
    text = unicodedata.normalize("NFKC", title)
    for name in sorted((n for n in names if n), key=len, reverse=True):
        text = text.replace(name, "")
    for word in _GENERIC:
        text = text.replace(word, "")
    return "".join(ch for ch in text if ch.isalnum())


def title_similarity(a: str, b: str, *, names: Iterable[str] = ()) -> float:
    """0..1 similarity of two titles after removing place names and generic words (项目, 工程…),
    which every title of a village shares."""
    names = list(names)
    core_a, core_b = _title_core(a, names), _title_core(b, names)
    if not core_a or not core_b:
        return 1.0 if _title_core(a, ()) == _title_core(b, ()) else 0.0
    return difflib.SequenceMatcher(None, core_a, core_b).ratio()


async def possible_duplicates(need: Need) -> list[Need]:
    """BRIEF §3.4 duplicate guard: other needs of the same village and category with a similar
    title created within ``DUPLICATE_WINDOW_DAYS`` (withdrawn ones excluded)."""
    around = need.created_at or clock.now()
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    candidates = (
        await Need.filter(
            region_id=need.region_id,
            category=need.category,
            created_at__gte=around - window,
            created_at__lte=around + window,
        )
        .exclude(id=need.id)
        .exclude(state="withdrawn")
        .order_by("-id")
        .limit(200)
        .prefetch_related("region")
    )
    region = need.region if isinstance(getattr(need, "region", None), Region) else None
    names: list[str] = []
    if region is not None:
        names.append(region.name)
        names.extend(region.full_name.split())
    return [
        c
        for c in candidates
        if title_similarity(c.title, need.title, names=names) >= DUPLICATE_SIMILARITY
    ]


# --- writing helpers ----------------------------------------------------------------------------


def _actor_fields(actor: Actor | None, label: str | None = None) -> dict[str, Any]:
    if actor is None:
        return {"actor_id": None, "actor_label": label or "system", "actor_role": label or "system"}
    return {"actor_id": actor.user_id, "actor_label": actor.username, "actor_role": actor.role}


async def _event(
    need_id: int,
    action: str,
    from_state: str,
    to_state: str,
    actor: Actor | None,
    reason: str = "",
    *,
    label: str | None = None,
) -> NeedEvent:
    return await NeedEvent.create(
        need_id=need_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        **_actor_fields(actor, label),
    )


def ledger_payload(need: Need) -> dict[str, Any]:
    """The public payload of need_published / need_completed (BRIEF §3.7)."""
    return {
        "need_id": need.id,
        "title": need.title,
        "county_code": need.county_code,
        "target_fen": need.target_fen,
    }


async def _check_external_ref(ref: str, county_code: str, *, exclude_id: int | None = None) -> None:
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


# --- use cases: draft and edit ------------------------------------------------------------------


async def draft_need(
    actor: Actor | None,
    raw: Mapping[str, Any],
    *,
    source: str = "web",
    today: date | None = None,
) -> Need:
    """Create a need as a draft in a village (or county) within the actor's scope."""
    require(actor, CREATE_PERMISSION)
    data = clean_need(raw, today=today)
    region = await need_region(data.region_code)
    require(actor, CREATE_PERMISSION, scope_of(region))
    await _check_external_ref(data.external_ref, scope_of(region).county_code)
    return await _create(actor, data, region, source=source)


async def _create(actor: Actor | None, data: NeedInput, region: Region, *, source: str) -> Need:
    async with transaction():
        return await insert_need(actor, data, region, source=source)


async def insert_need(
    actor: Actor | None,
    data: NeedInput,
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
        await NeedItem.bulk_create(
            [
                NeedItem(
                    need_id=need.id,
                    name=i.name,
                    quantity=i.quantity,
                    unit=i.unit,
                    unit_value_fen=i.unit_value_fen,
                )  # fmt: skip
                for i in data.items
            ]
        )
    label = None if actor else source
    await _event(need.id, "draft", "", "draft", actor, reason, label=label)
    if state == "submitted":
        await _event(need.id, "submit", "draft", "submitted", actor, reason, label=label)
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


async def edit_need(
    actor: Actor | None, need_id: int, raw: Mapping[str, Any], *, today: date | None = None
) -> Need:
    """Change a need's content while it is a draft, returned, or under review. Fields not in
    ``raw`` keep their values; ``items`` (when given) replaces the whole list."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    unknown = sorted(k for k in raw if k not in EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改的字段：%(f)s", f=", ".join(unknown)), field=unknown[0])
    need = await get_need(actor, need_id)
    permission = check_editable(actor, need)
    current: dict[str, Any] = {
        "region_code": need.region_id,
        "category": need.category,
        "title": need.title,
        "description": need.description,
        "target_fen": need.target_fen,
        "beneficiary_households": need.beneficiary_households,
        "beneficiary_people": need.beneficiary_people,
        "deadline": need.deadline,
        "external_ref": need.external_ref,
        "items": [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit": i.unit,
                "unit_value_fen": i.unit_value_fen,
            }
            for i in need.items
        ],
    }
    merged = {**current, **raw}
    if "target_yuan" in raw:
        merged.pop("target_fen", None)
    data = clean_need(merged, today=today)
    region = need.region
    if data.region_code != need.region_id:
        region = await need_region(data.region_code)
        require(actor, permission, scope_of(region))
    new_scope = scope_of(region)
    await _check_external_ref(data.external_ref, new_scope.county_code, exclude_id=need.id)
    before = {**audit.snapshot(need, SNAPSHOT_FIELDS), "items": current["items"]}
    values = _values_of(data)
    changed = [k for k, v in values.items() if getattr(need, k) != v]
    items_changed = [(i.name, i.quantity, i.unit, i.unit_value_fen) for i in data.items] != [
        (i["name"], i["quantity"], i["unit"], i["unit_value_fen"]) for i in current["items"]
    ]
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
            await NeedItem.bulk_create(
                [
                    NeedItem(
                        need_id=need.id,
                        name=i.name,
                        quantity=i.quantity,
                        unit=i.unit,
                        unit_value_fen=i.unit_value_fen,
                    )  # fmt: skip
                    for i in data.items
                ]
            )
        labels = [_(FIELD_LABELS.get({"region_id": "region_code"}.get(k, k), k)) for k in changed]
        if items_changed:
            labels.append(_("物资"))
        await _event(
            need.id, "edit", need.state, need.state, actor, _("修改：%(f)s", f="、".join(labels))
        )
        await audit.record(
            actor=actor,
            action="need.edit",
            object_type="need",
            object_id=need.id,
            before=before,
            after={**values, "items": [i.__dict__ for i in data.items]},
        )
        await search_outbox.enqueue(need.id)
    return await _load(need.id, details=True)


# --- use cases: transitions ---------------------------------------------------------------------


def available_actions(actor: Actor | None, need: Need) -> list[Transition[NeedFacts]]:
    """The transitions ``actor`` may ask for on ``need`` now (the buttons to show)."""
    if actor is None:
        return []
    state = effective_state(need.state, need.deadline, today_cn())
    scope = need_scope(need)
    return [t for t in actions_from(state) if t.permission and can(actor, t.permission, scope)]


def may_edit(actor: Actor | None, need: Need) -> bool:
    permission = EDIT_PERMISSIONS.get(need.state)
    return permission is not None and can(actor, permission, need_scope(need))


def may_attach(actor: Actor | None, need: Need) -> bool:
    return need.state in ATTACH_STATES and can(actor, "need.attach", need_scope(need))


async def _facts_for(need: Need, action: str, *, today: date, acknowledged: bool) -> NeedFacts:
    """The facts the guards of ``action`` read (queries only for the actions that need them)."""
    facts = NeedFacts(deadline=need.deadline, today=today, pledged_fen=need.pledged_fen)
    if action == "publish":
        duplicates = tuple(d.id for d in await possible_duplicates(need))
        return replace(facts, possible_duplicates=duplicates, duplicates_acknowledged=acknowledged)
    if action in ("deliver", "close"):
        purposes = set(await Attachment.filter(need_id=need.id).values_list("purpose", flat=True))
        return replace(
            facts,
            has_evidence="evidence" in purposes,
            has_receipt_confirmation="receipt_confirmation" in purposes,
            county_wide=need.region.level == "county",
        )
    return facts


async def transition_need(
    actor: Actor | None,
    need_id: int,
    action: str,
    *,
    reason: str = "",
    acknowledge_duplicates: bool = False,
    today: date | None = None,
) -> Need:
    """Make a user transition of the lifecycle table. Refusals (nothing written, history
    unchanged): unknown action → InvalidInput; not allowed for the role or outside the scope →
    PermissionDenied (NotFound when the actor may not even see the need); not possible from the
    current state → InvalidTransition; missing reason → InvalidInput(reason); publishing a
    possible duplicate without acknowledging it → Conflict(possible_duplicate)."""
    if action not in USER_ACTIONS:
        raise InvalidInput(
            _("未知的操作：%(a)s（可用：%(all)s）", a=action, all=", ".join(USER_ACTIONS)),
            field="action",
        )
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    today = today or today_cn()
    need = await get_need(actor, need_id)
    scope = need_scope(need)
    if not any(can(actor, p, scope) for p in NEED_MACHINE.permissions_for(action)):
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    row = NEED_MACHINE.check(need.state, action)  # the state allows it at all
    assert row.permission is not None  # user actions have no system rows
    require(actor, row.permission, scope)
    reason = _text(reason)
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("原因最多 %(n)d 个字。", n=MAX_REASON), field="reason")
    facts = await _facts_for(need, action, today=today, acknowledged=acknowledge_duplicates)
    rule = NEED_MACHINE.check(need.state, action, facts, reason=reason)
    extra: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    if action == "withdraw" and need.state == "published":
        # the no-pledges guard, again inside the update: a pledge may arrive meanwhile
        conditions["pledged_fen"] = 0
    if action == "publish":
        extra = {"published_at": clock.now(), "published_by_id": actor.user_id}
    before = audit.snapshot(need, SNAPSHOT_FIELDS)
    async with transaction():
        updated = await Need.filter(id=need.id, state=need.state, **conditions).update(
            state=rule.to, updated_at=clock.now(), **extra
        )
        if not updated:
            fresh = await Need.get(id=need.id)
            if fresh.state == need.state and conditions.get("pledged_fen") == 0:
                raise RuleViolation(
                    _("该需求已有有效认捐，不能撤回；请先与认捐方沟通。"), code="has_pledges"
                )
            raise Conflict(_("需求状态刚被他人更改，请刷新后重试。"), code="stale")
        need.state = rule.to
        for key, value in extra.items():
            setattr(need, key, value)
        await _event(need.id, action, rule.state, rule.to, actor, reason)
        await audit.record(
            actor=actor,
            action=f"need.{action}",
            object_type="need",
            object_id=need.id,
            before=before,
            after={"state": rule.to, "reason": reason},
        )
        await search_outbox.enqueue(need.id)
        if action == "publish":
            await ledger.append(
                kind="need_published", subject=f"need:{need.id}", payload=ledger_payload(need)
            )
            # A need might already be covered (pledges are only taken once published, but a
            # re-publication after review keeps the rule in one place).
            await refresh_funded_state(need)
        elif action == "deliver":
            await ledger.append(
                kind="need_completed", subject=f"need:{need.id}", payload=ledger_payload(need)
            )
    return await _load(need.id, details=True)


async def refresh_funded_state(need: Need, *, actor_label: str = "system") -> None:
    """Derive published ↔ funded from ``pledged_fen`` (see the module docstring).

    The money services call this INSIDE their transaction right after changing
    ``Need.pledged_fen``; it opens no transaction of its own. Both moves are conditional
    UPDATEs on the current row, so ``need`` may be stale. Writes a NeedEvent (actor
    ``actor_label``), an audit row and a search-outbox row when the state changes."""
    # rules.is_funded as SQL, so the move is one conditional update on the current row
    funded = Q(target_fen__gt=0, pledged_fen__gte=F("target_fen"))
    not_funded = Q(pledged_fen__lt=F("target_fen")) | Q(target_fen=0)
    for action, condition in (("fund", funded), ("unfund", not_funded)):
        (from_state,) = NEED_MACHINE.states_allowing(action)
        to_state = NEED_MACHINE.check(from_state, action).to
        updated = (
            await Need.filter(condition, id=need.id, state=from_state)
            .update(state=to_state, updated_at=clock.now())
        )  # fmt: skip
        if not updated:
            continue
        fresh = await Need.get(id=need.id)
        need.state, need.pledged_fen = to_state, fresh.pledged_fen
        reason = (
            _("有效认捐 %(p)s 分已覆盖目标 %(t)s 分。", p=fresh.pledged_fen, t=fresh.target_fen)
            if action == "fund"
            else _("认捐撤回或失效后，有效认捐 %(p)s 分低于目标 %(t)s 分，恢复募集。",
                   p=fresh.pledged_fen, t=fresh.target_fen)
        )  # fmt: skip
        await NeedEvent.create(
            need_id=need.id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_id=None,
            actor_label=actor_label,
            actor_role="system",
            reason=reason,
        )
        await audit.record(
            actor=None,
            actor_label=actor_label,
            action=f"need.{action}",
            object_type="need",
            object_id=need.id,
            before={"state": from_state},
            after={"state": to_state, "pledged_fen": fresh.pledged_fen},
        )
        await search_outbox.enqueue(need.id)
        return


# --- expiry -----------------------------------------------------------------------------------


async def _expire_ids(ids: Sequence[int], today: date) -> int:
    """Expire those of ``ids`` still published and overdue. Call inside a transaction."""
    done = 0
    reason = _("截止日期已过，需求未筹满，自动到期。")
    (from_state,) = NEED_MACHINE.states_allowing("expire")
    to_state = NEED_MACHINE.check(from_state, "expire").to
    for need_id in ids:
        updated = await Need.filter(id=need_id, state=from_state, deadline__lt=today).update(
            state=to_state, updated_at=clock.now()
        )
        if not updated:
            continue  # funded or changed meanwhile: nothing to do
        done += 1
        await NeedEvent.create(
            need_id=need_id,
            action="expire",
            from_state=from_state,
            to_state=to_state,
            actor_label="system",
            actor_role="system",
            reason=reason,
        )
        await audit.record(
            actor=None,
            action="need.expire",
            object_type="need",
            object_id=need_id,
            before={"state": from_state},
            after={"state": to_state},
        )
        await search_outbox.enqueue(need_id)
    return done


async def _expire_one(need_id: int) -> None:
    async with transaction():
        await _expire_ids([need_id], today_cn())


async def expire_overdue_needs(*, today: date | None = None, limit: int = EXPIRY_BATCH) -> int:
    """Expire up to ``limit`` published needs whose deadline has passed; returns how many.
    Idempotent and safe to run in several processes at once (conditional UPDATE per need)."""
    today = today or today_cn()
    ids = list(
        await Need.filter(state="published", deadline__lt=today)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    async with transaction():
        return await _expire_ids(ids, today)


async def expire_all_overdue(*, today: date | None = None) -> int:
    """Run the sweep until nothing is overdue (``fupin needs expire``)."""
    total = 0
    while True:
        done = await expire_overdue_needs(today=today)
        total += done
        if done < EXPIRY_BATCH:
            return total


# --- search documents --------------------------------------------------------------------------


def _amount_band(target_fen: int) -> str:
    from fupin.search.adapters import default_settings
    from fupin.search.rules.documents import amount_band

    return amount_band(target_fen, default_settings())


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


def _document(need: Need, regions: Mapping[str, Region]) -> dict[str, Any]:
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
        "amount_band": _amount_band(need.target_fen),
        "deadline": need.deadline.isoformat(),
        "deadline_ts": _utc_midnight_ts(need.deadline),
        "published_ts": int(need.published_at.timestamp()) if need.published_at else 0,
        "beneficiary_people": need.beneficiary_people,
        "beneficiary_households": need.beneficiary_households,
    }


def _is_public_now(need: Need, today: date) -> bool:
    return effective_state(need.state, need.deadline, today) in PUBLIC_STATES


async def public_need_document(need_id: int) -> dict[str, Any] | None:
    """The search document of a public need (fupin.search.rules.documents.FIELDS), or None when the
    need does not exist or is not public (draft, under review, withdrawn, expired)."""
    need = await Need.get_or_none(id=need_id).prefetch_related("region")
    if need is None or not _is_public_now(need, today_cn()):
        return None
    return _document(need, await _region_names([need]))


async def public_need_documents(after_id: int, limit: int) -> list[dict[str, Any]]:
    """Search documents of public needs with id > ``after_id``, by id, at most ``limit``
    (reindexing: continue with the last returned id until an empty list)."""
    today = today_cn()
    needs = list(
        await Need.filter(_state_condition(None, PUBLIC_STATES, today), id__gt=after_id)
        .order_by("id")
        .limit(max(0, min(limit, 10_000)))
        .prefetch_related("region")
    )
    if not needs:
        return []
    regions = await _region_names(needs)
    return [_document(n, regions) for n in needs]


# --- page context -----------------------------------------------------------------------------


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


# --- export rows --------------------------------------------------------------------------------


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


def category_choices() -> list[tuple[str, str]]:
    return [(code, _(CATEGORIES[code])) for code in CATEGORY_CODES]


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def action_label(action: str) -> str:
    return _(ACTION_LABELS.get(action, action))


def role_label(role: str) -> str:
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else ""
