"""JSON endpoints of disclosure and supervision (docs/domain.md §3.10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar, get_origin

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request

from fupin.core.categories import CATEGORIES
from fupin.core.endpoints import Endpoint
from fupin.core.jsonapi import client_source
from fupin.core.policy import PUBLIC, Actor, Scope, require
from fupin.core.schemas import validate_form
from fupin.disclosure.models import Complaint
from fupin.disclosure.models import Disclosure as DisclosureRow
from fupin.disclosure.schemas import (
    AlertAreaQuery,
    AlertListQuery,
    AlertPath,
    AlertRows,
    AlertSummaries,
    ComplaintCreate,
    ComplaintHandling,
    ComplaintOfficeDetail,
    ComplaintPage,
    ComplaintPath,
    ComplaintPublic,
    ComplaintQuery,
    ComplaintStatistics,
    ComplaintStatisticsQuery,
    ComplaintTrackPath,
    ComplaintTransition,
    ComplaintUpload,
    DisclosureCreate,
    DisclosureDetail,
    DisclosureNeedPath,
    DisclosurePage,
    DisclosurePath,
    DisclosureQuery,
    DisclosureTakeDown,
    DisclosureUpload,
    DockingOut,
    DockingQuery,
    MissingNoticeList,
    MissingNoticeQuery,
    NoticeDraft,
    NoticeDraftQuery,
)
from fupin.disclosure.service import alerts, complaints, docking, notices
from fupin.disclosure.service.files import Upload
from fupin.errors import InvalidInput
from fupin.i18n import _

B = TypeVar("B", bound=BaseModel)

#: Files a multipart request may carry at most: beyond the most any form accepts (the services
#: refuse more than theirs with the field named), the parser stops reading.
MAX_FORM_FILES = 20


async def read_multipart(request: Request, schema: type[B]) -> tuple[B, list[Upload]]:
    """A multipart body: its text fields validated by the JSON body's schema (a list field
    takes every value of a repeated field) and its ``files``, each read up to one byte past the
    upload limit — the services check them all before anything is written."""
    limit = request.app.state.settings.max_upload_bytes
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=60)
    uploads = [
        Upload(item.filename or "", await item.read(limit + 1))
        for item in form.getlist("files")
        if isinstance(item, UploadFile) and (item.filename or item.size)
    ]
    data: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        key = field.alias or name
        values = [v for v in form.getlist(key) if isinstance(v, str) and v != ""]
        if values:
            data[key] = values if get_origin(field.annotation) is list else values[-1]
    return validate_form(schema, data), uploads


def notice_detail(notice: DisclosureRow) -> DisclosureDetail:
    return DisclosureDetail.model_validate(
        {
            **{k: getattr(notice, k) for k in DisclosureDetail.model_fields if hasattr(notice, k)},
            "region_code": notice.region_id,
            "files": list(notice.attachments),
        }
    )


async def list_disclosures(request: Request, *, query: DisclosureQuery) -> DisclosurePage:
    items, total = await notices.list_notices(
        county_code=query.county,
        need_id=query.need_id,
        kind=query.kind,
        page=query.page,
        per_page=query.per_page,
    )
    return DisclosurePage.model_validate(
        {"items": items, "total": total, "page": query.page, "per_page": query.per_page}
    )


async def get_disclosure(request: Request, *, path: DisclosurePath) -> DisclosureDetail:
    return notice_detail(await notices.get_notice(path.disclosure_id))


async def publish_disclosure(
    request: Request, *, actor: Actor, body: DisclosureCreate | None
) -> DisclosureDetail:
    """JSON, or multipart/form-data (``DisclosureUpload``) with files."""
    files: list[Upload] = []
    if body is None:
        body, files = await read_multipart(request, DisclosureCreate)
    settings = request.app.state.settings
    notice = await notices.publish(
        actor,
        level=body.level,
        kind=body.kind,
        title=body.title,
        body=body.body,
        complaint_channel=body.complaint_channel,
        need_id=body.need_id,
        region_code=body.region_code,
        stage=body.stage,
        corrects_id=body.corrects_id,
        need_photo_ids=body.need_photo_ids,
        files=files,
        attachments_dir=settings.attachments_dir,
        max_bytes=settings.max_upload_bytes,
    )
    return notice_detail(await notices.get_notice(notice.id))


async def take_down_disclosure(
    request: Request, *, actor: Actor, path: DisclosurePath, body: DisclosureTakeDown
) -> DisclosureDetail:
    await notices.take_down(actor, path.disclosure_id, reason=body.reason)
    return notice_detail(await notices.get_notice(path.disclosure_id))


def _county_of(actor: Actor, county: str | None) -> str:
    code = county or actor.county_code
    if not code:
        raise InvalidInput(_("请指定县。"), field="county")
    return code


async def list_missing_notices(
    request: Request, *, actor: Actor, query: MissingNoticeQuery
) -> MissingNoticeList:
    code = _county_of(actor, query.county)
    require(actor, "disclosure.publish", Scope(county_code=code))
    items, total = await notices.missing_notices(code)
    return MissingNoticeList.model_validate({"items": items, "total": total})


async def draft_need_notice(
    request: Request, *, actor: Actor, path: DisclosureNeedPath, query: NoticeDraftQuery
) -> NoticeDraft:
    draft = await notices.completion_draft(actor, path.need_id, stage=query.stage)
    return NoticeDraft.model_validate(
        {
            "need_id": draft.need_id,
            "level": draft.level,
            "kind": draft.kind,
            "stage": draft.stage,
            "title": draft.title,
            "body": draft.body,
            "photo_ids": [p.id for p in draft.photos],
        }
    )


# ---- complaints -----------------------------------------------------------------------------


def public_view(found: Complaint) -> ComplaintPublic:
    return ComplaintPublic.model_validate(
        {
            **{
                k: getattr(found, k)
                for k in ComplaintPublic.model_fields
                if k not in ("steps", "files")
            },
            "steps": [
                {
                    "action": e.action,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "handler_level": e.handler_level,
                    "at": e.at,
                    "note": e.note if e.action in ("refuse", "conclude") else "",
                }
                for e in found.events
            ],
            "files": complaint_files(found, named=False),
        }
    )


def complaint_files(found: Complaint, *, named: bool) -> list[dict[str, Any]]:
    """The evidence files; their names only for who may see the complainant."""
    return [
        {
            "id": a.id,
            "content_type": a.content_type,
            "size": a.size,
            **({"original_name": a.original_name} if named else {}),
        }
        for a in found.attachments
    ]


async def file_complaint(
    request: Request, *, actor: Actor | None, body: ComplaintCreate | None
) -> ComplaintPublic:
    """JSON, or multipart/form-data (``ComplaintUpload``) with evidence files."""
    files: list[Upload] = []
    if body is None:
        body, files = await read_multipart(request, ComplaintCreate)
    settings = request.app.state.settings
    found = await complaints.file_complaint(
        subject=body.subject,
        content=body.content,
        anonymous=body.anonymous,
        target_id=body.target_id,
        county_code=body.county_code,
        name=body.name,
        contact=body.contact,
        files=files,
        source=client_source(request),
        actor=actor,
        attachments_dir=settings.attachments_dir,
        max_bytes=settings.max_upload_bytes,
    )
    return public_view(await complaints.track(found.tracking_code))


async def track_complaint(request: Request, *, path: ComplaintTrackPath) -> ComplaintPublic:
    return public_view(await complaints.track(path.tracking_code))


async def complaint_statistics(
    request: Request, *, query: ComplaintStatisticsQuery
) -> ComplaintStatistics:
    items = await complaints.statistics(county_code=query.county, province_code=query.province)
    return ComplaintStatistics.model_validate({"items": items})


async def list_complaints(
    request: Request, *, actor: Actor, query: ComplaintQuery
) -> ComplaintPage:
    items, total = await complaints.list_for_office(
        actor, state=query.state, mine=query.mine, page=query.page, per_page=query.per_page
    )
    return ComplaintPage.model_validate(
        {"items": items, "total": total, "page": query.page, "per_page": query.per_page}
    )


def office_view(actor: Actor, found: Complaint) -> ComplaintOfficeDetail | ComplaintHandling:
    """``found`` with its events and files fetched (``complaints.get_for_office``)."""
    named = complaints.contact_visible(actor, found)
    schema = ComplaintHandling if named else ComplaintOfficeDetail
    return schema.model_validate(
        {
            **{k: getattr(found, k) for k in schema.model_fields if k != "files"},
            "files": complaint_files(found, named=named),
        }
    )


async def get_complaint(
    request: Request, *, actor: Actor, path: ComplaintPath
) -> ComplaintOfficeDetail | ComplaintHandling:
    return office_view(actor, await complaints.get_for_office(actor, path.complaint_id))


async def handle_complaint(
    request: Request, *, actor: Actor, path: ComplaintPath, body: ComplaintTransition
) -> ComplaintOfficeDetail | ComplaintHandling:
    await complaints.handle(
        actor,
        path.complaint_id,
        body.action,
        reason=body.reason,
        outcome=body.outcome,
        measures=body.measures,
        public_summary=body.public_summary,
    )
    return office_view(actor, await complaints.get_for_office(actor, path.complaint_id))


# ---- supervision and docking ----------------------------------------------------------------


async def list_alerts(request: Request, *, actor: Actor, query: AlertAreaQuery) -> AlertSummaries:
    area = await alerts.area_for(actor, query.region)
    found = await alerts.all_alerts(area)
    return AlertSummaries.model_validate(
        {
            "area_level": area.level,
            "area_code": area.code,
            "items": [summary(a) for a in found],
        }
    )


async def dashboard_supervision(
    actor: Actor | None, level: str, code: str | None
) -> list[dict[str, Any]] | None:
    """The supervision counts of a region dashboard's JSON (``pairs.schemas.DashboardAlertCount``),
    as its page shows them; composed by the app, so that pairs imports no disclosure."""
    found = await alerts.dashboard_counts_for(actor, code)
    if found is None:
        return None
    return [
        {
            "code": count.code,
            "label": _(count.alert.label),
            "threshold": count.alert.threshold,
            "unit": count.alert.unit,
            "count": count.total,
        }
        for count in found
    ]


def summary(found: alerts.AlertList) -> dict[str, Any]:
    return {
        "code": found.code,
        "label": _(found.alert.label),
        "threshold": found.threshold,
        "unit": found.alert.unit,
        "explanation": _(found.alert.explanation),
        "count": found.total,
    }


def _cell(value: Any) -> str | int | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, int):
        return value
    return str(value)


async def get_alert(
    request: Request, *, actor: Actor, path: AlertPath, query: AlertListQuery
) -> AlertRows:
    area = await alerts.area_for(actor, query.region)
    found = await alerts.alert_list(area, path.alert, query.threshold, query.year)
    return AlertRows.model_validate(
        {
            **summary(found),
            "columns": [
                {"key": k, "label": label, "kind": kind} for k, label, kind in found.columns
            ],
            "rows": [
                {k: _cell(row.get(k)) for k, _label, _kind in found.columns} for row in found.rows
            ],
        }
    )


async def docking_figures(request: Request, *, query: DockingQuery) -> DockingOut:
    if query.category and query.category not in CATEGORIES:
        raise InvalidInput(_("没有这个类别。"), field="category")
    found = await docking.docking(
        start=query.start,
        end=query.end,
        by=query.by,
        region_code=query.region,
        category=query.category,
    )
    return DockingOut.model_validate(docking.as_dict(found))


_WRITE = (403, 404, 409)

endpoints = [
    Endpoint(
        "GET",
        "/disclosures",
        list_disclosures,
        "Public notices (公告公示), newest first, by county, need or kind",
        query=DisclosureQuery,
        response=DisclosurePage,
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/disclosures",
        publish_disclosure,
        "Publish a notice of the actor's county (never edited; correct with a new one); "
        "with files as multipart/form-data",
        body=DisclosureCreate,
        form=DisclosureUpload,
        auth="required",
        action="disclosure.publish",
        response=DisclosureDetail,
        status=201,
        errors=_WRITE,
    ),
    Endpoint(
        "GET",
        "/disclosures/missing",
        list_missing_notices,
        "The county's funded needs that lack the notice their stage calls for",
        query=MissingNoticeQuery,
        auth="required",
        action="disclosure.publish",
        response=MissingNoticeList,
        errors=(403,),
    ),
    Endpoint(
        "GET",
        "/disclosures/{disclosure_id}",
        get_disclosure,
        "One notice with its files",
        params=DisclosurePath,
        response=DisclosureDetail,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/disclosures/{disclosure_id}/take-down",
        take_down_disclosure,
        "Take a board notice down after its minimum display period",
        params=DisclosurePath,
        body=DisclosureTakeDown,
        auth="required",
        action="disclosure.publish",
        response=DisclosureDetail,
        errors=_WRITE,
    ),
    Endpoint(
        "GET",
        "/needs/{need_id}/disclosure-draft",
        draft_need_notice,
        "A need's notice drafted from its records (money by source, delivery, photos)",
        params=DisclosureNeedPath,
        query=NoticeDraftQuery,
        auth="required",
        action="disclosure.publish",
        response=NoticeDraft,
        errors=(403, 404),
    ),
    Endpoint(
        "POST",
        "/complaints",
        file_complaint,
        "File a complaint (举报), named or anonymous; answers its tracking code; with "
        "evidence files as multipart/form-data",
        body=ComplaintCreate,
        form=ComplaintUpload,
        auth="optional",
        action=PUBLIC,
        response=ComplaintPublic,
        status=201,
        errors=(403, 404, 429),
    ),
    Endpoint(
        "GET",
        "/complaints/statistics",
        complaint_statistics,
        "Complaints per county: received, concluded on time, overdue",
        query=ComplaintStatisticsQuery,
        response=ComplaintStatistics,
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/complaints/track/{tracking_code}",
        track_complaint,
        "Follow a complaint by its tracking code (no account needed)",
        params=ComplaintTrackPath,
        response=ComplaintPublic,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/complaints",
        list_complaints,
        "Complaints of the actor's area (without the complainants)",
        query=ComplaintQuery,
        auth="required",
        action="complaint.view",
        response=ComplaintPage,
        errors=(403,),
    ),
    Endpoint(
        "GET",
        "/complaints/{complaint_id}",
        get_complaint,
        "One complaint; the handling office also sees the complainant's contact",
        params=ComplaintPath,
        auth="required",
        action="complaint.view",
        response=ComplaintHandling | ComplaintOfficeDetail,
        errors=(403, 404),
    ),
    Endpoint(
        "POST",
        "/complaints/{complaint_id}/transition",
        handle_complaint,
        "Accept, refuse (reason), investigate or conclude (outcome, public summary)",
        params=ComplaintPath,
        body=ComplaintTransition,
        auth="required",
        action="complaint.handle",
        response=ComplaintHandling | ComplaintOfficeDetail,
        errors=_WRITE,
    ),
    Endpoint(
        "GET",
        "/supervision/alerts",
        list_alerts,
        "Supervision alerts of the actor's area: each threshold and count",
        query=AlertAreaQuery,
        auth="required",
        action="supervision.view",
        response=AlertSummaries,
        errors=(403, 404),
    ),
    Endpoint(
        "GET",
        "/supervision/alerts/{alert}",
        get_alert,
        "One supervision alert's list (threshold adjustable)",
        params=AlertPath,
        query=AlertListQuery,
        auth="required",
        action="supervision.view",
        response=AlertRows,
        errors=(403, 404),
    ),
    Endpoint(
        "GET",
        "/docking",
        docking_figures,
        "Docking figures (对接率): share fully pledged, median days to first pledge and funded",
        query=DockingQuery,
        response=DockingOut,
        action=PUBLIC,
    ),
]
