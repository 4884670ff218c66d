"""Commendation rounds and their categories (docs/domain.md §3.9; docs/rules.md §5): who may run and see them,
reading them, opening a round for a five-year window, editing its categories, quotas and
criteria. The pure rules are in ``commendation.rules``: window, categories, criteria and
ranking (``rules.ranking``), working days (``rules.calendar``), the round's lifecycle
``ROUND_MACHINE`` (``rules.rounds``).

A round moves draft → nominations → notice → final → closed, or ends cancelled:

* **draft**: categories (award line × scope), quotas and criteria are edited (this module);
* **rank** (draft or nominations → nominations): ``service.ranking``;
* **publish notice** (nominations → notice) and **resolve** objections: ``service.notice``;
* **publish final** (notice → final) and **close** (final → closed): ``service.final``;
* **re-open** (nominations → draft) and **cancel** (draft, nominations or notice → cancelled,
  freeing the window): this module.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from fupin.commendation.models import (
    CATEGORY_LIMITS,
    OBJECTION_CHANNEL_MAX,
    ROUND_TITLE_MAX,
    CommendationRound,
    CommendationRoundYear,
    Nomination,
    Objection,
    RoundCategory,
)
from fupin.commendation.rules.ranking import (
    AWARD_TYPE_LABELS,
    SCOPE_LABELS,
    AwardType,
    CategorySpec,
    CommendationRuleError,
    Criteria,
    Scope,
    validate_round,
)
from fupin.commendation.rules.rounds import (
    CANCEL_REASON_MAX,
    CANCEL_REASON_REQUIRED,
    EARLIEST_WINDOW_YEAR,
    LATEST_WINDOW_YEAR,
    MAX_NOTICE_WORKING_DAYS,
    ROUND_MACHINE,
    TITLE_REQUIRED,
)
from fupin.core import audit, clock
from fupin.core.policy import Actor, can, require
from fupin.db import transaction
from fupin.errors import (
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from fupin.i18n import N_, _

STATUS_LABELS = {
    "nominee": N_("推荐对象"),
    "reserve": N_("候补"),
    "excluded": N_("不符合条件"),
    "removed": N_("经异议核实后撤销"),
    "awarded": N_("表彰对象"),
}
OBJECTION_STATE_LABELS = {
    "open": N_("待处理"),
    "upheld": N_("异议成立"),
    "dismissed": N_("异议不成立"),
}

#: States in which the public sees the round's list.
PUBLIC_STATES = ("notice", "final", "closed")


def require_manage(actor: Actor | None, *, system: bool) -> None:
    if actor is None and not system:
        raise NotAuthenticated(_("请先登录。"))
    if actor is not None:
        require(actor, "commendation.manage")


def can_view_private(actor: Actor | None) -> bool:
    return actor is not None and can(actor, "commendation.view_private")


def require_view_private(actor: Actor | None) -> Actor:
    return require(actor, "commendation.view_private")


# --- reading rounds ---------------------------------------------------------------------------


async def get_round(round_id: int) -> CommendationRound:
    found = await CommendationRound.get_or_none(id=round_id)
    if found is None:
        raise NotFound(_("表彰轮次不存在。"), field="round_id")
    return found


def _public_filter() -> Q:
    """Rounds the public sees: on notice or later, and a cancelled round whose list had been on
    notice (it stays visible, saying it was cancelled and why)."""
    return Q(state__in=PUBLIC_STATES) | Q(state="cancelled", notice_published_at__isnull=False)


async def get_public_round(round_id: int) -> CommendationRound:
    """A round the public may see: only once its list is on notice (or later)."""
    found = await CommendationRound.filter(_public_filter(), id=round_id).first()
    if found is None:
        raise NotFound(_("表彰轮次不存在或尚未公示。"), field="round_id")
    return found


async def list_rounds(*, public: bool) -> list[CommendationRound]:
    query = CommendationRound.all()
    if public:
        query = query.filter(_public_filter())
    return list(await query.order_by("-first_year", "-id"))


async def categories_of(round_id: int) -> list[RoundCategory]:
    return list(await RoundCategory.filter(round_id=round_id).order_by("id"))


def category_spec(category: RoundCategory) -> CategorySpec:
    return CategorySpec(
        award_type=AwardType(category.award_type),
        scope=Scope(category.scope),
        quota=category.quota,
        criteria=Criteria(
            min_confirmed_money_fen=category.min_confirmed_money_fen,
            min_completed_needs=category.min_completed_needs,
            min_villages_reached=category.min_villages_reached,
            min_honour_rate_bp=category.min_honour_rate_bp,
        ),
    )


def category_label(category: RoundCategory | CategorySpec) -> str:
    return (
        _(AWARD_TYPE_LABELS[AwardType(category.award_type)])
        + "（"
        + _(SCOPE_LABELS[Scope(category.scope)])
        + "）"
    )


# --- creating a round and editing its categories ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CategoryInput:
    award_type: str
    scope: str
    quota: int
    min_confirmed_money_fen: int = 0
    min_completed_needs: int = 0
    min_villages_reached: int = 0
    min_honour_rate_bp: int = 0


def has_control(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def clean_text(value: Any, *, field: str, max_length: int) -> str:
    """Trimmed text without control characters other than newlines and tabs (PostgreSQL
    refuses NUL, and nothing else of the kind belongs in a title or an objection)."""
    text = (value if isinstance(value, str) else "").strip()
    if has_control(text):
        raise InvalidInput(_("包含不允许的控制字符。"), field=field, code="control_characters")
    if len(text) > max_length:
        raise InvalidInput(_("不超过 %(n)s 字。", n=max_length), field=field, code="too_long")
    return text


def _spec_of(item: CategoryInput, index: int) -> CategorySpec:
    prefix = f"categories[{index}]"
    try:
        award_type = AwardType(item.award_type)
    except ValueError:
        raise InvalidInput(_("未知的奖项类别。"), field=f"{prefix}.award_type") from None
    try:
        scope = Scope(item.scope)
    except ValueError:
        raise InvalidInput(_("请选择集体或个人。"), field=f"{prefix}.scope") from None
    for name, limit in CATEGORY_LIMITS.items():
        if abs(getattr(item, name)) > limit:
            raise InvalidInput(
                _("数值超出范围（不超过 %(max)s）。", max=limit),
                field=f"{prefix}.{name}",
                code="out_of_range",
            )
    if item.quota <= 0:
        raise CommendationRuleError(
            "quota_not_positive", field=f"{prefix}.quota", category=f"{award_type}_{scope}"
        )
    try:
        criteria = Criteria(
            min_confirmed_money_fen=item.min_confirmed_money_fen,
            min_completed_needs=item.min_completed_needs,
            min_villages_reached=item.min_villages_reached,
            min_honour_rate_bp=item.min_honour_rate_bp,
        )
    except CommendationRuleError as exc:
        exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
        raise
    return CategorySpec(award_type=award_type, scope=scope, quota=item.quota, criteria=criteria)


def _check_year_value(value: int, field: str) -> int:
    if not EARLIEST_WINDOW_YEAR <= value <= LATEST_WINDOW_YEAR:
        raise InvalidInput(
            _(
                "年份应在 %(first)s 至 %(last)s 之间。",
                first=EARLIEST_WINDOW_YEAR,
                last=LATEST_WINDOW_YEAR,
            ),
            field=field,
            code="year_out_of_range",
        )
    return value


def _check_notice_days(value: int) -> int:
    if not 1 <= value <= MAX_NOTICE_WORKING_DAYS:
        raise InvalidInput(
            _(
                "公示期应为 1 至 %(max)s 个工作日（实践中通常为 5 个工作日）。",
                max=MAX_NOTICE_WORKING_DAYS,
            ),
            field="notice_working_days",
            code="notice_days_out_of_range",
        )
    return value


async def _overlapping_round(years: Collection[int], *, exclude: int | None = None) -> str | None:
    query = CommendationRoundYear.filter(year__in=list(years))
    if exclude is not None:
        query = query.exclude(round_id=exclude)
    clash = await query.order_by("year").first()
    if clash is None:
        return None
    other = await CommendationRound.get(id=clash.round_id)
    return f"{other.title}（{other.first_year}–{other.last_year}）"


def _overlap_error(other: str) -> InvalidInput:
    return InvalidInput(
        _("表彰周期与已有的表彰轮次重叠：%(other)s。每个年度只能属于一个表彰轮次。", other=other),
        field="first_year",
        code="window_overlaps",
    )


async def create_round(
    *,
    actor: Actor | None,
    title: str,
    first_year: int,
    last_year: int,
    categories: Sequence[CategoryInput],
    notice_working_days: int = 5,
    objection_channel: str = "",
    system: bool = False,
    is_demo: bool = False,
) -> CommendationRound:
    """Open a round for a five-calendar-year window. Refused, with nothing written: a window
    that is not five calendar years, one that overlaps another round's, a quota of zero, a
    category no participant kind belongs to, a duplicate category."""
    require_manage(actor, system=system)
    title = clean_text(title, field="title", max_length=ROUND_TITLE_MAX)
    if not title:
        raise InvalidInput(_(TITLE_REQUIRED), field="title", code="required")
    first = _check_year_value(first_year, "first_year")
    last = _check_year_value(last_year, "last_year")
    if last < first:
        raise InvalidInput(_("结束年度不能早于开始年度。"), field="last_year")
    days = _check_notice_days(notice_working_days)
    channel = clean_text(
        objection_channel, field="objection_channel", max_length=OBJECTION_CHANNEL_MAX
    )
    specs = [_spec_of(item, index) for index, item in enumerate(categories)]
    spec = validate_round(
        window_start=date(first, 1, 1), window_end=date(last, 12, 31), categories=specs
    )
    years = list(range(first, last + 1))
    other = await _overlapping_round(years)
    if other is not None:
        raise _overlap_error(other)
    try:
        async with transaction():
            created = await CommendationRound.create(
                title=title,
                first_year=first,
                last_year=last,
                window_start=spec.window_start,
                window_end=spec.window_end,
                notice_working_days=days,
                objection_channel=channel,
                created_by_id=actor.user_id if actor else None,
                is_demo=is_demo,
            )
            for year in years:
                await CommendationRoundYear.create(round_id=created.id, year=year)
            for category in spec.categories:
                await _create_category(created.id, category)
            await audit.record(
                actor=actor,
                action="commendation.round.create",
                object_type="commendation_round",
                object_id=created.id,
                after={
                    "title": title,
                    "first_year": first,
                    "last_year": last,
                    "notice_working_days": days,
                    "categories": [_category_snapshot(c) for c in spec.categories],
                },
            )
    except IntegrityError:
        # A concurrent round claimed one of the years between the check and the insert.
        raise _overlap_error(await _overlapping_round(years) or "?") from None
    return created


def _category_snapshot(category: CategorySpec) -> dict[str, Any]:
    return {
        "award_type": category.award_type.value,
        "scope": category.scope.value,
        "quota": category.quota,
        "min_confirmed_money_fen": category.criteria.min_confirmed_money_fen,
        "min_completed_needs": category.criteria.min_completed_needs,
        "min_villages_reached": category.criteria.min_villages_reached,
        "min_honour_rate_bp": category.criteria.min_honour_rate_bp,
    }


async def _create_category(round_id: int, category: CategorySpec) -> RoundCategory:
    return await RoundCategory.create(round_id=round_id, **_category_snapshot(category))


async def locked_round(round_id: int) -> CommendationRound:
    found = await CommendationRound.filter(id=round_id).select_for_update().first()
    if found is None:
        raise NotFound(_("表彰轮次不存在。"), field="round_id")
    return found


async def save_category(
    *,
    actor: Actor | None,
    round_id: int,
    category: CategoryInput,
    system: bool = False,
) -> RoundCategory:
    """Add a category to a draft round, or change the quota and criteria of an existing one
    (same award line and scope)."""
    require_manage(actor, system=system)
    spec = _spec_of(category, 0)
    async with transaction():
        found = await locked_round(round_id)
        ROUND_MACHINE.check(found.state, "edit_categories")
        existing = await categories_of(found.id)
        others = [
            category_spec(c)
            for c in existing
            if (c.award_type, c.scope) != (spec.award_type.value, spec.scope.value)
        ]
        validate_round(
            window_start=found.window_start, window_end=found.window_end, categories=[*others, spec]
        )
        row = next(
            (
                c
                for c in existing
                if (c.award_type, c.scope) == (spec.award_type.value, spec.scope.value)
            ),
            None,
        )
        before = None
        if row is None:
            row = await _create_category(found.id, spec)
        else:
            before = _category_snapshot(category_spec(row))
            for key, value in _category_snapshot(spec).items():
                setattr(row, key, value)
            await row.save()
        await audit.record(
            actor=actor,
            action="commendation.category.save",
            object_type="commendation_round",
            object_id=found.id,
            before=before,
            after=_category_snapshot(spec),
        )
    return row


async def remove_category(
    *, actor: Actor | None, round_id: int, category_id: int, system: bool = False
) -> None:
    require_manage(actor, system=system)
    async with transaction():
        found = await locked_round(round_id)
        ROUND_MACHINE.check(found.state, "edit_categories")
        row = await RoundCategory.get_or_none(id=category_id, round_id=found.id)
        if row is None:
            raise NotFound(_("类别不存在。"), field="category_id")
        if await RoundCategory.filter(round_id=found.id).count() <= 1:
            raise CommendationRuleError("no_categories", field="categories")
        before = _category_snapshot(category_spec(row))
        await row.delete()
        await audit.record(
            actor=actor,
            action="commendation.category.remove",
            object_type="commendation_round",
            object_id=found.id,
            before=before,
        )


# --- getting out of a round that cannot go on -------------------------------------------------


async def reopen_round(
    *, actor: Actor | None, round_id: int, system: bool = False
) -> CommendationRound:
    """Back to editing before the notice (nominations → draft): the ranking is dropped — it
    was never public — so categories, quotas and criteria can change and the round be ranked
    again. A round whose ranking found no qualifying candidate is not a dead end."""
    require_manage(actor, system=system)
    async with transaction():
        found = await locked_round(round_id)
        found.state = ROUND_MACHINE.check(found.state, "reopen").to
        dropped = await Nomination.filter(round_id=found.id).count()
        await Nomination.filter(round_id=found.id).delete()
        found.ranked_at = None
        await found.save(update_fields=["state", "ranked_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.reopen",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "nominations", "nominations": dropped},
            after={"state": found.state},
        )
    return found


async def cancel_round(
    *, actor: Actor | None, round_id: int, reason: str, system: bool = False
) -> CommendationRound:
    """End a round before its final list, with a written reason (audited). Its years are freed
    for another round; the round itself, its ranking and any objections stay on record, shown
    as cancelled (publicly too if its list had been on notice)."""
    require_manage(actor, system=system)
    text = clean_text(reason, field="reason", max_length=CANCEL_REASON_MAX)
    if not text:
        raise InvalidInput(_(CANCEL_REASON_REQUIRED), field="reason", code="required")
    async with transaction():
        found = await locked_round(round_id)
        before = found.state
        found.state = ROUND_MACHINE.check(found.state, "cancel").to
        found.cancelled_at = clock.now()
        found.cancel_reason = text
        await found.save(update_fields=["state", "cancelled_at", "cancel_reason"])
        await CommendationRoundYear.filter(round_id=found.id).delete()
        open_objections = await Objection.filter(round_id=found.id, state="open").count()
        await audit.record(
            actor=actor,
            action="commendation.round.cancel",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": before},
            after={
                "state": found.state,
                "reason": text,
                "freed_years": list(range(found.first_year, found.last_year + 1)),
                "open_objections": open_objections,
            },
        )
    return found
