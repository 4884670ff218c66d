"""HTML pages of disclosure and supervision: the public notices of a county and of a need, the
notice form (the after-completion draft from the need's records), the complaint form, following
a complaint by its tracking code, the public statistics, the offices' complaint desk, the
supervision alerts with their CSVs, and the docking figures (docs/domain.md §3.10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from fupin.core import exports
from fupin.core.categories import CATEGORIES
from fupin.core.policy import PUBLIC, Actor, Scope, can, require
from fupin.core.routing import page
from fupin.core.web import (
    actor,
    client_source,
    field_errors,
    page_args,
    read_form,
    redirect,
    render,
    require_login,
)
from fupin.disclosure.models import Complaint, ComplaintAttachment
from fupin.disclosure.rules import complaints as complaint_rules
from fupin.disclosure.rules.alerts import ALERTS
from fupin.disclosure.rules.notices import KINDS, LEVELS, NOTICE_DUE_STATES, STAGES
from fupin.disclosure.service import alerts, complaints, docking, notices
from fupin.disclosure.service.files import Upload, existing_file, serve_headers
from fupin.errors import FupinError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.regions.models import Region

NOTICE_FIELDS = (
    "need_id",
    "region_code",
    "level",
    "kind",
    "stage",
    "title",
    "body",
    "complaint_channel",
    "corrects_id",
)
COMPLAINT_FIELDS = (
    "subject",
    "target_id",
    "county_code",
    "content",
    "anonymous",
    "name",
    "contact",
)
HANDLE_FIELDS = ("action", "reason", "outcome", "measures", "public_summary")


def _texts(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {n: v.strip() if isinstance(v := form.get(n, ""), str) else "" for n in names}


def _optional_id(values: dict[str, str], name: str) -> int | None:
    text = values.get(name, "")
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise InvalidInput(_("请填写有效的编号。"), field=name, code="bad_format")
    return int(text)


async def _uploads(form: FormData, name: str = "files") -> list[Upload]:
    found = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and (item.filename or item.size):
            found.append(Upload(item.filename or "", await item.read()))
    return found


def _common() -> dict[str, Any]:
    return {
        "kinds": KINDS,
        "levels": LEVELS,
        "stages": STAGES,
        "subjects": complaint_rules.SUBJECTS,
        "complaint_states": complaint_rules.STATE_LABELS,
        "complaint_actions": complaint_rules.ACTION_LABELS,
        "handler_levels": complaint_rules.LEVEL_LABELS,
        "outcomes": complaint_rules.OUTCOMES,
    }


# ---- public notices ------------------------------------------------------------------------------


async def notice_list(request: Request) -> Response:
    page_no, per_page = page_args(request, default_per_page=20, max_per_page=100)
    county = request.query_params.get("county") or None
    need_text = request.query_params.get("need") or ""
    need_id = int(need_text) if need_text.isdigit() and 0 < int(need_text) < 2**31 else None
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in KINDS:
        kind = None
    items, total = await notices.list_notices(
        county_code=county, need_id=need_id, kind=kind, page=page_no, per_page=per_page
    )
    region = await Region.get_or_none(code=county) if county else None
    need = await Need.get_or_none(id=need_id) if need_id else None
    current = actor(request)
    stats = await complaints.statistics(county_code=county) if county else []
    return render(
        request,
        "disclosure/list.html",
        {
            "items": items,
            "total": total,
            "page": page_no,
            "per_page": per_page,
            "region": region,
            "need": need,
            "kind": kind,
            "stats": stats[0] if stats else None,
            "may_publish": bool(county) and notices.may_publish(current, county or ""),
            **_common(),
        },
    )


async def notice_detail(request: Request) -> Response:
    notice = await notices.get_notice(request.path_params["disclosure_id"])
    current = actor(request)
    return render(
        request,
        "disclosure/detail.html",
        {
            "notice": notice,
            "may_take_down": can(
                current, "disclosure.publish", Scope(county_code=notice.county_code)
            )
            and notice.state == "published",
            "values": {"reason": ""},
            "error": None,
            "field_errors": {},
            **_common(),
        },
    )


async def notice_file(request: Request) -> Response:
    disclosure_id = request.path_params["disclosure_id"]
    row = await notices.attachment_of(disclosure_id, request.path_params["file_id"])
    path = existing_file(request.app.state.settings.attachments_dir, row.sha256)
    headers = serve_headers("notice", disclosure_id, row, private=False)
    media_type = headers.pop("Content-Type")
    return FileResponse(path, media_type=media_type, headers=headers)


async def take_down(request: Request) -> Response:
    form = await read_form(request)
    current = require_login(request)
    disclosure_id = request.path_params["disclosure_id"]
    values = _texts(form, ("reason",))
    try:
        await notices.take_down(current, disclosure_id, reason=values["reason"])
    except FupinError as exc:
        if isinstance(exc, NotFound):
            raise
        notice = await notices.get_notice(disclosure_id)
        return render(
            request,
            "disclosure/detail.html",
            {
                "notice": notice,
                "may_take_down": True,
                "values": values,
                "error": exc,
                "field_errors": field_errors(exc) or {"reason": exc.message},
                **_common(),
            },
            status_code=exc.status,
        )
    return redirect(request, f"/disclosures/{disclosure_id}", flash=_("公告已撤下，记录仍可查阅。"))


# ---- publishing -----------------------------------------------------------------------------


async def _notice_form(
    request: Request,
    current: Actor,
    values: dict[str, str],
    *,
    error: FupinError | None = None,
    photos: list[Any] | None = None,
) -> Response:
    need = None
    if values.get("need_id", "").isdigit():
        need = await Need.get_or_none(id=int(values["need_id"]))
    county = current.county_code
    places = (
        await Region.filter(county_code=county, level="township").order_by("code").limit(200)
        if county
        else []
    )
    return render(
        request,
        "disclosure/form.html",
        {
            "values": values,
            "need": need,
            "photos": photos or [],
            "places": places,
            "county": await Region.get_or_none(code=county) if county else None,
            "error": error,
            "field_errors": field_errors(error),
            **_common(),
        },
        status_code=error.status if error else 200,
    )


async def notice_new(request: Request) -> Response:
    current = require(require_login(request), "disclosure.publish")
    params = request.query_params
    values = dict.fromkeys(NOTICE_FIELDS, "")
    values["complaint_channel"] = ""
    values["level"] = "county"
    values["kind"] = "implementation"
    photos: list[Any] = []
    need_text = params.get("need", "")
    if need_text.isdigit() and 0 < int(need_text) < 2**31:
        stage = params.get("stage", "after")
        draft = await notices.completion_draft(
            current, int(need_text), stage=stage if stage in STAGES else "after"
        )
        values.update(
            need_id=str(draft.need_id),
            level=draft.level,
            kind=draft.kind,
            stage=draft.stage,
            title=draft.title,
            body=draft.body,
        )
        photos = draft.photos
    corrects = params.get("corrects", "")
    if corrects.isdigit() and 0 < int(corrects) < 2**31:
        original = await notices.get_notice(int(corrects))
        values.update(
            corrects_id=str(original.id),
            level=original.level,
            kind=original.kind,
            stage=original.stage,
            need_id=str(original.need_id or ""),
            region_code=original.region_id if original.need_id is None else "",
            title=_("更正：%(t)s", t=original.title)[:120],
            body=original.body,
        )
    return await _notice_form(request, current, values, photos=photos)


async def notice_publish(request: Request) -> Response:
    form = await read_form(request)
    current = require_login(request)
    values = _texts(form, NOTICE_FIELDS)
    photo_ids = [int(v) for v in form.getlist("photo_ids") if isinstance(v, str) and v.isdigit()]
    settings = request.app.state.settings
    try:
        notice = await notices.publish(
            current,
            level=values["level"],
            kind=values["kind"],
            title=values["title"],
            body=values["body"],
            complaint_channel=values["complaint_channel"],
            need_id=_optional_id(values, "need_id"),
            region_code=values["region_code"] or current.county_code or None,
            stage=values["stage"],
            corrects_id=_optional_id(values, "corrects_id"),
            files=await _uploads(form),
            need_photo_ids=photo_ids,
            attachments_dir=settings.attachments_dir,
            max_bytes=settings.max_upload_bytes,
        )
    except FupinError as exc:
        if exc.status in (401, 403):
            raise
        return await _notice_form(request, current, values, error=exc)
    return redirect(request, f"/disclosures/{notice.id}", flash=_("公告已发布。"))


async def missing(request: Request) -> Response:
    current = require(require_login(request), "disclosure.publish")
    code = request.query_params.get("county") or current.county_code
    require(current, "disclosure.publish", Scope(county_code=code))
    items, total = await notices.missing_notices(code)
    return render(
        request,
        "disclosure/missing.html",
        {
            "items": items,
            "total": total,
            "county": await Region.get_or_none(code=code),
            **_common(),
        },
    )


# ---- complaints: the public side ---------------------------------------------------------


async def _complaint_form(
    request: Request, values: dict[str, str], *, error: FupinError | None = None
) -> Response:
    target = None
    subject, target_id = values.get("subject", ""), values.get("target_id", "")
    if subject == "need" and target_id.isdigit() and 0 < int(target_id) < 2**31:
        target = await Need.get_or_none(id=int(target_id))
    current = actor(request)
    return render(
        request,
        "disclosure/complaint_form.html",
        {
            "values": values,
            "target": target,
            "as_supervisor": current is not None and current.role == "supervisor",
            "max_files": complaint_rules.MAX_ATTACHMENTS,
            "max_mb": complaint_rules.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "error": error,
            "field_errors": field_errors(error),
            **_common(),
        },
        status_code=error.status if error else 200,
    )


async def complaint_new(request: Request) -> Response:
    params = request.query_params
    values = dict.fromkeys(COMPLAINT_FIELDS, "")
    values["subject"] = params.get("subject", "need") if params.get("subject") else "need"
    values["target_id"] = params.get("target", "")
    values["county_code"] = params.get("county", "")
    values["anonymous"] = "1"
    return await _complaint_form(request, values)


async def complaint_file(request: Request) -> Response:
    form = await read_form(request)
    values = _texts(form, COMPLAINT_FIELDS)
    settings = request.app.state.settings
    try:
        found = await complaints.file_complaint(
            subject=values["subject"],
            content=values["content"],
            anonymous=values["anonymous"] in ("1", "on", "true"),
            target_id=_optional_id(values, "target_id"),
            county_code=values["county_code"] or None,
            name=values["name"],
            contact=values["contact"],
            files=await _uploads(form),
            source=client_source(request),
            actor=actor(request),
            attachments_dir=settings.attachments_dir,
            max_bytes=settings.max_upload_bytes,
        )
    except FupinError as exc:
        if exc.status in (401, 403):
            raise
        return await _complaint_form(request, values, error=exc)
    return redirect(
        request,
        f"/complaints/track/{found.tracking_code}",
        flash=_(
            "举报已收到。请记下跟踪码 %(code)s，凭它随时查看办理进展（无需登录）。",
            code=found.tracking_code,
        ),
    )


async def track_form(request: Request) -> Response:
    code = request.query_params.get("code", "")
    if code:
        return redirect(request, f"/complaints/track/{complaints.normalise_code(code)}")
    return render(request, "disclosure/track.html", {"complaint": None, **_common()})


async def track(request: Request) -> Response:
    found = await complaints.track(request.path_params["tracking_code"])
    return render(
        request,
        "disclosure/track.html",
        {"complaint": found, "events": list(found.events), **_common()},
    )


async def statistics(request: Request) -> Response:
    province = request.query_params.get("province") or None
    county = request.query_params.get("county") or None
    rows = await complaints.statistics(county_code=county, province_code=province)
    return render(
        request,
        "disclosure/statistics.html",
        {"rows": rows, "province": province, "county": county, **_common()},
    )


# ---- complaints: the office desk -----------------------------------------------------------


async def office_list(request: Request) -> Response:
    current = require_login(request)
    page_no, per_page = page_args(request, default_per_page=50, max_per_page=100)
    state = request.query_params.get("state") or None
    if state is not None and state not in complaint_rules.STATES:
        state = None
    mine = request.query_params.get("mine") == "1"
    items, total = await complaints.list_for_office(
        current, state=state, mine=mine, page=page_no, per_page=per_page
    )
    return render(
        request,
        "disclosure/office_list.html",
        {
            "items": items,
            "total": total,
            "state": state,
            "mine": mine,
            "handles": {c.id: complaints.is_handler(current, c) for c in items},
            **_common(),
        },
    )


async def _office_detail(
    request: Request,
    current: Actor,
    found: Complaint,
    *,
    values: dict[str, str] | None = None,
    error: FupinError | None = None,
) -> Response:
    handler = complaints.is_handler(current, found)
    return render(
        request,
        "disclosure/office_detail.html",
        {
            "c": found,
            "events": list(found.events),
            "files": list(found.attachments),
            "handler": handler,
            "contact_visible": complaints.contact_visible(current, found),
            "next_actions": [t.action for t in complaint_rules.MACHINE.from_state(found.state)]
            if handler
            else [],
            "values": values or dict.fromkeys(HANDLE_FIELDS, ""),
            "error": error,
            "field_errors": field_errors(error),
            **_common(),
        },
        status_code=error.status if error else 200,
    )


async def office_detail(request: Request) -> Response:
    current = require_login(request)
    found = await complaints.get_for_office(current, request.path_params["complaint_id"])
    return await _office_detail(request, current, found)


async def office_handle(request: Request) -> Response:
    form = await read_form(request)
    current = require_login(request)
    complaint_id = request.path_params["complaint_id"]
    values = _texts(form, HANDLE_FIELDS)
    try:
        await complaints.handle(
            current,
            complaint_id,
            values["action"],
            reason=values["reason"],
            outcome=values["outcome"],
            measures=values["measures"],
            public_summary=values["public_summary"],
        )
    except FupinError as exc:
        if exc.status in (401, 403, 404):
            raise
        found = await complaints.get_for_office(current, complaint_id)
        return await _office_detail(request, current, found, values=values, error=exc)
    return redirect(request, f"/complaints/office/{complaint_id}", flash=_("办理情况已记录。"))


async def office_file(request: Request) -> Response:
    current = require_login(request)
    found = await complaints.get_for_office(current, request.path_params["complaint_id"])
    row = await ComplaintAttachment.get_or_none(
        id=request.path_params["file_id"], complaint_id=found.id
    )
    if row is None:
        raise NotFound(_("附件不存在。"), field="file_id")
    path = existing_file(request.app.state.settings.attachments_dir, row.sha256)
    headers = serve_headers("complaint", found.id, row, private=True)
    media_type = headers.pop("Content-Type")
    return FileResponse(path, media_type=media_type, headers=headers)


# ---- supervision ---------------------------------------------------------------------------


async def supervision(request: Request) -> Response:
    current = require_login(request)
    area = await alerts.area_for(current, request.query_params.get("region") or None)
    found = await alerts.all_alerts(area)
    return render(
        request,
        "disclosure/supervision.html",
        {
            "area": area,
            "alerts": found,
            "may_observe": can(current, "supervision.observe"),
            **_common(),
        },
    )


async def alert_page(request: Request) -> Response:
    current = require_login(request)
    code = request.path_params["alert"]
    if code not in ALERTS:
        raise NotFound(_("没有这个预警。"), field="alert")
    params = request.query_params
    area = await alerts.area_for(current, params.get("region") or None)
    threshold_text = params.get("threshold", "")
    if threshold_text and not threshold_text.isdigit():
        raise InvalidInput(_("阈值须为整数。"), field="threshold")
    year_text = params.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    found = await alerts.alert_list(
        area, code, int(threshold_text) if threshold_text else None, year
    )
    if params.get("format") == "csv":
        stamp = exports.today_stamp()
        return Response(
            found.csv(),
            media_type=exports.CSV_MEDIA_TYPE,
            headers=exports.download_headers(f"alert-{code}-{area.code or 'all'}-{stamp}.csv"),
        )
    return render(
        request,
        "disclosure/alert.html",
        {"area": area, "found": found, "query": request.url.query, **_common()},
    )


# ---- docking figures -------------------------------------------------------------------------


def _date_param(request: Request, name: str) -> date | None:
    text = request.query_params.get(name, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("日期格式应为 YYYY-MM-DD。"), field=name) from None


async def docking_page(request: Request) -> Response:
    params = request.query_params
    by = params.get("by", "province")
    category = params.get("category") or None
    if category is not None and category not in CATEGORIES:
        category = None
    found = await docking.docking(
        start=_date_param(request, "start"),
        end=_date_param(request, "end"),
        by=by if by in ("province", "county", "category") else "province",
        region_code=params.get("region") or None,
        category=category,
    )
    return render(
        request,
        "disclosure/docking.html",
        {
            "d": docking.as_dict(found),
            "region": params.get("region", ""),
            "category": category or "",
            "categories": CATEGORIES,
        },
    )


# ---- panels the app composes into other areas' pages ----------------------------------------


async def need_panel(current: Actor | None, need: Need) -> dict[str, Any]:
    """The notices of a need and the complaint link, on the public need page."""
    if need.state not in (*NOTICE_DUE_STATES, "published"):
        return {}
    items, total = await notices.list_notices(need_id=need.id, per_page=10)
    return {
        "need_notices": items,
        "need_notices_total": total,
        "may_publish_notice": notices.may_publish(current, need.county_code),
        "notice_kinds": KINDS,
        "notice_stages": STAGES,
    }


async def place_panel(region: Any) -> dict[str, Any]:
    """The notices and complaint figures of a county, on its public place page."""
    if region.level != "county":
        return {}
    items, total = await notices.list_notices(county_code=region.code, per_page=5)
    stats = await complaints.statistics(county_code=region.code)
    return {
        "county_notices": items,
        "county_notices_total": total,
        "county_complaints": stats[0] if stats else None,
    }


async def workspace_actions(current: Actor, needs: list[Need]) -> dict[int, list[Any]]:
    """Buttons for the workspace's funded needs that lack their notice (county officers)."""
    if current.role != "county_officer" or not current.county_code:
        return {}
    owed, _total = await notices.missing_notices(current.county_code, limit=10_000)
    shown = {n.id for n in needs}
    out: dict[int, list[Any]] = {}
    for item in owed:
        if item.need_id in shown:
            label = STAGES[item.stage]
            out[item.need_id] = [
                _Action(
                    label=label, href=f"/disclosures/new?need={item.need_id}&stage={item.stage}"
                )
            ]
    return out


class _Action:
    def __init__(self, *, label: str, href: str) -> None:
        self.label = label
        self.href = href


async def dashboard_panel(current: Actor | None, level: str, code: str | None) -> dict[str, Any]:
    """A dashboard's supervision counts; on a county's, also the notices owed, complaint
    figures and docking figures of the last year. The national and province dashboards show
    the counts only (``alerts.dashboard_counts``: counted in SQL without reading the long lists,
    and kept until the next write), each linked to its list; the docking figures of a whole
    province or country are on the docking page."""
    if current is None or not can(current, "supervision.view"):
        return {}
    area = await alerts.area_for(current, code)
    if level != "county" or not code:
        return {"supervision_area": area, "supervision_alerts": await alerts.dashboard_counts(area)}
    found = await alerts.all_alerts(area)
    stats = await complaints.statistics(county_code=code)
    return {
        "supervision_area": area,
        "supervision_alerts": found,
        "docking": docking.as_dict(await docking.docking(region_code=code, by="category")),
        "notices_owed": (await notices.missing_notices(code))[1],
        "county_complaints": stats[0] if stats else None,
    }


routes = [
    page("/disclosures", notice_list, methods=["GET"], name="disclosures", action=PUBLIC),
    page(
        "/disclosures",
        notice_publish,
        methods=["POST"],
        name="disclosure_publish",
        action="disclosure.publish",
    ),
    page(
        "/disclosures/new",
        notice_new,
        methods=["GET"],
        name="disclosure_new",
        action="disclosure.publish",
    ),
    page(
        "/disclosures/missing",
        missing,
        methods=["GET"],
        name="disclosures_missing",
        action="disclosure.publish",
    ),
    page(
        "/disclosures/{disclosure_id:id}",
        notice_detail,
        methods=["GET"],
        name="disclosure",
        action=PUBLIC,
    ),
    page(
        "/disclosures/{disclosure_id:id}/take-down",
        take_down,
        methods=["POST"],
        name="disclosure_take_down",
        action="disclosure.publish",
    ),
    page(
        "/disclosures/{disclosure_id:id}/files/{file_id:id}",
        notice_file,
        methods=["GET"],
        name="disclosure_file",
        action=PUBLIC,
    ),
    page("/complaints/new", complaint_new, methods=["GET"], name="complaint_new", action=PUBLIC),
    page("/complaints", complaint_file, methods=["POST"], name="complaint_file", action=PUBLIC),
    page("/complaints/track", track_form, methods=["GET"], name="complaint_track", action=PUBLIC),
    page(
        "/complaints/track/{tracking_code}",
        track,
        methods=["GET"],
        name="complaint_tracked",
        action=PUBLIC,
    ),
    page(
        "/complaints/statistics",
        statistics,
        methods=["GET"],
        name="complaint_statistics",
        action=PUBLIC,
    ),
    page(
        "/complaints/office",
        office_list,
        methods=["GET"],
        name="complaints_office",
        action="complaint.view",
    ),
    page(
        "/complaints/office/{complaint_id:id}",
        office_detail,
        methods=["GET"],
        name="complaint_office",
        action="complaint.view",
    ),
    page(
        "/complaints/office/{complaint_id:id}/handle",
        office_handle,
        methods=["POST"],
        name="complaint_handle",
        action="complaint.handle",
    ),
    page(
        "/complaints/office/{complaint_id:id}/files/{file_id:id}",
        office_file,
        methods=["GET"],
        name="complaint_file_download",
        action="complaint.view",
    ),
    page(
        "/supervision", supervision, methods=["GET"], name="supervision", action="supervision.view"
    ),
    page(
        "/supervision/alerts/{alert}",
        alert_page,
        methods=["GET"],
        name="supervision_alert",
        action="supervision.view",
    ),
    page("/docking", docking_page, methods=["GET"], name="docking", action=PUBLIC),
]
