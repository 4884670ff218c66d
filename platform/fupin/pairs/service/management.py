"""Managing cooperation pairs: add, end, re-draw, and the history of every pair.

Pairs were re-drawn nationally in 2016 and 2021 (docs/domain.md §3.3): a re-drawn pair is a new row that
``replaces`` the old one, which ends the year before, so history stays readable year by year.
Every change writes its audit row and a ``PairEvent`` in the same transaction; every check runs
before the first write, so refused input leaves nothing behind ("bad input"). The
yearly targets and reported figures are ``fupin.pairs.service.figures``.

The API and the HTML forms hand these functions values their schemas have checked
(``fupin.pairs.schemas``); the checks here are the domain's own, and they also take the text the
command line and the tests pass.

Who: ``pair.manage`` — the national office anywhere, a provincial office for pairs whose helped
region lies in its province (scope by province code).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.expressions import Q

from fupin.accounts.models import HELPER_KINDS, PAIR_KINDS, Pair, Participant
from fupin.core import audit
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, Scope, require
from fupin.db import transaction
from fupin.errors import Conflict, FieldError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.pairs.models import PairEvent, PairYear
from fupin.pairs.rules.terms import FIRST_PAIR_YEAR, HELPED_LEVELS, LAST_YEAR, NOTE_MAX
from fupin.regions.models import Region

_PAIR_FIELDS = (
    "kind",
    "helper_id",
    "helped_region_id",
    "start_year",
    "end_year",
    "period",
    "replaces_id",
    "note",
)


def pair_scope(pair: Pair, region: Region | None = None) -> Scope:
    """Where a pair lies for permission checks: its helped region and its helper."""
    helped = region or pair.helped_region
    county = helped.county_code or (helped.code if helped.level == "county" else "")
    return Scope(
        region_code=helped.code,
        county_code=county,
        province_code=helped.province_code or helped.code,
        participant_id=pair.helper_id,
    )


def last_year(pair: Pair, today: date | None = None) -> int:
    """Last year figures may be recorded for: the end year, or next year for a pair in force
    (the next annual agreement is signed before the year starts)."""
    if pair.end_year is not None:
        return pair.end_year
    return (today or today_cn()).year + 1


def years_of(pair: Pair, today: date | None = None) -> list[int]:
    """The pair's years up to this year, newest first (for year pickers)."""
    this_year = (today or today_cn()).year
    end = min(last_year(pair, today), this_year) if pair.end_year is None else pair.end_year
    return list(range(end, pair.start_year - 1, -1))


def parse_year(
    raw: Any, field: str, errors: list[FieldError], *, required: bool = True
) -> int | None:
    """A year given as an int or text, inside [FIRST_PAIR_YEAR, LAST_YEAR]; a problem is added
    to ``errors`` naming ``field``."""
    if raw in (None, ""):
        if required:
            errors.append(FieldError(field, _("请填写年份。"), "required"))
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors.append(FieldError(field, _("年份必须是整数。")))
        return None
    if not FIRST_PAIR_YEAR <= value <= LAST_YEAR:
        errors.append(
            FieldError(
                field,
                _("年份须在 %(a)d–%(b)d 之间。", a=FIRST_PAIR_YEAR, b=LAST_YEAR),
                "out_of_range",
            )
        )
        return None
    return value


def _check_text(value: Any, field: str, errors: list[FieldError]) -> None:
    if value is not None and len(str(value)) > NOTE_MAX:
        errors.append(FieldError(field, _("内容过长（最多 %(n)d 字）。", n=NOTE_MAX), "too_long"))


async def get_pair_for_update(pair_id: int) -> Pair:
    pair = await Pair.get_or_none(id=pair_id).prefetch_related("helper", "helped_region")
    if pair is None:
        raise NotFound(_("结对关系不存在。"), field="pair")
    return pair


async def _overlapping(
    *, kind: str, helper_id: int, region_code: str, start: int, end: int | None, exclude: int | None
) -> Pair | None:
    """A pair of the same helper and helped region whose years meet [start, end]."""
    query = Pair.filter(kind=kind, helper_id=helper_id, helped_region_id=region_code)
    if exclude is not None:
        query = query.exclude(id=exclude)
    query = query.filter(Q(end_year__isnull=True) | Q(end_year__gte=start))
    if end is not None:
        query = query.filter(start_year__lte=end)
    return await query.order_by("start_year").first()


def _overlap_error(other: Pair) -> InvalidInput:
    return InvalidInput(
        _(
            "与已有的结对关系 #%(id)d（%(a)d–%(b)s）年份重叠：同一帮扶方与同一地区的结对不能重叠。",
            id=other.id,
            a=other.start_year,
            b=str(other.end_year) if other.end_year else _("至今"),
        ),
        field="start_year",
        code="overlap",
    )


async def _lock_helper(helper_id: int) -> None:
    await Participant.filter(id=helper_id).select_for_update().first()


async def _locked_pair(pair_id: int) -> Pair:
    pair = await Pair.filter(id=pair_id).select_for_update().first()
    if pair is None:
        raise NotFound(_("结对关系不存在。"), field="pair")
    return pair


async def record_event(
    *,
    pair: Pair,
    action: str,
    actor: Actor | None,
    year: int | None = None,
    other: Pair | None = None,
    detail: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    await PairEvent.create(
        pair_id=pair.id,
        action=action,
        other_pair_id=other.id if other else None,
        year=year,
        detail=audit._jsonable(detail or {}),
        reason=reason,
        actor_id=actor.user_id if actor else None,
        actor_label=actor.username if actor else "system",
    )


async def _check_new_pair(
    *,
    kind: str,
    helper_id: Any,
    region_code: str,
    start_raw: Any,
    end_raw: Any,
    errors: list[FieldError],
) -> tuple[Participant | None, Region | None, int | None, int | None]:
    if kind not in PAIR_KINDS:
        errors.append(FieldError("kind", _("未知的结对类型。")))
    helper: Participant | None = None
    try:
        helper_pk = int(str(helper_id).strip())
    except (TypeError, ValueError):
        helper_pk = None
    if helper_pk is None:
        errors.append(FieldError("helper_id", _("请选择帮扶方（参与方编号）。"), "required"))
    else:
        helper = await Participant.get_or_none(id=helper_pk)
        if helper is None:
            errors.append(FieldError("helper_id", _("帮扶方（参与方）不存在。")))
        elif kind in HELPER_KINDS and helper.kind not in HELPER_KINDS[kind]:
            errors.append(
                FieldError(
                    "helper_id",
                    _(
                        "帮扶方类型不符：东西部协作的帮扶方须为东部协作方，定点帮扶须为中央单位或民主党派、工商联。"
                    ),
                )
            )
    region: Region | None = None
    region_code = (region_code or "").strip()
    if not region_code:
        errors.append(FieldError("helped_region_code", _("请填写被帮扶地区代码。"), "required"))
    else:
        region = await Region.get_or_none(code=region_code)
        if region is None:
            errors.append(
                FieldError("helped_region_code", _("地区代码不存在：%(code)s", code=region_code))
            )
        elif region.level not in HELPED_LEVELS:
            errors.append(FieldError("helped_region_code", _("被帮扶地区须为省、市（州）或县。")))
    start = parse_year(start_raw, "start_year", errors)
    end = parse_year(end_raw, "end_year", errors, required=False)
    if start is not None and end is not None and end < start:
        errors.append(FieldError("end_year", _("结束年份不能早于开始年份。"), "out_of_range"))
    return helper, region, start, end


async def add_pair(
    *,
    actor: Actor,
    kind: str,
    helper_id: Any,
    helped_region_code: str,
    start_year: Any,
    end_year: Any = None,
    period: str = "",
    note: str = "",
    source: str = "",
) -> Pair:
    """Add a pair the office has agreed (e.g. a new county-to-county pairing)."""
    require(actor, "pair.manage")
    errors: list[FieldError] = []
    helper, region, start, end = await _check_new_pair(
        kind=kind,
        helper_id=helper_id,
        region_code=helped_region_code,
        start_raw=start_year,
        end_raw=end_year,
        errors=errors,
    )
    _check_text(note, "note", errors)
    if errors:
        raise InvalidInput(errors=errors)
    assert helper is not None and region is not None and start is not None
    probe = Pair(kind=kind, helper_id=helper.id, helped_region_id=region.code)
    require(actor, "pair.manage", pair_scope(probe, region))
    async with transaction():
        # Serialise changes to one helper's pairs, so two offices adding the same pair at
        # once cannot both pass the overlap check (SQLite: BEGIN IMMEDIATE does the same).
        await _lock_helper(helper.id)
        other = await _overlapping(
            kind=kind,
            helper_id=helper.id,
            region_code=region.code,
            start=start,
            end=end,
            exclude=None,
        )
        if other is not None:
            raise _overlap_error(other)
        pair = await Pair.create(
            kind=kind,
            helper_id=helper.id,
            helped_region_id=region.code,
            start_year=start,
            end_year=end,
            period=(period or "").strip()[:16],
            note=(note or "").strip(),
            source=(source or "").strip(),
            verification="office",
        )
        after = audit.snapshot(pair, _PAIR_FIELDS)
        await audit.record(
            actor=actor, action="pair.add", object_type="pair", object_id=pair.id, after=after
        )
        await record_event(pair=pair, action="add", actor=actor, year=start, detail=after)
    return pair


async def _figures_after(pair_id: int, year: int) -> list[int]:
    """Years after ``year`` for which figures are recorded (ending the pair would orphan them)."""
    rows = (
        await PairYear.filter(pair_id=pair_id, year__gt=year)
        .order_by("year")
        .values_list("year", flat=True)
    )
    return list(rows)


async def end_pair(*, actor: Actor, pair_id: int, end_year: Any, reason: str = "") -> Pair:
    """End a pair in force: its last year becomes ``end_year``."""
    pair = await get_pair_for_update(pair_id)
    require(actor, "pair.manage", pair_scope(pair))
    errors: list[FieldError] = []
    end = parse_year(end_year, "end_year", errors)
    _check_text(reason, "reason", errors)
    if errors:
        raise InvalidInput(errors=errors)
    assert end is not None
    if end < pair.start_year:
        raise InvalidInput(
            _("结束年份不能早于开始年份 %(y)d。", y=pair.start_year),
            field="end_year",
            code="out_of_range",
        )
    async with transaction():
        fresh = await _locked_pair(pair.id)
        if fresh.end_year is not None:
            raise Conflict(_("该结对已于 %(y)d 年结束。", y=fresh.end_year), field="end_year")
        later = await _figures_after(pair.id, end)
        if later:
            raise InvalidInput(
                _(
                    "%(years)s 年已有目标或报告数，结束年份不能早于这些年份。",
                    years="、".join(map(str, later)),
                ),
                field="end_year",
                code="has_figures",
            )
        before = audit.snapshot(fresh, _PAIR_FIELDS)
        fresh.end_year = end
        await fresh.save(update_fields=["end_year"])
        after = audit.snapshot(fresh, _PAIR_FIELDS)
        await audit.record(
            actor=actor,
            action="pair.end",
            object_type="pair",
            object_id=pair.id,
            before=before,
            after=after,
        )
        await record_event(
            pair=fresh, action="end", actor=actor, year=end, reason=(reason or "").strip()
        )
    pair.end_year = end
    return pair


async def redraw_pair(
    *,
    actor: Actor,
    pair_id: int,
    start_year: Any,
    helper_id: Any = None,
    helped_region_code: str | None = None,
    end_year: Any = None,
    period: str = "",
    reason: str = "",
) -> Pair:
    """Re-draw a pair from ``start_year``: the old pair ends the year before and a new pair
    (same or another helper / helped region) replaces it, keeping the link between them.

    A re-drawn pair may not overlap itself: when helper and helped region stay the same, the
    new years must all lie after the old pair's last year.
    """
    old = await get_pair_for_update(pair_id)
    require(actor, "pair.manage", pair_scope(old))
    errors: list[FieldError] = []
    helper, region, start, end = await _check_new_pair(
        kind=old.kind,
        helper_id=helper_id if helper_id not in (None, "") else old.helper_id,
        region_code=helped_region_code or old.helped_region_id,
        start_raw=start_year,
        end_raw=end_year,
        errors=errors,
    )
    _check_text(reason, "reason", errors)
    if errors:
        raise InvalidInput(errors=errors)
    assert helper is not None and region is not None and start is not None
    if start <= old.start_year:
        raise InvalidInput(
            _("重新结对的开始年份须晚于原结对的开始年份 %(y)d。", y=old.start_year),
            field="start_year",
            code="overlap",
        )
    same = helper.id == old.helper_id and region.code == old.helped_region_id
    if old.end_year is not None and old.end_year >= start:
        raise InvalidInput(
            _(
                "原结对 #%(id)d 至 %(y)d 年仍在执行，新的结对从 %(s)d 年开始会与它重叠。",
                id=old.id,
                y=old.end_year,
                s=start,
            ),
            field="start_year",
            code="overlap",
        )
    require(actor, "pair.manage", pair_scope(Pair(kind=old.kind, helper_id=helper.id), region))
    async with transaction():
        await _lock_helper(helper.id)
        fresh = await _locked_pair(old.id)
        if await Pair.exists(replaces_id=old.id):
            raise Conflict(_("该结对已经重新结对过，请在接替它的结对上操作。"), field="pair")
        if fresh.end_year is not None and fresh.end_year >= start:
            raise _overlap_error(fresh)
        later = await _figures_after(old.id, start - 1)
        if later:
            raise InvalidInput(
                _(
                    "原结对在 %(years)s 年已有目标或报告数，重新结对须从这些年份之后开始。",
                    years="、".join(map(str, later)),
                ),
                field="start_year",
                code="has_figures",
            )
        before = audit.snapshot(fresh, _PAIR_FIELDS)
        if fresh.end_year is None:
            fresh.end_year = start - 1
            await fresh.save(update_fields=["end_year"])
        other = await _overlapping(
            kind=old.kind,
            helper_id=helper.id,
            region_code=region.code,
            start=start,
            end=end,
            exclude=None,
        )
        if other is not None:
            raise _overlap_error(other)
        new = await Pair.create(
            kind=old.kind,
            helper_id=helper.id,
            helped_region_id=region.code,
            start_year=start,
            end_year=end,
            period=(period or "").strip()[:16],
            replaces_id=old.id,
            source=fresh.source,
            verification="office",
            note=(reason or "").strip(),
        )
        after_new = audit.snapshot(new, _PAIR_FIELDS)
        await audit.record(
            actor=actor,
            action="pair.redraw",
            object_type="pair",
            object_id=old.id,
            before=before,
            after={
                **audit.snapshot(fresh, _PAIR_FIELDS),
                "replaced_by": new.id,
                "same_parties": same,
            },
        )
        await audit.record(
            actor=actor, action="pair.add", object_type="pair", object_id=new.id, after=after_new
        )
        await record_event(
            pair=fresh,
            action="replaced",
            actor=actor,
            year=fresh.end_year,
            other=new,
            reason=(reason or "").strip(),
        )
        await record_event(
            pair=new,
            action="redraw",
            actor=actor,
            year=start,
            other=fresh,
            detail=after_new,
            reason=(reason or "").strip(),
        )
    return new


async def pair_history(pair_id: int) -> list[PairEvent]:
    """Events of a pair and of the pairs it replaced, oldest first."""
    ids = [pair_id]
    seen = {pair_id}
    current = await Pair.get_or_none(id=pair_id)
    while (
        current is not None
        and current.replaces_id
        and current.replaces_id not in seen
        and len(ids) < 50
    ):
        ids.append(current.replaces_id)
        seen.add(current.replaces_id)
        current = await Pair.get_or_none(id=current.replaces_id)
    return await PairEvent.filter(pair_id__in=ids).order_by("at", "id").prefetch_related("pair")
