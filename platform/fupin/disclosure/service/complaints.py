"""Complaints (举报): filing (named or anonymous, by anyone, or as a supervisor's observation),
following by tracking code, handling by the office it is routed to, escalation when overdue,
and the public statistics (docs/domain.md §3.10).

Nothing of a refused complaint is written: the text, the files and the abuse limits are all
checked before the first row. The complainant's name and contact are read only by the office
handling the complaint (``contact_visible``); the audit rows keep no personal data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fupin.commendation.rules.calendar import PRC_HOLIDAYS, PRC_MAKEUP_WORKDAYS, add_working_days
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, Scope, can, require
from fupin.core.sql import dialect
from fupin.core.sql import rows as sql_rows
from fupin.db import transaction
from fupin.disclosure.models import (
    COMPLAINANT_CONTACT_MAX,
    COMPLAINANT_NAME_MAX,
    COMPLAINT_CONTENT_MAX,
    COMPLAINT_CONTENT_MIN,
    HANDLING_TEXT_MAX,
    REASON_MAX,
    TRACKING_CODE_LENGTH,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Disclosure,
)
from fupin.disclosure.rules.complaints import (
    ACTION_LABELS,
    HANDLER_ROLE,
    HANDLING_WORKING_DAYS,
    LEVEL_LABELS,
    MACHINE,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    OPEN_STATES,
    OUTCOMES,
    SENDER_LIMIT,
    STATE_LABELS,
    SUBJECTS,
    TARGET_LIMIT,
    WINDOW_HOURS,
    Conclusion,
    first_level,
    has_control,
    has_markup,
    next_level,
)
from fupin.disclosure.rules.notices import mask_personal_data
from fupin.disclosure.service.files import Upload, check_all, store_all
from fupin.errors import (
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from fupin.i18n import _
from fupin.money.models import Donation
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.notify.service.inbox import notify
from fupin.regions.models import Region

#: Tracking codes: no 0/O, 1/I/L, so a code read over the phone is not misheard.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _i in range(TRACKING_CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[: TRACKING_CODE_LENGTH * 2]


def handling_deadline(received_on: date, working_days: int = HANDLING_WORKING_DAYS) -> date:
    """The last day to conclude: ``working_days`` working days after the day of receipt (PRC
    holiday table of the commendation calendar; weekends only for years it does not cover)."""
    return add_working_days(
        received_on, working_days, PRC_HOLIDAYS, makeup_workdays=PRC_MAKEUP_WORKDAYS
    )


@dataclass(frozen=True)
class Target:
    subject: str
    county_code: str
    province_code: str
    need_id: int | None = None
    disclosure_id: int | None = None
    donation_id: int | None = None


async def _target(subject: str, target_id: int | None, county_code: str | None) -> Target:
    if subject not in SUBJECTS:
        raise InvalidInput(_("请选择举报对象的类别。"), field="subject", code="invalid_choice")
    if subject == "county":
        county = await Region.get_or_none(code=county_code or "", level="county")
        if county is None:
            raise InvalidInput(_("请选择被举报的县。"), field="county_code", code="required")
        return Target(subject, county.code, county.province_code)
    if target_id is None or not 0 < target_id < 2**31:
        raise InvalidInput(_("请填写举报对象的编号。"), field="target_id", code="required")
    if subject == "need":
        need = await Need.get_or_none(id=target_id)
        if need is None or need.state not in (*PUBLIC_STATES, "expired"):
            raise NotFound(_("需求不存在。"), field="target_id")
        return Target(subject, need.county_code, need.province_code, need_id=need.id)
    if subject == "disclosure":
        notice = await Disclosure.get_or_none(id=target_id)
        if notice is None:
            raise NotFound(_("公告不存在。"), field="target_id")
        return Target(subject, notice.county_code, notice.province_code, disclosure_id=notice.id)
    donation = await Donation.get_or_none(id=target_id, state="confirmed").prefetch_related("need")
    if donation is None:
        raise NotFound(_("捐赠不存在。"), field="target_id")
    return Target(
        subject, donation.need.county_code, donation.need.province_code, donation_id=donation.id
    )


def _text_errors(content: str, anonymous: bool, name: str, contact: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for field_name, text in (("content", content), ("name", name), ("contact", contact)):
        if has_control(text):
            errors.append(FieldError(field_name, _("包含不允许的控制字符。"), "control_characters"))
        elif has_markup(text):
            errors.append(
                FieldError(field_name, _("请只填写文字，不要包含网页代码或脚本。"), "markup")
            )
    if not COMPLAINT_CONTENT_MIN <= len(content) <= COMPLAINT_CONTENT_MAX:
        errors.append(
            FieldError(
                "content",
                _(
                    "请写明举报的事实（%(min)d–%(max)d 字）。",
                    min=COMPLAINT_CONTENT_MIN,
                    max=COMPLAINT_CONTENT_MAX,
                ),
                "required",
            )
        )
    if len(name) > COMPLAINANT_NAME_MAX:
        errors.append(FieldError("name", _("姓名过长。"), "too_long"))
    if len(contact) > COMPLAINANT_CONTACT_MAX:
        errors.append(FieldError("contact", _("联系方式过长。"), "too_long"))
    if not anonymous:
        if not name:
            errors.append(
                FieldError("name", _("实名举报请填写姓名；也可以选择匿名举报。"), "required")
            )
        if not contact:
            errors.append(
                FieldError("contact", _("实名举报请填写联系方式，以便答复。"), "required")
            )
    return errors


async def file_complaint(
    *,
    subject: str,
    content: str,
    anonymous: bool,
    target_id: int | None = None,
    county_code: str | None = None,
    name: str = "",
    contact: str = "",
    files: list[Upload] | None = None,
    source: str = "",
    actor: Actor | None = None,
    attachments_dir: Path | None = None,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
    today: date | None = None,
) -> Complaint:
    """File a complaint; returns it with its tracking code. ``actor`` is a supervisor filing
    an observation (policy ``supervision.observe`` in the target's place); anyone else files
    as the public. ``source`` is the keyed hash of the sender's address (the web layer's)."""
    content, name, contact = (
        (text or "").replace("\r\n", "\n").strip() for text in (content, name, contact)
    )
    if anonymous:
        name = ""
    target = await _target(subject, target_id, county_code)
    origin = "public"
    if actor is not None and actor.role == "supervisor":
        require(
            actor,
            "supervision.observe",
            Scope(county_code=target.county_code, province_code=target.province_code),
        )
        origin = "supervisor"
    errors = _text_errors(content, anonymous, name, contact)
    if errors:
        raise InvalidInput(errors=errors, code=errors[0].code)
    checked = check_all(
        files or [],
        max_bytes=min(max_bytes, MAX_ATTACHMENT_BYTES),
        max_count=MAX_ATTACHMENTS,
    )
    now = clock.now()
    received_on = today or today_cn(now)
    due = handling_deadline(received_on)
    level = first_level(subject)
    async with transaction():
        # One county's complaints are filed one at a time (the county row is the lock), so
        # racing submissions from one sender cannot each slip under the limits.
        await Region.filter(code=target.county_code).select_for_update().first()
        await _check_flood(target, source=source, contact=contact, now=now)
        if checked and attachments_dir is not None:
            store_all(checked, attachments_dir)
        elif checked:
            raise ValueError("attachments_dir is needed to store files")
        complaint = await Complaint.create(
            tracking_code=await _unique_code(),
            subject=subject,
            need_id=target.need_id,
            disclosure_id=target.disclosure_id,
            donation_id=target.donation_id,
            county_code=target.county_code,
            province_code=target.province_code,
            handler_level=level,
            content=content,
            anonymous=anonymous,
            name=name,
            contact=contact,
            source_hash=source,
            origin=origin,
            filed_by_id=actor.user_id if origin == "supervisor" and actor else None,
            state="received",
            received_at=now,
            due_on=due,
            level_due_on=due,
        )
        for upload, found in checked:
            await ComplaintAttachment.create(
                complaint_id=complaint.id,
                sha256=found.sha256,
                content_type=found.content_type,
                size=found.size,
                original_name=found.original_name or upload.filename,
            )
        await ComplaintEvent.create(
            complaint_id=complaint.id,
            action="file",
            to_state="received",
            handler_level=level,
            actor_id=complaint.filed_by_id,
            actor_role="supervisor" if origin == "supervisor" else "public",
        )
        await audit.record(
            actor=actor if origin == "supervisor" else None,
            actor_label=None if origin == "supervisor" else "public",
            action="complaint.file",
            object_type="complaint",
            object_id=complaint.id,
            after={
                "subject": subject,
                "county_code": target.county_code,
                "handler_level": level,
                "anonymous": anonymous,
                "origin": origin,
                "files": len(checked),
                "due_on": due,
            },
        )
    return complaint


async def _unique_code() -> str:
    for _attempt in range(5):
        code = new_tracking_code()
        if not await Complaint.exists(tracking_code=code):
            return code
    raise RuntimeError("no free tracking code")  # 31^12 codes: never in practice


async def _check_flood(target: Target, *, source: str, contact: str, now: datetime) -> None:
    since = now - timedelta(hours=WINDOW_HOURS)
    recent = Complaint.filter(received_at__gte=since)
    by_source = await recent.filter(source_hash=source).count() if source else 0
    by_contact = await recent.filter(contact=contact).count() if contact else 0
    if max(by_source, by_contact) >= SENDER_LIMIT:
        raise RateLimited(
            _(
                "同一来源 %(hours)d 小时内最多提交 %(limit)d 件举报；"
                "如有补充，请用跟踪码查看已提交的举报，或拨打 12317。",
                hours=WINDOW_HOURS,
                limit=SENDER_LIMIT,
            ),
            code="complaint_rate_limited",
        )
    about = recent.filter(subject=target.subject)
    if target.need_id is not None:
        about = about.filter(need_id=target.need_id)
    elif target.disclosure_id is not None:
        about = about.filter(disclosure_id=target.disclosure_id)
    elif target.donation_id is not None:
        about = about.filter(donation_id=target.donation_id)
    else:
        about = about.filter(county_code=target.county_code)
    if await about.count() >= TARGET_LIMIT:
        raise RateLimited(
            _(
                "该对象 %(hours)d 小时内已收到 %(limit)d 件举报，办理机关正在处理；"
                "请稍后再提交，或拨打 12317。",
                hours=WINDOW_HOURS,
                limit=TARGET_LIMIT,
            ),
            code="complaint_target_limited",
        )


# --- following and handling -----------------------------------------------------------------


async def track(code: str) -> Complaint:
    """The complaint a tracking code names, with its public steps (anyone holding the code)."""
    code = normalise_code(code)
    found = None
    if len(code) == TRACKING_CODE_LENGTH:
        found = await Complaint.get_or_none(tracking_code=code).prefetch_related(
            "events", "attachments"
        )
    if found is None:
        raise NotFound(_("没有这个跟踪码的举报，请核对后重新输入。"), field="code")
    return found


def complaint_scope(complaint: Complaint) -> Scope:
    return Scope(county_code=complaint.county_code, province_code=complaint.province_code)


def is_handler(actor: Actor | None, complaint: Complaint) -> bool:
    """Whether ``actor`` is (of) the office handling the complaint now."""
    return (
        actor is not None
        and HANDLER_ROLE.get(complaint.handler_level) == actor.role
        and can(actor, "complaint.handle", complaint_scope(complaint))
    )


def contact_visible(actor: Actor | None, complaint: Complaint) -> bool:
    """The complainant's name and contact: the handling office only."""
    return is_handler(actor, complaint)


async def get_for_office(actor: Actor | None, complaint_id: int) -> Complaint:
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    found = await Complaint.get_or_none(id=complaint_id).prefetch_related("events", "attachments")
    if found is None:
        raise NotFound(_("举报不存在。"), field="id")
    require(actor, "complaint.view", complaint_scope(found))
    return found


def office_filter(actor: Actor) -> dict[str, str] | None:
    """The complaints an office or supervisor reads: its county, its province, or all."""
    if can(actor, "complaint.view", Scope()) and actor.role in ("national_admin", "auditor"):
        return {}
    if actor.role in ("county_officer", "supervisor") and actor.county_code:
        return {"county_code": actor.county_code}
    if actor.role in ("province_office", "supervisor") and actor.province_code:
        return {"province_code": actor.province_code}
    return None


async def list_for_office(
    actor: Actor | None,
    *,
    state: str | None = None,
    mine: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Complaint], int]:
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    require(actor, "complaint.view")
    where = office_filter(actor)
    if where is None:
        return [], 0
    query = Complaint.filter(**where)
    if state:
        query = query.filter(state=state)
    if mine:
        level = {v: k for k, v in HANDLER_ROLE.items()}.get(actor.role)
        query = query.filter(handler_level=level or "-", state__in=OPEN_STATES)
    total = await query.count()
    items = await query.order_by("level_due_on", "id").offset((page - 1) * per_page).limit(per_page)
    return list(items), total


async def handle(
    actor: Actor | None,
    complaint_id: int,
    action: str,
    *,
    reason: str = "",
    outcome: str = "",
    measures: str = "",
    public_summary: str = "",
    today: date | None = None,
) -> Complaint:
    """One step of the handling office: accept, refuse (with the reason), investigate, conclude
    (outcome, measures and a public summary, personal data masked). The lifecycle table is
    ``rules.complaints.MACHINE``; only the office the complaint is routed to may act."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    reason, measures, public_summary = (
        (t or "").replace("\r\n", "\n").strip() for t in (reason, measures, public_summary)
    )
    problems: list[FieldError] = []
    for name, text, limit in (
        ("reason", reason, REASON_MAX),
        ("measures", measures, HANDLING_TEXT_MAX),
        ("public_summary", public_summary, HANDLING_TEXT_MAX),
    ):
        if has_markup(text) or has_control(text):
            problems.append(FieldError(name, _("请只填写文字，不要包含网页代码或脚本。"), "markup"))
        elif len(text) > limit:
            problems.append(FieldError(name, _("内容过长（最多 %(n)d 字）。", n=limit), "too_long"))
    if problems:
        raise InvalidInput(errors=problems, code=problems[0].code)
    now = clock.now()
    async with transaction():
        found = await Complaint.filter(id=complaint_id).select_for_update().first()
        if found is None:
            raise NotFound(_("举报不存在。"), field="id")
        require(actor, "complaint.handle", complaint_scope(found))
        if not is_handler(actor, found):
            raise_not_handler()
        facts = Conclusion(outcome, measures, public_summary) if action == "conclude" else None
        row = MACHINE.check(found.state, action, facts, reason=reason)
        if row.permission is None:
            raise InvalidInput(_("该操作由系统执行。"), field="action", code="system_only")
        if action == "refuse" and not reason:
            raise InvalidInput(_("请填写不予受理的理由。"), field="reason", code="required")
        before = found.state
        found.state = row.to
        fields = ["state"]
        if action == "refuse":
            found.not_accepted_reason = reason
            found.closed_on = today or today_cn(now)
            fields += ["not_accepted_reason", "closed_on"]
        if action == "conclude":
            if outcome not in OUTCOMES:
                raise InvalidInput(_("请选择核查结论。"), field="outcome")
            found.outcome = outcome
            found.measures = measures
            found.public_summary = mask_personal_data(public_summary)
            found.concluded_at = now
            found.closed_on = today or today_cn(now)
            fields += ["outcome", "measures", "public_summary", "concluded_at", "closed_on"]
        await found.save(update_fields=fields)
        note = (
            reason if action == "refuse" else found.public_summary if action == "conclude" else ""
        )
        await ComplaintEvent.create(
            complaint_id=found.id,
            action=action,
            from_state=before,
            to_state=found.state,
            handler_level=found.handler_level,
            actor_id=actor.user_id,
            actor_role=actor.role,
            note=mask_personal_data(note),
        )
        await audit.record(
            actor=actor,
            action=f"complaint.{action}",
            object_type="complaint",
            object_id=found.id,
            before={"state": before},
            after={
                "state": found.state,
                **({"outcome": outcome} if action == "conclude" else {}),
            },
        )
        await _tell_filer(found)
    return found


async def _tell_filer(found: Complaint, *, escalated_to: str = "") -> None:
    """The account that filed the complaint (a supervisor's observation) hears of each step in
    its notifications; a public complainant has no account and follows the tracking code."""
    if found.filed_by_id is None:
        return
    # Params are stored as the platform's own (Chinese) words, like the need titles they sit
    # beside; the notification's sentence around them is translated when it is read.
    status = STATE_LABELS[found.state]
    if escalated_to:
        status = f"{ACTION_LABELS['escalate']}：{LEVEL_LABELS[escalated_to]}"
    await notify(
        "complaint_status",
        user_ids=[found.filed_by_id],
        params={"subject": found.tracking_code, "status": status},
        link=f"/complaints/track/{found.tracking_code}",
    )


def raise_not_handler() -> None:
    raise PermissionDenied(_("这件举报由其他机关办理，您只能查看。"))


async def escalate_overdue(today: date | None = None) -> int:
    """Move every complaint its office let run past the deadline to the next level, with a new
    deadline for that office (the ``fupin worker`` sweep; also ``fupin complaints escalate``).
    The statistics keep counting it overdue against its first deadline."""
    today = today or today_cn()
    moved = 0
    candidates = await Complaint.filter(
        state__in=OPEN_STATES, level_due_on__lt=today, handler_level__in=["county", "province"]
    ).values_list("id", flat=True)
    for complaint_id in candidates:
        async with transaction():
            found = await Complaint.filter(id=complaint_id).select_for_update().first()
            if found is None or found.state not in OPEN_STATES or found.level_due_on >= today:
                continue
            upper = next_level(found.handler_level)
            if upper is None:
                continue
            MACHINE.check(found.state, "escalate")
            before = found.handler_level
            found.handler_level = upper
            found.level_due_on = handling_deadline(today)
            found.escalations += 1
            await found.save(update_fields=["handler_level", "level_due_on", "escalations"])
            await ComplaintEvent.create(
                complaint_id=found.id,
                action="escalate",
                from_state=found.state,
                to_state=found.state,
                handler_level=upper,
                actor_role="system",
            )
            await audit.record(
                actor=None,
                actor_label="system",
                action="complaint.escalate",
                object_type="complaint",
                object_id=found.id,
                before={"handler_level": before},
                after={"handler_level": upper, "level_due_on": found.level_due_on},
            )
            await _tell_filer(found, escalated_to=upper)
            moved += 1
    return moved


# --- statistics and sharing -----------------------------------------------------------------


@dataclass
class CountyStatistics:
    county_code: str
    county_name: str = ""
    received: int = 0
    open: int = 0
    concluded: int = 0
    not_accepted: int = 0
    concluded_on_time: int = 0
    #: open past the first deadline, or closed after it
    overdue: int = 0


def _date_param(value: date) -> Any:
    return value if dialect() == "postgres" else value.isoformat()


async def statistics(
    *,
    county_code: str | None = None,
    province_code: str | None = None,
    today: date | None = None,
) -> list[CountyStatistics]:
    """Per county: complaints received, concluded within the deadline, overdue. Public: counts
    only, nothing about anyone. One aggregate query per scope (the county's own index answers a
    county; a province or the country is one pass, never the rows brought into Python)."""
    today = today_cn() if today is None else today
    open_states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    where, params = ["1=1"], [_date_param(today)]
    if county_code:
        where.append("c.county_code = ?")
        params.append(county_code)
    if province_code:
        where.append("c.province_code = ?")
        params.append(province_code)
    found = await sql_rows(
        "SELECT c.county_code AS county_code, MAX(r.name) AS county_name, "
        "COUNT(*) AS received, "
        f"SUM(CASE WHEN c.state IN ({open_states}) THEN 1 ELSE 0 END) AS open, "
        "SUM(CASE WHEN c.state = 'concluded' THEN 1 ELSE 0 END) AS concluded, "
        f"SUM(CASE WHEN c.state NOT IN ({open_states}) AND c.state <> 'concluded' "
        "THEN 1 ELSE 0 END) AS not_accepted, "
        "SUM(CASE WHEN c.state = 'concluded' AND c.closed_on <= c.due_on "
        "THEN 1 ELSE 0 END) AS concluded_on_time, "
        f"SUM(CASE WHEN (c.state IN ({open_states}) AND c.due_on < ?) "
        f"OR (c.state NOT IN ({open_states}) AND c.closed_on > c.due_on) "
        "THEN 1 ELSE 0 END) AS overdue "
        "FROM complaint c LEFT JOIN region r ON r.code = c.county_code "
        f"WHERE {' AND '.join(where)} GROUP BY c.county_code",
        params,
    )
    counts = ("received", "open", "concluded", "not_accepted", "concluded_on_time", "overdue")
    by = {
        str(row["county_code"]): CountyStatistics(
            str(row["county_code"]),
            str(row["county_name"] or row["county_code"]),
            **{name: int(row[name] or 0) for name in counts},
        )
        for row in found
    }
    if county_code and county_code not in by:
        region = await Region.get_or_none(code=county_code)
        by[county_code] = CountyStatistics(county_code, region.name if region else county_code)
    return sorted(by.values(), key=lambda s: (-s.received, s.county_code))


async def concluded_since(since: datetime, *, limit: int = 500) -> list[Complaint]:
    """Complaints concluded at or after ``since``, oldest first: their public summaries (for
    feeds and partner systems; never the complainant)."""
    return list(
        await Complaint.filter(state="concluded", concluded_at__gte=since)
        .order_by("concluded_at", "id")
        .limit(limit)
    )


def public_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events)
