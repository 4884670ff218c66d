"""Needs pages: the public list and need page, the county/village workspace, the drafting form
(phones first), the review page with duplicate warnings, transitions, attachments, bulk import
and exports (docs/domain.md §3.4). Handlers parse, call the needs services, render.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from fupin.core import exports
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.core.jsonapi import parse_query
from fupin.core.money import input_yuan
from fupin.core.policy import PUBLIC, Scope, can, require
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import actor, field_errors, read_form, redirect, render, require_login
from fupin.errors import Conflict, FupinError, InvalidInput, RuleViolation
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.needs.rules import (
    ATTACHMENT_PURPOSES,
    LISTABLE_STATES,
    NEED_EDIT,
    NEED_STEPS,
    REASON_PROMPTS,
    SORT_LABELS,
    SORTS,
    STATES,
    WORKSPACE_ACTIONS,
    effective_state,
)
from fupin.needs.schemas.drafts import NeedForm
from fupin.needs.schemas.lists import NeedListQuery, WorkspaceQuery
from fupin.needs.schemas.views import (
    NeedAttachmentUpload,
    NeedDeadlineExtension,
    NeedEvent,
    NeedEventPrivate,
    NeedTransition,
)
from fupin.needs.service import attachments, drafting, lifecycle, presentation, reading
from fupin.needs.service import importer as need_import
from fupin.needs.service.visibility import may_view_private, need_scope
from fupin.regions import service as regions
from fupin.regions.models import Region

ITEM_ROWS = 5


# --- helpers ------------------------------------------------------------------------------------


def _filters(request: Request, query: type[NeedListQuery] = NeedListQuery) -> reading.NeedFilters:
    """The list's filters from the query string (422 naming a bad one)."""
    return reading.NeedFilters(**parse_query(request, query).model_dump())


def _errors_by_field(error: FupinError | None) -> dict[str, str]:
    if error is None:
        return {}
    if isinstance(error, InvalidInput) and error.errors:
        out: dict[str, str] = {}
        for e in error.errors:
            out.setdefault(e.field, e.message)
        return out
    return {error.field or "": error.message}


#: The drafting form's fields, and those of one row of its item table.
FORM_FIELDS = (
    "region_code", "category", "title", "description", "target_yuan",
    "beneficiary_households", "beneficiary_people", "deadline",
)  # fmt: skip
ITEM_FIELDS = ("name", "quantity", "unit", "unit_value_yuan")


def _form_values(form: FormData) -> dict[str, Any]:
    """The drafting form → the services' input (money in 元, items from the numbered rows)."""
    values: dict[str, Any] = {key: str(form.get(key, "")) for key in FORM_FIELDS}
    items: list[dict[str, Any]] = []
    for i in range(ITEM_ROWS * 4):
        name = str(form.get(f"item_name_{i}", "")).strip()
        quantity = str(form.get(f"item_quantity_{i}", "")).strip()
        unit = str(form.get(f"item_unit_{i}", "")).strip()
        value = str(form.get(f"item_value_{i}", "")).strip()
        if name or quantity or unit or value:
            items.append(
                {"name": name, "quantity": quantity, "unit": unit, "unit_value_yuan": value}
            )
    values["items"] = items
    return values


def _values_of(need: Need) -> dict[str, Any]:
    return {
        "region_code": need.region_id,
        "category": need.category,
        "title": need.title,
        "description": need.description,
        "target_yuan": input_yuan(need.target_fen),
        "beneficiary_households": need.beneficiary_households,
        "beneficiary_people": need.beneficiary_people,
        "deadline": need.deadline.isoformat(),
        "items": [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit": i.unit,
                "unit_value_yuan": input_yuan(i.unit_value_fen),
            }
            for i in need.items
        ],
    }


def _item_errors(errors: dict[str, str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, message in errors.items():
        found = re.match(r"items\[(\d+)\]", key)
        if found:
            out.setdefault(int(found.group(1)), message)
    return out


def _local_time(moment: datetime | None) -> str:
    """China time (UTC+8) for the history: county staff read their own clock."""
    if moment is None:
        return ""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _page_state(need: Need) -> str:
    return effective_state(need.state, need.deadline, today_cn())


# --- public list ---------------------------------------------------------------------------------


#: The list's sorts that the search has too (a query carries them over; ``raising`` and
#: ``closest`` have no twin there, where relevance decides).
_SEARCH_SORTS = frozenset(SORTS)


async def need_list(request: Request) -> Response:
    filters = _filters(request)
    if filters.q and filters.q.strip():
        # One search path: words go to the search engine (/search), which matches places,
        # descriptions and items, not only titles as a list filter would.
        keep = [("q", filters.q.strip())]
        keep += [
            (name, value)
            for name in ("province", "county", "category", "state")
            if (value := getattr(filters, name))
        ]
        if filters.sort in _SEARCH_SORTS:
            keep.append(("sort", filters.sort))
        return RedirectResponse("/search?" + urlencode(keep), status_code=303)
    listing = await reading.list_needs(
        filters, actor=actor(request), card=True, count_ahead=reading.COUNT_AHEAD
    )
    # The village picker without JavaScript: a name typed in place_q lists the matching
    # villages (within the chosen county or province) as links that filter by region.
    place_q = (request.query_params.get("place_q") or "").strip()[:64]
    within = Scope(county_code=filters.county or "", province_code=filters.province or "")
    places = await regions.search_villages(place_q, within) if place_q else []
    place = await Region.get_or_none(code=filters.region) if filters.region else None
    provinces = await regions.choices("province")
    counties = (
        await regions.choices("county", province=filters.province) if filters.province else []
    )
    return render(
        request,
        "needs/list.html",
        {
            "listing": listing,
            "filters": filters,
            "provinces": provinces,
            "counties": counties,
            "place_q": place_q,
            "places": places,
            "place": place,
            "states": LISTABLE_STATES,
            "sorts": SORT_LABELS,
            "state_label": presentation.state_label,
            "query_string": request.url.query,
            "today": today_cn(),
        },
    )


# --- need page ----------------------------------------------------------------------------------


async def _detail_context(request: Request, need: Need) -> dict[str, Any]:
    current = actor(request)
    events = await reading.need_events(current, need.id)
    private = may_view_private(current, need)
    event_view = NeedEventPrivate if private else NeedEvent
    context_region = await presentation.region_context(need)
    proposal = [a for a in need.attachments if a.purpose in ("photo", "budget")]
    photos = [a for a in proposal if a.content_type.startswith("image/")]
    documents = [a for a in proposal if not a.content_type.startswith("image/")]
    context: dict[str, Any] = {"need_money": None}
    # Panels of the areas above needs (money's pledge box), composed by the app (fupin.app), so
    # that needs imports none of them.
    for panel in request.app.state.need_page_panels:
        context.update(await panel(current, need))
    return context | {
        "need": need,
        "state": _page_state(need),
        "events": [
            {**event_view.model_validate(e).model_dump(mode="json"), "at_local": _local_time(e.at)}
            for e in events
        ],
        "private": private,
        "place": context_region,
        "photos": photos,
        "documents": documents,
        "evidence": [
            a for a in need.attachments if a.purpose in ("evidence", "receipt_confirmation")
        ],
        "actions": await lifecycle.available_actions(current, need),
        "reason_prompts": REASON_PROMPTS,
        "may_edit": lifecycle.may_edit(current, need),
        "may_extend_deadline": lifecycle.may_extend_deadline(current, need),
        "may_attach": lifecycle.may_attach(current, need),
        "may_review": need.state == "submitted" and can(current, "need.publish", need_scope(need)),
        "purposes": ATTACHMENT_PURPOSES,
        "state_label": presentation.state_label,
        "action_label": presentation.action_label,
        "may_see_likely_donors": need.state in ("published", "funded")
        and can(current, "likely_donors.view", need_scope(need)),
        "max_upload_mb": request.app.state.settings.max_upload_bytes // (1024 * 1024),
    }


async def need_detail(
    request: Request,
    *,
    error: FupinError | None = None,
    deadline_values: dict[str, str] | None = None,
    transition_values: dict[str, str] | None = None,
    upload_values: dict[str, Any] | None = None,
) -> Response:
    need = await reading.get_need(actor(request), request.path_params["need_id"])
    context = await _detail_context(request, need)
    context["error"] = error
    # A refused step or upload comes back in its own form (see needs/_actions.html).
    context["transition_values"] = transition_values or {}
    context["upload_values"] = upload_values or {}
    # A refused deadline extension comes back open, with what was typed and the messages.
    context["deadline_values"] = deadline_values or {"deadline": "", "reason": ""}
    context["deadline_open"] = deadline_values is not None
    context["field_errors"] = field_errors(error) if deadline_values is not None else {}
    return render(request, "needs/detail.html", context, status_code=error.status if error else 200)


# --- drafting and editing --------------------------------------------------------------------------


async def _form(
    request: Request,
    *,
    values: dict[str, Any],
    need: Need | None = None,
    error: FupinError | None = None,
) -> Response:
    current = require_login(request)
    place_q = (request.query_params.get("place_q") or "").strip()[:64]
    choices = (
        await reading.villages_for(current, place_q, str(values.get("region_code") or ""))
        if need is None or need.state != "submitted"
        else []
    )
    errors = _errors_by_field(error)
    items = list(values.get("items") or [])
    rows = max(ITEM_ROWS, len(items) + 1)
    items += [dict.fromkeys(ITEM_FIELDS, "") for _row in range(rows - len(items))]
    return render(
        request,
        "needs/form.html",
        {
            "values": values,
            "need": need,
            "regions": choices,
            "place_q": place_q,
            "categories": presentation.category_choices(),
            "items": items,
            "errors": errors,
            "item_errors": _item_errors(errors),
            "error": error,
            "min_deadline": (today_cn() + timedelta(days=1)).isoformat(),
        },
        status_code=error.status if error else 200,
    )


async def need_new(request: Request) -> Response:
    current = require(require_login(request), "need.draft")
    default_region = current.region_code if current.role == "village_worker" else ""
    values: dict[str, Any] = dict.fromkeys(FORM_FIELDS, "")
    values.update(region_code=default_region, items=[])
    return await _form(request, values=values)


async def need_create(request: Request) -> Response:
    form = await read_form(request)
    current = require(require_login(request), "need.draft")
    values = _form_values(form)
    try:
        need = await drafting.draft_need(current, validate_form(NeedForm, values))
        if form.get("then") == "submit":
            await lifecycle.transition_need(current, need.id, "submit")
    except InvalidInput as exc:
        return await _form(request, values=values, error=exc)
    message = _("已提交县扶贫办审核。") if form.get("then") == "submit" else _("草稿已保存。")
    return redirect(request, f"/needs/{need.id}", flash=message)


async def need_edit(request: Request) -> Response:
    current = require_login(request)
    need = await reading.get_need(current, request.path_params["need_id"])
    drafting.check_editable(current, need)
    return await _form(request, values=_values_of(need), need=need)


async def need_update(request: Request) -> Response:
    form = await read_form(request)
    current = require_login(request)
    need_id = request.path_params["need_id"]
    values = _form_values(form)
    try:
        changes = validate_form(NeedForm, values).patch()
        need = await drafting.edit_need(current, need_id, changes)
        if form.get("then") == "submit" and need.state in ("draft", "returned"):
            await lifecycle.transition_need(current, need.id, "submit")
    except InvalidInput as exc:
        need = await reading.get_need(current, need_id)
        return await _form(request, values=values, need=need, error=exc)
    return redirect(request, f"/needs/{need_id}", flash=_("已保存。"))


# --- review and transitions ----------------------------------------------------------------------


async def need_review(
    request: Request,
    *,
    error: FupinError | None = None,
    transition_values: dict[str, str] | None = None,
) -> Response:
    current = require_login(request)
    need = await reading.get_need(current, request.path_params["need_id"])
    require(current, "need.review", need_scope(need))
    duplicates = await reading.possible_duplicates(need) if need.state == "submitted" else []
    context = await _detail_context(request, need)
    context.update(
        {"duplicates": duplicates, "error": error, "transition_values": transition_values or {}}
    )
    return render(request, "needs/review.html", context, status_code=error.status if error else 200)


async def need_transition(request: Request) -> Response:
    form = await read_form(request)
    current = require_login(request)
    need_id = request.path_params["need_id"]
    back = form.get("back") if form.get("back") in ("review", "workspace") else "detail"
    try:
        step = validate_form(NeedTransition, form)
        need = await lifecycle.transition_need(
            current,
            need_id,
            step.action,
            reason=step.reason,
            acknowledge_duplicates=step.acknowledge_duplicates,
        )
    except (InvalidInput, RuleViolation, Conflict) as exc:
        typed = {
            name: value.strip() if isinstance(value := form.get(name, ""), str) else ""
            for name in ("action", "reason")
        }
        if back == "review":
            return await need_review(request, error=exc, transition_values=typed)
        return await need_detail(request, error=exc, transition_values=typed)
    flash = _(
        "已%(a)s：现在是“%(s)s”。",
        a=presentation.action_label(step.action),
        s=presentation.state_label(need.state),
    )
    return redirect(
        request, "/workspace" if back == "workspace" else f"/needs/{need_id}", flash=flash
    )


async def need_deadline(request: Request) -> Response:
    """The county extends the deadline (form on the need page); refusals are shown there."""
    form = await read_form(request)
    current = require_login(request)
    need_id = request.path_params["need_id"]
    typed = {
        name: value.strip() if isinstance(value := form.get(name, ""), str) else ""
        for name in ("deadline", "reason")
    }
    try:
        data = validate_form(NeedDeadlineExtension, form)
        need = await lifecycle.extend_deadline(current, need_id, data.deadline, reason=data.reason)
    except (InvalidInput, RuleViolation, Conflict) as exc:
        return await need_detail(request, error=exc, deadline_values=typed)
    return redirect(
        request,
        f"/needs/{need_id}",
        flash=_("截止日期已延长至 %(d)s。", d=need.deadline.isoformat()),
    )


# --- attachments ----------------------------------------------------------------------------------


async def attachment_upload(request: Request) -> Response:
    settings = request.app.state.settings
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 65536:
        raise InvalidInput(_("文件过大。"), field="file", code="too_large")
    form = await read_form(request)
    current = require_login(request)
    need_id = request.path_params["need_id"]
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise InvalidInput(_("请选择要上传的文件。"), field="file", code="required")
        data = await upload.read(settings.max_upload_bytes + 1)
        fields = validate_form(NeedAttachmentUpload, {"file": data, "purpose": form.get("purpose")})
        await attachments.add_attachment(
            current,
            need_id,
            data=fields.file,
            filename=upload.filename or "",
            purpose=fields.purpose,
            attachments_dir=settings.attachments_dir,
            max_bytes=settings.max_upload_bytes,
        )
    except (InvalidInput, RuleViolation) as exc:
        purpose = form.get("purpose")
        return await need_detail(
            request,
            error=exc,
            upload_values={"error": exc, "purpose": purpose if isinstance(purpose, str) else ""},
        )
    return redirect(request, f"/needs/{need_id}#attachments", flash=_("附件已上传。"))


async def attachment_serve(request: Request) -> Response:
    need_id = request.path_params["need_id"]
    row, path = await attachments.open_attachment(
        actor(request),
        need_id,
        request.path_params["attachment_id"],
        attachments_dir=request.app.state.settings.attachments_dir,
    )
    headers = attachments.response_headers(need_id, row)
    media_type = headers.pop("Content-Type")
    return FileResponse(path, media_type=media_type, headers=headers)


# --- workspace ------------------------------------------------------------------------------------


async def _workspace_next_actions(
    request: Request, current: Any, needs: list[Need]
) -> dict[int, list[dict[str, str]]]:
    """Each need's next actions as buttons: the delivery steps the actor may take now (a
    one-click form; a step that needs a description or evidence leads to its form on the need
    page), then the work the areas above needs add (the money: record, confirm, receipt,
    official numbers), so the workspace says what to do rather than only what exists."""
    found: dict[int, list[dict[str, str]]] = {}
    for need in needs:
        for t in await lifecycle.available_actions(current, need):
            if t.action not in WORKSPACE_ACTIONS:
                continue
            label = presentation.action_label(t.action)
            if t.reason_required or t.guards:
                item = {"label": label, "href": f"/needs/{need.id}#act-{t.action}"}
            else:
                item = {"label": label, "action": t.action}
            found.setdefault(need.id, []).append(item)
    for provider in request.app.state.workspace_action_providers:
        for need_id, actions in (await provider(current, needs)).items():
            found.setdefault(need_id, []).extend(
                {"label": _(a.label), "href": a.href} for a in actions
            )
    return found


async def workspace(request: Request) -> Response:
    current = require(require_login(request), "need.view_private")
    filters = _filters(request, WorkspaceQuery)
    counts = await reading.state_counts(current)
    listing = await reading.list_needs(filters, actor=current, private=True)
    return render(
        request,
        "needs/workspace.html",
        {
            "listing": listing,
            "next_actions": await _workspace_next_actions(request, current, listing.items),
            "filters": filters,
            "counts": counts,
            "total": sum(counts.values()),
            "states": STATES,
            "state_label": presentation.state_label,
            "can_draft": can(current, "need.draft"),
            "can_import": can(current, "need.import"),
            "can_review": can(current, "need.review"),
            "query_string": request.url.query,
            "today": today_cn(),
        },
    )


# --- import ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[0-9a-f]{64}\.(csv|xlsx)")


def _import_context() -> dict[str, Any]:
    """The import page before any upload: no report, nothing kept, nothing refused."""
    return {
        "columns": need_import.COLUMNS,
        "report": None,
        "token": "",
        "filename": "",
        "error": None,
    }


async def import_page(request: Request) -> Response:
    require(require_login(request), "need.import")
    return render(request, "needs/import.html", _import_context())


async def import_upload(request: Request) -> Response:
    """Without ``token``: a new upload, checked (dry run) and kept for the commit. With it: the
    commit of that kept file, which is checked again and created all-or-nothing."""
    settings = request.app.state.settings
    form = await read_form(request)
    current = require(require_login(request), "need.import")
    context = _import_context()
    directory = settings.var_dir / "imports"
    try:
        token = str(form.get("token", ""))
        if token:
            path = directory / token
            if not _TOKEN.fullmatch(token) or not path.is_file():
                raise InvalidInput(_("导入文件已失效，请重新上传。"), field="file")
            filename = attachments.clean_filename(str(form.get("filename", "")))
            if not filename.lower().endswith(token[token.index(".") :]):
                filename = token
            report = await need_import.commit(
                current,
                path.read_bytes(),
                filename,
                max_rows=settings.import_max_rows,
                max_bytes=settings.import_max_bytes,
            )
            if report.committed:
                path.unlink(missing_ok=True)
                return redirect(
                    request,
                    "/workspace?state=submitted",
                    flash=_("已导入 %(n)d 条需求，等待审核发布。", n=len(report.created)),
                )
            context.update(report=report, token="", filename=filename)
            return render(request, "needs/import.html", context, status_code=422)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(_("请选择 CSV 或 XLSX 文件。"), field="file", code="required")
        data = await upload.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise InvalidInput(_("文件过大。"), field="file", code="too_large")
        filename = attachments.clean_filename(upload.filename)
        report = await need_import.dry_run(
            current,
            data,
            filename,
            max_rows=settings.import_max_rows,
            max_bytes=settings.import_max_bytes,
        )
        token = ""
        if report.ok:
            extension = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
            token = f"{hashlib.sha256(data).hexdigest()}.{extension}"
            directory.mkdir(parents=True, exist_ok=True)
            _forget_old_uploads(directory)
            (directory / token).write_bytes(data)
        context.update(report=report, token=token, filename=filename)
        return render(request, "needs/import.html", context, status_code=200 if report.ok else 422)
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "needs/import.html", context, status_code=exc.status)


#: A checked upload waits this long for its commit before it is deleted.
IMPORT_KEEP_SECONDS = 24 * 3600


def _forget_old_uploads(directory: Path) -> None:
    cutoff = time.time() - IMPORT_KEEP_SECONDS
    for path in directory.iterdir():
        if _TOKEN.fullmatch(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _template(fmt: str) -> Response:
    if fmt == "xlsx":
        body, media = need_import.template_xlsx(), exports.XLSX_MEDIA_TYPE
    else:
        body, media = need_import.template_csv(), exports.CSV_MEDIA_TYPE
    return Response(
        body, media_type=media, headers=exports.download_headers(f"needs-template.{fmt}")
    )


async def import_template_csv(request: Request) -> Response:
    return _template("csv")


async def import_template_xlsx(request: Request) -> Response:
    return _template("xlsx")


# --- export ---------------------------------------------------------------------------------------


async def _export(request: Request, fmt: str) -> Response:
    """The list as filtered (public), or ``scope=mine``: the needs the user may see in full."""
    current = actor(request)
    private = request.query_params.get("scope") == "mine"
    if private:
        require(require_login(request), "need.view_private")
    filters = reading.check_filters(_filters(request), private=private)
    columns = presentation.export_columns(private=private)
    rows = presentation.export_rows(filters, actor=current, private=private)
    name = f"needs-{exports.today_stamp()}.{fmt}"
    if fmt == "csv":
        return StreamingResponse(
            exports.iter_csv(columns, rows),
            media_type=exports.CSV_MEDIA_TYPE,
            headers=exports.download_headers(name),
        )
    body = await exports.xlsx_bytes(columns, rows, sheet_title=_("需求"))
    return Response(
        body, media_type=exports.XLSX_MEDIA_TYPE, headers=exports.download_headers(name)
    )


async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


routes = [
    page("/needs", need_list, methods=["GET"], name="needs", action=PUBLIC),
    page("/needs/new", need_new, methods=["GET"], name="need_new", action="need.draft"),
    page("/needs/new", need_create, methods=["POST"], name="need_create", action="need.draft"),
    page("/needs/import", import_page, methods=["GET"], name="need_import", action="need.import"),
    page(
        "/needs/import",
        import_upload,
        methods=["POST"],
        name="need_import_post",
        action="need.import",
    ),
    page(
        "/needs/import/template.csv",
        import_template_csv,
        methods=["GET"],
        name="need_template_csv",
        action="need.import",
    ),
    page(
        "/needs/import/template.xlsx",
        import_template_xlsx,
        methods=["GET"],
        name="need_template_xlsx",
        action="need.import",
    ),
    page(
        "/needs/export.csv",
        export_csv,
        methods=["GET"],
        name="need_export_csv",
        action=PUBLIC,
    ),
    page(
        "/needs/export.xlsx",
        export_xlsx,
        methods=["GET"],
        name="need_export_xlsx",
        action=PUBLIC,
    ),
    page(
        "/needs/{need_id:id}/deadline",
        need_deadline,
        methods=["POST"],
        name="need_deadline",
        action="need.extend_deadline",
    ),
    page("/needs/{need_id:id}", need_detail, methods=["GET"], name="need", action=PUBLIC),
    page(
        "/needs/{need_id:id}/edit", need_edit, methods=["GET"], name="need_edit", action=NEED_EDIT
    ),
    page(
        "/needs/{need_id:id}/edit",
        need_update,
        methods=["POST"],
        name="need_update",
        action=NEED_EDIT,
    ),
    page(
        "/needs/{need_id:id}/review",
        need_review,
        methods=["GET"],
        name="need_review",
        action="need.review",
    ),
    page(
        "/needs/{need_id:id}/transition",
        need_transition,
        methods=["POST"],
        name="need_transition",
        action=NEED_STEPS,
    ),
    page(
        "/needs/{need_id:id}/attachments",
        attachment_upload,
        methods=["POST"],
        name="need_attach",
        action="need.attach",
    ),
    page(
        "/needs/{need_id:id}/attachments/{attachment_id:id}",
        attachment_serve,
        methods=["GET"],
        name="need_attachment",
        action=PUBLIC,
    ),
    page("/workspace", workspace, methods=["GET"], name="workspace", action="need.view_private"),
]
