"""Publishing, listing and taking down public notices (公告公示) (docs/rules.md §7).

A notice is written once: the county office publishes it (policy ``disclosure.publish`` in the
place's county), personal data in its text masked, the complaint channel with the national
hotline printed on it. It cannot be edited; a correction is a new notice of the same county that
points to the one it corrects; a board notice comes down only after its display period and a
portal notice never (the guidance keeps them public long-term). Every write is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.identifiers import mask_name
from fupin.core.money import format_yuan
from fupin.core.policy import Actor, Scope, can, require
from fupin.core.sql import rows as sql_rows
from fupin.db import transaction
from fupin.disclosure.models import (
    BODY_MAX,
    CHANNEL_MAX,
    REASON_MAX,
    TITLE_MAX,
    Disclosure,
    DisclosureAttachment,
)
from fupin.disclosure.rules.notices import (
    KINDS,
    LEVELS,
    NOTICE_DUE_STATES,
    STAGES,
    channel_with_hotline,
    display_until,
    mask_personal_data,
    may_take_down,
    min_display_days,
    phones_in,
)
from fupin.disclosure.service.files import Upload, check_all, store_all
from fupin.errors import FieldError, InvalidInput, NotAuthenticated, NotFound, RuleViolation
from fupin.i18n import _
from fupin.needs.models import PUBLIC_STATES, Attachment, Need, NeedEvent, NeedItem
from fupin.needs.rules import STATE_LABELS
from fupin.needs.service.visibility import need_scope
from fupin.regions.models import Region
from fupin.regions.service import scope_of

MAX_NOTICE_FILES = 10
#: The office label printed as the publisher (the county's poverty office).
PUBLISHER_SUFFIX = "扶贫办"


def _clean(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _errors(title: str, body: str, channel: str, level: str, kind: str, stage: str) -> None:
    problems: list[FieldError] = []
    if level not in LEVELS:
        problems.append(FieldError("level", _("请选择公示层级。"), "invalid_choice"))
    if kind not in KINDS:
        problems.append(FieldError("kind", _("请选择公告公示的类别。"), "invalid_choice"))
    if stage and stage not in STAGES:
        problems.append(FieldError("stage", _("请选择公示阶段。"), "invalid_choice"))
    if not title or len(title) > TITLE_MAX:
        problems.append(
            FieldError("title", _("请填写标题（最多 %(n)d 字）。", n=TITLE_MAX), "required")
        )
    if not body or len(body) > BODY_MAX:
        problems.append(
            FieldError("body", _("请填写正文（最多 %(n)d 字）。", n=BODY_MAX), "required")
        )
    if not channel or len(channel) > CHANNEL_MAX:
        problems.append(
            FieldError("complaint_channel", _("请填写本级举报受理渠道（电话或地址）。"), "required")
        )
    if problems:
        raise InvalidInput(errors=problems, code=problems[0].code)


async def publish(
    actor: Actor | None,
    *,
    level: str,
    kind: str,
    title: str,
    body: str,
    complaint_channel: str,
    region_code: str | None = None,
    need_id: int | None = None,
    stage: str = "",
    corrects_id: int | None = None,
    files: list[Upload] | None = None,
    need_photo_ids: list[int] | None = None,
    attachments_dir: Path | None = None,
    max_bytes: int = 10 * 1024 * 1024,
) -> Disclosure:
    """Publish a notice of the actor's county: about a need (its place), or about the county, a
    township or a village of it. Every input is checked, files included, before anything is
    written; a correction must correct a notice of the same county."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    title, body, channel = _clean(title), _clean(body), _clean(complaint_channel)
    need: Need | None = None
    if need_id is not None:
        need = await Need.get_or_none(id=need_id).prefetch_related("region")
        if need is None or need.state not in PUBLIC_STATES:
            raise NotFound(_("需求不存在或尚未发布。"), field="need_id")
        require(actor, "disclosure.publish", need_scope(need))
        region = need.region
    else:
        region = await Region.get_or_none(code=region_code or "")
        if region is None or region.level not in ("county", "township", "village"):
            raise InvalidInput(_("请选择本县、乡镇或村。"), field="region_code", code="required")
        require(actor, "disclosure.publish", scope_of(region))
    stage = stage if need is not None else ""
    _errors(title, body, channel, level, kind, stage)
    county_code = region.county_code or region.code
    corrected: Disclosure | None = None
    if corrects_id is not None:
        corrected = await Disclosure.get_or_none(id=corrects_id)
        if corrected is None:
            raise NotFound(_("被更正的公告不存在。"), field="corrects_id")
        if corrected.county_code != county_code:
            raise RuleViolation(
                _("只能更正本县发布的公告；其他县的公告请由该县更正。"),
                code="correction_other_county",
                field="corrects_id",
            )
    photos: list[Attachment] = []
    if need_photo_ids:
        if need is None:
            raise InvalidInput(_("只有需求的公告可以引用需求照片。"), field="need_photo_ids")
        photos = list(await Attachment.filter(id__in=need_photo_ids, need_id=need.id))
        if len(photos) != len(set(need_photo_ids)):
            raise InvalidInput(_("所选照片不属于该需求。"), field="need_photo_ids")
    checked = check_all(files or [], max_bytes=max_bytes, max_count=MAX_NOTICE_FILES)
    if checked and attachments_dir is None:
        raise ValueError("attachments_dir is needed to store files")
    printed_channel = channel_with_hotline(channel)
    masked = mask_personal_data(body, keep_phones=phones_in(printed_channel))
    days = min_display_days(level)
    now = clock.now()
    if checked and attachments_dir is not None:
        store_all(checked, attachments_dir)
    async with transaction():
        notice = await Disclosure.create(
            level=level,
            kind=kind,
            stage=stage,
            region_id=region.code,
            county_code=county_code,
            province_code=region.province_code,
            need_id=need.id if need else None,
            title=mask_personal_data(title),
            body=masked,
            complaint_channel=printed_channel,
            publisher_id=actor.user_id,
            publisher_label=await _publisher_label(county_code),
            published_at=now,
            min_display_days=days,
            display_until=display_until(today_cn(now), days),
            corrects_id=corrected.id if corrected else None,
        )
        for upload, found in checked:
            await DisclosureAttachment.create(
                disclosure_id=notice.id,
                sha256=found.sha256,
                content_type=found.content_type,
                size=found.size,
                original_name=found.original_name or upload.filename,
            )
        for photo in photos:
            await DisclosureAttachment.create(
                disclosure_id=notice.id,
                sha256=photo.sha256,
                content_type=photo.content_type,
                size=photo.size,
                original_name=photo.original_name,
            )
        await audit.record(
            actor=actor,
            action="disclosure.publish",
            object_type="disclosure",
            object_id=notice.id,
            after={
                "level": level,
                "kind": kind,
                "stage": stage,
                "region_code": region.code,
                "need_id": notice.need_id,
                "title": notice.title,
                "min_display_days": days,
                "display_until": notice.display_until,
                "corrects_id": notice.corrects_id,
                "files": [f.sha256 for _u, f in checked] + [p.sha256 for p in photos],
                "masked": masked != body,
            },
        )
    return notice


async def _publisher_label(county_code: str) -> str:
    county = await Region.get_or_none(code=county_code)
    return (county.name if county else county_code) + PUBLISHER_SUFFIX


async def take_down(
    actor: Actor | None, disclosure_id: int, *, reason: str, today: date | None = None
) -> Disclosure:
    """Take a board notice down after its minimum display period. Refused, with nothing
    written, while the period runs and always for a portal notice (kept long-term)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    reason = _clean(reason)
    today = today or today_cn()
    async with transaction():
        notice = await Disclosure.filter(id=disclosure_id).select_for_update().first()
        if notice is None:
            raise NotFound(_("公告不存在。"), field="id")
        require(actor, "disclosure.publish", _notice_scope(notice))
        if notice.state != "published":
            raise RuleViolation(_("该公告已撤下。"), code="already_taken_down")
        if notice.display_until is None:
            raise RuleViolation(
                _("政府门户网站上的公告长期公开，不能撤下；如有错误请发布更正公告。"),
                code="portal_notice_stays",
            )
        if not may_take_down(notice.display_until, today):
            raise RuleViolation(
                _(
                    "公示期未满：公示栏公告至少公示 %(days)d 天，%(end)s 之后才能撤下；"
                    "如有错误请发布更正公告。",
                    days=notice.min_display_days or 0,
                    end=notice.display_until.isoformat(),
                ),
                code="display_period_running",
            )
        if not reason or len(reason) > REASON_MAX:
            raise InvalidInput(_("请填写撤下原因。"), field="reason", code="required")
        notice.state = "taken_down"
        notice.taken_down_at = clock.now()
        notice.taken_down_reason = reason
        await notice.save(update_fields=["state", "taken_down_at", "taken_down_reason"])
        await audit.record(
            actor=actor,
            action="disclosure.take_down",
            object_type="disclosure",
            object_id=notice.id,
            before={"state": "published"},
            after={"state": "taken_down", "reason": reason},
        )
    return notice


def _notice_scope(notice: Disclosure) -> Scope:
    return Scope(
        region_code=notice.region_id,
        county_code=notice.county_code,
        province_code=notice.province_code,
    )


# --- reading --------------------------------------------------------------------------------------


async def get_notice(disclosure_id: int) -> Disclosure:
    """A notice, public whatever its state (a taken-down notice says so: the record stays)."""
    notice = await Disclosure.get_or_none(id=disclosure_id).prefetch_related(
        "attachments", "region", "corrects", "corrections"
    )
    if notice is None:
        raise NotFound(_("公告不存在。"), field="id")
    return notice


async def list_notices(
    *,
    county_code: str | None = None,
    need_id: int | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[Disclosure], int]:
    query = Disclosure.all()
    if county_code:
        query = query.filter(county_code=county_code)
    if need_id is not None:
        query = query.filter(need_id=need_id)
    if kind:
        query = query.filter(kind=kind)
    total = await query.count()
    items = (
        await query.order_by("-published_at", "-id").offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


async def published_since(since: datetime, *, limit: int = 500) -> list[Disclosure]:
    """Notices published at or after ``since``, oldest first (for feeds and partner systems)."""
    return list(
        await Disclosure.filter(published_at__gte=since).order_by("published_at", "id").limit(limit)
    )


async def attachment_of(disclosure_id: int, attachment_id: int) -> DisclosureAttachment:
    found = await DisclosureAttachment.get_or_none(id=attachment_id, disclosure_id=disclosure_id)
    if found is None:
        raise NotFound(_("附件不存在。"), field="attachment_id")
    return found


# --- what a county still owes -----------------------------------------------------------------


@dataclass(frozen=True)
class MissingNotice:
    need_id: int
    title: str
    state: str
    region_name: str
    received_fen: int
    #: the stage owed: before (funded, not yet completed) or after (completed)
    stage: str


async def missing_notices(county_code: str, *, limit: int = 200) -> tuple[list[MissingNotice], int]:
    """Funded needs of the county without the notice their stage calls for: 公示 before
    implementation once funded, 公告 after completion once completed or closed."""
    due_in = ", ".join("?" for _s in NOTICE_DUE_STATES)
    found = await sql_rows(
        "SELECT n.id AS id, n.title AS title, n.state AS state, n.received_fen AS received_fen, "
        "r.name AS region_name, "
        "CASE WHEN n.state IN ('completed', 'closed') THEN 'after' ELSE 'before' END AS stage "
        "FROM need n JOIN region r ON r.code = n.region_id "
        f"WHERE n.county_code = ? AND n.state IN ({due_in}) AND NOT EXISTS ("
        "SELECT 1 FROM disclosure d WHERE d.need_id = n.id AND d.state = 'published' AND "
        "d.stage = (CASE WHEN n.state IN ('completed', 'closed') THEN 'after' ELSE 'before' END)"
        ") ORDER BY n.id",
        [county_code, *NOTICE_DUE_STATES],
    )
    items = [
        MissingNotice(
            need_id=int(r["id"]),
            title=str(r["title"]),
            state=str(r["state"]),
            region_name=str(r["region_name"]),
            received_fen=int(r["received_fen"] or 0),
            stage=str(r["stage"]),
        )
        for r in found
    ]
    return items[:limit], len(items)


# --- the after-completion draft ---------------------------------------------------------------


@dataclass
class NoticeDraft:
    """What the form starts from; the officer edits it before publishing."""

    need_id: int
    level: str
    kind: str
    stage: str
    title: str
    body: str
    photos: list[Attachment] = field(default_factory=list)


def _donor_label(kind: str, name: str, anonymous: bool) -> str:
    if anonymous:
        return _("匿名捐赠者")
    return mask_name(name) if kind == "individual" else name


async def completion_draft(
    actor: Actor | None, need_id: int, *, stage: str = "after"
) -> NoticeDraft:
    """A notice drafted from the need's own records: money received by source, what was
    delivered and spent, acceptance, photos. Before implementation it is the plan (target,
    place, beneficiaries, money pledged)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    need = await Need.get_or_none(id=need_id).prefetch_related("region")
    if need is None or need.state not in PUBLIC_STATES:
        raise NotFound(_("需求不存在或尚未发布。"), field="need_id")
    require(actor, "disclosure.publish", need_scope(need))
    if stage not in STAGES:
        raise InvalidInput(_("请选择公示阶段。"), field="stage", code="invalid_choice")
    place = need.region.full_name or need.region.name
    lines = [
        _("项目名称：%(t)s", t=need.title),
        _("实施地点：%(p)s", p=place),
        _("项目目标金额：%(a)s", a=format_yuan(need.target_fen)),
        _(
            "受益户数：%(h)d 户；受益人数：%(p)d 人",
            h=need.beneficiary_households,
            p=need.beneficiary_people,
        ),
        _("当前状态：%(s)s", s=_(STATE_LABELS.get(need.state, need.state))),
    ]
    sources = await sql_rows(
        "SELECT p.kind AS kind, p.name AS name, d.anonymous AS anonymous, "
        "CAST(SUM(d.amount_fen) AS BIGINT) AS amount, COUNT(*) AS k FROM donation d "
        "JOIN participant p ON p.id = d.donor_id WHERE d.need_id = ? AND d.state = 'confirmed' "
        "GROUP BY p.kind, p.name, d.anonymous ORDER BY amount DESC",
        [need.id],
    )
    received = sum(int(r["amount"] or 0) for r in sources)
    lines.append("")
    lines.append(_("一、到账资金（按来源）：合计 %(a)s", a=format_yuan(received)))
    for r in sources:
        if int(r["amount"] or 0) == 0:
            continue
        who = _donor_label(str(r["kind"]), str(r["name"]), bool(r["anonymous"]))
        lines.append(f"  · {who}：{format_yuan(int(r['amount']))}")
    if not sources:
        lines.append("  · " + _("暂无到账资金"))
    items = await NeedItem.filter(need_id=need.id).order_by("id")
    if items:
        lines.append("")
        lines.append(_("二、物资："))
        for item in items:
            lines.append(
                f"  · {item.name} {item.quantity}{item.unit}，"
                + _("单价 %(v)s", v=format_yuan(item.unit_value_fen))
            )
    steps = await NeedEvent.filter(
        need_id=need.id, action__in=["start", "deliver", "confirm_receipt", "close"]
    ).order_by("id")
    if stage == "after":
        lines.append("")
        lines.append(_("三、实施、交付与验收："))
        for event in steps:
            when = clock.in_china(event.at).date().isoformat()
            label = _(STATE_LABELS.get(event.to_state, event.to_state))
            note = f"：{event.reason}" if event.reason else ""
            lines.append(f"  · {when} {label}{note}")
        if not steps:
            lines.append("  · " + _("暂无实施记录"))
    photos = list(
        await Attachment.filter(
            need_id=need.id, purpose__in=["evidence", "photo"], content_type__startswith="image/"
        ).order_by("id")
    )
    if photos:
        lines.append("")
        lines.append(_("附：现场照片 %(n)d 张。", n=len(photos)))
    title = (
        _("%(t)s 项目完成情况公告", t=need.title)
        if stage == "after"
        else _("%(t)s 项目实施前公示", t=need.title)
    )
    level = "project" if need.region.level == "village" else "county"
    return NoticeDraft(
        need_id=need.id,
        level=level,
        kind="implementation" if stage == "after" else "annual_plan",
        stage=stage,
        title=title[:TITLE_MAX],
        body="\n".join(lines),
        photos=photos,
    )


def may_publish(actor: Actor | None, county_code: str) -> bool:
    return can(actor, "disclosure.publish", Scope(county_code=county_code))
