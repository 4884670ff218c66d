"""/needs: list and search, draft, read, edit, transitions, attachments, history (docs/domain.md §3.4,
§3.12).

``GET /needs`` is one operation with two answers: the database list (filters by code, one value
each), or — on the public scope, with ``q`` (even empty), a search-only facet
(``contiguous_area``, ``amount_band``), ``facets``, ``sort=relevance`` or several values of one
facet — a full-text search answered by the search service (``service/search.py``): public
needs only, hits with highlights, the total and facet counts. Province and county filters of a
search take codes or names (the facet values).
"""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page, RegionCode, invalid_input, validate_form
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.needs.models import Need as NeedRow
from fupin.needs.rules import NEED_EDIT, NEED_STEPS
from fupin.needs.schemas.drafts import NeedCreate, NeedPatch
from fupin.needs.schemas.lists import NeedQuery, NeedSearchPage
from fupin.needs.schemas.views import (
    Need,
    NeedAttachmentStored,
    NeedAttachmentUpload,
    NeedCreated,
    NeedDeadlineExtension,
    NeedEvents,
    NeedEventsPrivate,
    NeedPath,
    NeedPrivate,
    NeedSummary,
    NeedSummaryPrivate,
    NeedTransition,
)
from fupin.needs.service import attachments, drafting, lifecycle, reading
from fupin.needs.service.search import get_service, parse_query_args, wants_search
from fupin.needs.service.visibility import may_view_private

#: The answers of ``GET /needs``: the private list, the public list, or search results.
NeedList = Page[NeedSummaryPrivate] | Page[NeedSummary] | NeedSearchPage


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


_REGION_CODE: TypeAdapter[str] = TypeAdapter(RegionCode)


def _code(values: list[str], field: str) -> str | None:
    """The database list filters by code only (a name is for a search): the last value, as a
    region code."""
    value = _last(values)
    if value is not None:
        try:
            _REGION_CODE.validate_python(value)
        except ValidationError as exc:
            raise invalid_input(exc, root=field) from None
    return value


async def list_needs(request: Request, *, actor: Actor | None, query: NeedQuery) -> NeedList:
    if query.scope == "public" and wants_search(request.query_params.multi_items()):
        service = get_service(request.app.state)
        args = parse_query_args(request.query_params.multi_items(), settings=service.settings)
        return NeedSearchPage.model_validate(await service.search(args))
    private = query.scope == "mine"
    filters = reading.NeedFilters(
        province=_code(query.province, "province"),
        county=_code(query.county, "county"),
        region=query.region,
        category=_last(query.category),
        state=_last(query.state),
        q=query.q,
        sort=query.sort or "newest",
        page=query.page,
        per_page=query.per_page,
    )
    listing = await reading.list_needs(filters, actor=actor, private=private)
    item: type[NeedSummary] = NeedSummaryPrivate if private else NeedSummary
    return Page[item](  # type: ignore[valid-type]  # the item schema is chosen per request
        items=[item.model_validate(n) for n in listing.items],
        total=listing.total,
        page=listing.page,
        per_page=listing.per_page,
    )


async def _view(actor: Actor | None, need: NeedRow) -> Need | NeedPrivate:
    """The need as ``actor`` reads it, with the transitions it may make now."""
    schema = NeedPrivate if may_view_private(actor, need) else Need
    actions = [t.action for t in await lifecycle.available_actions(actor, need)]
    return schema.model_validate(need).model_copy(update={"available_actions": actions})


async def create_need(request: Request, *, actor: Actor, body: NeedCreate) -> NeedRow:
    need = await drafting.draft_need(actor, body, source="api")
    return await reading.get_need(actor, need.id)


async def get_need(request: Request, *, actor: Actor | None, path: NeedPath) -> Need | NeedPrivate:
    return await _view(actor, await reading.get_need(actor, path.need_id))


async def patch_need(
    request: Request, *, actor: Actor, path: NeedPath, body: NeedPatch
) -> Need | NeedPrivate:
    return await _view(actor, await drafting.edit_need(actor, path.need_id, body))


async def transition_need(
    request: Request, *, actor: Actor, path: NeedPath, body: NeedTransition
) -> Need | NeedPrivate:
    need = await lifecycle.transition_need(
        actor,
        path.need_id,
        body.action,
        reason=body.reason,
        acknowledge_duplicates=body.acknowledge_duplicates,
    )
    return await _view(actor, need)


async def extend_need_deadline(
    request: Request, *, actor: Actor, path: NeedPath, body: NeedDeadlineExtension
) -> Need | NeedPrivate:
    need = await lifecycle.extend_deadline(actor, path.need_id, body.deadline, reason=body.reason)
    return await _view(actor, need)


async def attach_to_need(request: Request, *, actor: Actor, path: NeedPath) -> NeedAttachmentStored:
    """The multipart body (``NeedAttachmentUpload``) is read here: the file up to the size
    limit, then the fields checked by the schema."""
    settings = request.app.state.settings
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 65536:
        raise InvalidInput(_("文件过大。"), field="file", code="too_large")
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("请以 multipart/form-data 上传文件字段 file。"), field="file")
    data = await upload.read(settings.max_upload_bytes + 1)
    fields = validate_form(NeedAttachmentUpload, {"file": data, "purpose": form.get("purpose")})
    row = await attachments.add_attachment(
        actor,
        path.need_id,
        data=fields.file,
        filename=upload.filename or "",
        purpose=fields.purpose,
        attachments_dir=settings.attachments_dir,
        max_bytes=settings.max_upload_bytes,
    )
    return NeedAttachmentStored.model_validate(row)


async def list_need_events(
    request: Request, *, actor: Actor | None, path: NeedPath
) -> NeedEvents | NeedEventsPrivate:
    events = await reading.need_events(actor, path.need_id)
    need = await reading.get_need(actor, path.need_id, details=False)
    # the rows are read into the schema by attribute (from_attributes)
    if may_view_private(actor, need):
        return NeedEventsPrivate.model_validate({"items": events})
    return NeedEvents.model_validate({"items": events})


endpoints = [
    Endpoint(
        "GET",
        "/needs",
        list_needs,
        "Needs: the public list, or (scope=mine) the needs of the caller's village/county/"
        "province; with q (or a search-only facet) a full-text search with facet counts",
        query=NeedQuery,
        auth="optional",
        response=NeedList,
        errors=(403, 503),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/needs",
        create_need,
        "Draft a need (village worker: own village; county officer: own county)",
        body=NeedCreate,
        auth="required",
        response=NeedCreated,
        status=201,
        action="need.draft",
    ),
    Endpoint(
        "GET",
        "/needs/{need_id}",
        get_need,
        "One need (public once published; drafts only within the caller's scope)",
        params=NeedPath,
        auth="optional",
        response=NeedPrivate | Need,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "PATCH",
        "/needs/{need_id}",
        patch_need,
        "Edit a need's content",
        params=NeedPath,
        body=NeedPatch,
        auth="required",
        response=NeedPrivate | Need,
        errors=(404, 409),
        action=NEED_EDIT,
    ),
    Endpoint(
        "POST",
        "/needs/{need_id}/transitions",
        transition_need,
        "Move a need through its lifecycle (submit, publish, return, start, deliver, "
        "confirm_receipt, close, dispute, withdraw)",
        params=NeedPath,
        body=NeedTransition,
        auth="required",
        response=NeedPrivate | Need,
        errors=(404, 409),
        action=NEED_STEPS,
    ),
    Endpoint(
        "POST",
        "/needs/{need_id}/deadline",
        extend_need_deadline,
        "Extend the deadline of a need that takes pledges (county; reason required); pledges "
        "may then be due up to the new day",
        params=NeedPath,
        body=NeedDeadlineExtension,
        auth="required",
        response=NeedPrivate | Need,
        errors=(404, 409),
        action="need.extend_deadline",
    ),
    Endpoint(
        "POST",
        "/needs/{need_id}/attachments",
        attach_to_need,
        "Attach a photo (JPEG/PNG/WebP) or PDF; the content must match the name",
        params=NeedPath,
        form=NeedAttachmentUpload,
        auth="required",
        response=NeedAttachmentStored,
        status=201,
        errors=(400, 404, 409),
        action="need.attach",
    ),
    Endpoint(
        "GET",
        "/needs/{need_id}/events",
        list_need_events,
        "The need's history: every transition with who, when and why",
        params=NeedPath,
        auth="optional",
        response=NeedEventsPrivate | NeedEvents,
        errors=(404,),
        action=PUBLIC,
    ),
]
