"""The public notice (公示) and the objections to it (docs/rules.md §5.1).

* **publish notice** (nominations → notice): the nominee list is public for N working days
  (``notice_end`` is the last day, counted with the PRC holiday table); during those days anyone
  may file a real-name objection;
* **resolve**: the office upholds or dismisses each objection with a written resolution; an
  upheld objection takes the nominee off the list. The next reserve is **not** promoted: a name
  that was never on public notice cannot be awarded (a new notice would be needed).
"""

from __future__ import annotations

from datetime import date, timedelta

from fupin.commendation.models import (
    OBJECTION_CONTENT_MAX,
    OBJECTION_CONTENT_MIN,
    OBJECTOR_CONTACT_MAX,
    OBJECTOR_NAME_MAX,
    RESOLUTION_MAX,
    CommendationRound,
    Nomination,
    Objection,
)
from fupin.commendation.rules.calendar import (
    PRC_HOLIDAYS,
    PRC_MAKEUP_WORKDAYS,
    notice_period_end,
    prc_calendar_covers,
)
from fupin.commendation.rules.rounds import (
    NOMINATION_REQUIRED,
    OBJECTION_CONTENT_REQUIRED,
    OBJECTOR_CONTACT_REQUIRED,
    OBJECTOR_NAME_REQUIRED,
    RESOLUTION_REQUIRED,
    ROUND_MACHINE,
)
from fupin.commendation.service.rounds import (
    PUBLIC_STATES,
    clean_text,
    has_control,
    locked_round,
    require_manage,
)
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    RateLimited,
    RuleViolation,
)
from fupin.i18n import _
from fupin.notify.service.inbox import notify_participant


async def publish_notice(
    *,
    actor: Actor | None,
    round_id: int,
    start: date | None = None,
    today: date | None = None,
    system: bool = False,
) -> CommendationRound:
    """Put the nominee list on public notice from ``start`` (default today) for the round's
    number of working days (PRC holiday table; weekends only where the table has no data)."""
    require_manage(actor, system=system)
    today = today or today_cn()
    start = start or today
    if start < today:
        raise InvalidInput(_("公示开始日期不能早于今天。"), field="notice_start", code="in_past")
    if (start - today).days > 366:
        raise InvalidInput(_("公示开始日期过远。"), field="notice_start", code="too_far")
    async with transaction():
        found = await locked_round(round_id)
        noticed = ROUND_MACHINE.check(found.state, "publish_notice")
        if not await Nomination.exists(round_id=found.id, status="nominee"):
            raise RuleViolation(_("没有推荐对象，不能公示。"), code="no_nominees", field="round_id")
        end = notice_period_end(
            start=start,
            working_days=found.notice_working_days,
            holidays=PRC_HOLIDAYS,
            makeup_workdays=PRC_MAKEUP_WORKDAYS,
        )
        note = ""
        if not prc_calendar_covers(start, end):
            note = _(
                "公示期所在年份的法定节假日安排不在系统节假日表中，仅按周末计算工作日；"
                "请核对截止日期。"
            )
        found.state = noticed.to
        found.notice_start = start
        found.notice_end = end
        found.notice_calendar_note = note
        found.notice_published_at = clock.now()
        await found.save(
            update_fields=[
                "state",
                "notice_start",
                "notice_end",
                "notice_calendar_note",
                "notice_published_at",
            ]
        )
        await audit.record(
            actor=actor,
            action="commendation.round.notice",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "nominations"},
            after={"state": found.state, "notice_start": start, "notice_end": end},
        )
        nominees = await Nomination.filter(round_id=found.id, status="nominee").values_list(
            "participant_id", "public_name"
        )
        for participant_id, public_name in nominees:
            await notify_participant(
                participant_id,
                "commendation_notice",
                params={
                    "participant": public_name,
                    "round": found.title,
                    "notice_start": start.isoformat(),
                    "notice_end": end.isoformat(),
                },
                link=f"/commendation/{found.id}",
                dedupe_key=f"commendation_notice:{found.id}:{participant_id}",
            )
    return found


def notice_open(found: CommendationRound, today: date) -> bool:
    return (
        found.state == "notice"
        and found.notice_start is not None
        and found.notice_end is not None
        and found.notice_start <= today <= found.notice_end
    )


async def file_objection(
    *,
    round_id: int,
    nomination_id: int | None,
    name: str,
    contact: str,
    content: str,
    source: str = "",
    today: date | None = None,
) -> Objection:
    """A public, real-name objection to a nominee, accepted only during the notice period.
    Refused with nothing written before or after the period, or against a name not on notice.

    ``source`` is a keyed hash of the sender's address (the web layer makes it); with the
    contact it bounds how many objections one sender files per round per day, so the office's
    inbox cannot be flooded while every genuine objector is still heard."""
    today = today or today_cn()
    found = await CommendationRound.get_or_none(id=round_id)
    if found is None or found.state not in PUBLIC_STATES:
        raise NotFound(_("表彰轮次不存在或尚未公示。"), field="round_id")
    _check_objection_period(found, today)
    errors = _objection_errors(nomination_id, name, contact, content)
    if errors:
        raise errors
    assert nomination_id is not None
    async with transaction():
        locked = await locked_round(round_id)
        _check_objection_period(locked, today)
        await _check_objection_flood(round_id, source=source, contact=contact.strip())
        nomination = await Nomination.get_or_none(id=nomination_id, round_id=round_id)
        if nomination is None or nomination.status != "nominee":
            raise InvalidInput(
                _("请选择公示名单中的推荐对象。"), field="nomination_id", code="not_on_notice"
            )
        objection = await Objection.create(
            round_id=round_id,
            nomination_id=nomination.id,
            name=name.strip(),
            contact=contact.strip(),
            content=content.strip(),
            source_hash=source,
        )
        # The objector's name and contact are personal data: the audit row keeps lengths only.
        await audit.record(
            actor=None,
            actor_label="public",
            action="commendation.objection.file",
            object_type="commendation_objection",
            object_id=objection.id,
            after={"round_id": round_id, "nomination_id": nomination.id},
        )
    return objection


#: At most this many objections per round from one sender (address or contact) in
#: OBJECTION_WINDOW: enough for anyone with real concerns about several nominees, too few to flood.
OBJECTION_LIMIT = 10
OBJECTION_WINDOW = timedelta(hours=24)


async def _check_objection_flood(round_id: int, *, source: str, contact: str) -> None:
    """Refuse (HTTP 429) a sender past OBJECTION_LIMIT. Runs under the round's lock, so racing
    submissions from one sender cannot each slip under the limit."""
    since = clock.now() - OBJECTION_WINDOW
    recent = Objection.filter(round_id=round_id, submitted_at__gte=since)
    by_contact = await recent.filter(contact=contact).count()
    by_source = await recent.filter(source_hash=source).count() if source else 0
    if max(by_contact, by_source) >= OBJECTION_LIMIT:
        raise RateLimited(
            _(
                "同一来源 24 小时内对本轮表彰最多提交 %(limit)d 条异议；"
                "如有更多情况，请在已提交的异议中补充或通过公示所列渠道反映。",
                limit=OBJECTION_LIMIT,
            ),
            code="objection_rate_limited",
        )


def _check_objection_period(found: CommendationRound, today: date) -> None:
    if found.state != "notice" or found.notice_end is None or found.notice_start is None:
        raise RuleViolation(
            _("本轮表彰不在公示期内，不再受理异议。"), code="objection_period_closed"
        )
    if today > found.notice_end:
        raise RuleViolation(
            _(
                "公示期已于 %(end)s 结束，不再受理异议。",
                end=found.notice_end.isoformat(),
            ),
            code="objection_period_closed",
        )
    if today < found.notice_start:
        raise RuleViolation(
            _("公示期自 %(start)s 开始，届时方可提出异议。", start=found.notice_start.isoformat()),
            code="objection_period_not_open",
        )


def _objection_errors(
    nomination_id: int | None, name: str, contact: str, content: str
) -> InvalidInput | None:
    errors: list[FieldError] = []
    if nomination_id is None or not 0 < nomination_id < 2**31:
        errors.append(FieldError("nomination_id", _(NOMINATION_REQUIRED), "required"))
    for field_name, text in (("name", name), ("contact", contact), ("content", content)):
        if has_control(text or ""):
            errors.append(FieldError(field_name, _("包含不允许的控制字符。"), "control_characters"))
    name, contact, content = ((text or "").strip() for text in (name, contact, content))
    if not name or len(name) > OBJECTOR_NAME_MAX:
        errors.append(FieldError("name", _(OBJECTOR_NAME_REQUIRED), "required"))
    if not contact or len(contact) > OBJECTOR_CONTACT_MAX:
        errors.append(FieldError("contact", _(OBJECTOR_CONTACT_REQUIRED), "required"))
    if not OBJECTION_CONTENT_MIN <= len(content) <= OBJECTION_CONTENT_MAX:
        errors.append(FieldError("content", _(OBJECTION_CONTENT_REQUIRED), "required"))
    if errors:
        return InvalidInput(errors=errors, code=errors[0].code)
    return None


async def list_objections(round_id: int) -> list[Objection]:
    return list(
        await Objection.filter(round_id=round_id)
        .order_by("id")
        .prefetch_related("nomination", "resolved_by")
    )


async def resolve_objection(
    *,
    actor: Actor | None,
    objection_id: int,
    upheld: bool,
    resolution: str,
    system: bool = False,
) -> Objection:
    """Record the office's finding; an upheld objection removes the nominee from the list."""
    require_manage(actor, system=system)
    text = clean_text(resolution, field="resolution", max_length=RESOLUTION_MAX)
    if len(text) < 2:
        raise InvalidInput(_(RESOLUTION_REQUIRED), field="resolution", code="required")
    async with transaction():
        objection = await Objection.filter(id=objection_id).select_for_update().first()
        if objection is None:
            raise NotFound(_("异议不存在。"), field="objection_id")
        found = await locked_round(objection.round_id)
        ROUND_MACHINE.check(found.state, "resolve_objection")
        if objection.state != "open":
            raise RuleViolation(_("该异议已处理。"), code="already_resolved")
        objection.state = "upheld" if upheld else "dismissed"
        objection.resolution = text
        objection.resolved_by_id = actor.user_id if actor else None
        objection.resolved_at = clock.now()
        await objection.save(update_fields=["state", "resolution", "resolved_by_id", "resolved_at"])
        if upheld:
            await Nomination.filter(id=objection.nomination_id, status="nominee").update(
                status="removed"
            )
        await audit.record(
            actor=actor,
            action="commendation.objection.resolve",
            object_type="commendation_objection",
            object_id=objection.id,
            before={"state": "open"},
            after={"state": objection.state, "nomination_id": objection.nomination_id},
        )
    return objection
