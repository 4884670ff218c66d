"""Progress pages: the update form of a need, its photos, the follow buttons, the donor's update
inbox with the needs it follows and supports, and the need page's progress panel."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from fupin.core.policy import PUBLIC, Actor, can
from fupin.core.routing import page
from fupin.core.web import actor, page_args, read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput, RuleViolation
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.needs.service.presentation import state_label
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope
from fupin.progress import service
from fupin.progress.rules import PHOTOS_MAX, TEXT_MAX, UPDATE_KINDS, UPDATE_STATES

FIELDS = ("kind", "text")


def _field_errors(error: FupinError | None) -> dict[str, str]:
    if error is None:
        return {}
    items = (
        [(e.field, e.message) for e in error.errors]
        if isinstance(error, InvalidInput)
        else [(error.field, error.message)]
    )
    found: dict[str, str] = {}
    for field, message in items:
        if field:
            found.setdefault(field, message)
    return found


async def _form(
    request: Request,
    need_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FupinError | None = None,
) -> Response:
    current = require_login(request)
    need = await get_need(current, need_id, details=False)
    return render(
        request,
        "progress/update_form.html",
        {
            "need": need,
            "values": values or {"kind": "", "text": ""},
            "error": error,
            "field_errors": _field_errors(error),
            "kinds": UPDATE_KINDS,
            "text_max": TEXT_MAX,
            "photos_max": PHOTOS_MAX,
            "max_upload_mb": request.app.state.settings.max_upload_bytes // (1024 * 1024),
            "open": need.state in UPDATE_STATES,
        },
        status_code=error.status if error else 200,
    )


async def update_new(request: Request) -> Response:
    return await _form(request, request.path_params["need_id"])


async def update_create(request: Request) -> Response:
    settings = request.app.state.settings
    form = await read_form(request)
    current = require_login(request)
    need_id = request.path_params["need_id"]
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    photos = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(settings.max_upload_bytes + 1)
            photos.append(service.PhotoUpload(data, upload.filename))
    try:
        await service.post_update(
            current,
            need_id,
            kind=values["kind"],
            text=values["text"],
            photos=photos,
            attachments_dir=settings.attachments_dir,
            max_bytes=settings.max_upload_bytes,
        )
    except (InvalidInput, RuleViolation) as exc:
        return await _form(request, need_id, values=values, error=exc)
    return redirect(
        request, f"/needs/{need_id}#progress", flash=_("进展已发布，已通知本需求的捐赠方。")
    )


async def photo_serve(request: Request) -> Response:
    photo, path = await service.open_photo(
        actor(request),
        request.path_params["need_id"],
        request.path_params["update_id"],
        request.path_params["photo_id"],
        attachments_dir=request.app.state.settings.attachments_dir,
    )
    return FileResponse(path, media_type=photo.content_type, headers=service.photo_headers(photo))


async def need_follow(request: Request) -> Response:
    current = require_login(request)
    need_id = request.path_params["need_id"]
    await service.follow(current, need_id)
    return redirect(
        request, f"/needs/{need_id}#progress", flash=_("已关注。本需求的进展会送到您的收件箱。")
    )


async def need_unfollow(request: Request) -> Response:
    current = require_login(request)
    need_id = request.path_params["need_id"]
    await service.unfollow(current, need_id)
    return redirect(request, f"/needs/{need_id}#progress", flash=_("已取消关注。"))


async def updates_inbox(request: Request) -> Response:
    current = require_login(request)
    page_no, per_page = page_args(request)
    unread_only = request.query_params.get("unread") == "1"
    listing = await service.notices(
        current, page=page_no, per_page=per_page, unread_only=unread_only
    )
    return render(
        request,
        "progress/inbox.html",
        {
            "listing": listing,
            "unread_only": unread_only,
            "needs": await service.my_needs(current),
            "state_label": state_label,
        },
    )


async def updates_read_all(request: Request) -> Response:
    current = require_login(request)
    await service.mark_read(current)
    return redirect(request, "/me/updates", flash=_("进展已全部标为已读。"))


async def update_read(request: Request) -> Response:
    current = require_login(request)
    await service.mark_read(current, request.path_params["notice_id"])
    return redirect(request, "/me/updates")


async def need_panel(current: Actor | None, need: Need) -> dict[str, Any]:
    """The need page's progress: updates and delivery steps in order, the update button for the
    need's county officers and village workers, the follow button for donors. Composed by the
    app (``fupin.app``), so that needs imports nothing of progress."""
    may_follow = current is not None and can(current, "need.follow")
    return {
        "progress": await service.progress(need),
        "progress_kind_labels": UPDATE_KINDS,
        "may_post_update": need.state in UPDATE_STATES
        and can(current, "need.post_update", need_scope(need)),
        "may_follow": may_follow,
        "following": await service.is_following(current, need.id) if may_follow else False,
    }


routes = [
    page(
        "/needs/{need_id:id}/updates/new",
        update_new,
        methods=["GET"],
        name="need_update_new",
        action="need.post_update",
    ),
    page(
        "/needs/{need_id:id}/updates",
        update_create,
        methods=["POST"],
        name="need_update_create",
        action="need.post_update",
    ),
    page(
        "/needs/{need_id:id}/updates/{update_id:id}/photos/{photo_id:id}",
        photo_serve,
        methods=["GET"],
        name="need_update_photo",
        action=PUBLIC,
    ),
    page(
        "/needs/{need_id:id}/follow",
        need_follow,
        methods=["POST"],
        name="need_follow",
        action="need.follow",
    ),
    page(
        "/needs/{need_id:id}/unfollow",
        need_unfollow,
        methods=["POST"],
        name="need_unfollow",
        action="need.follow",
    ),
    page("/me/updates", updates_inbox, methods=["GET"], name="update_inbox", action="inbox.view"),
    page(
        "/me/updates/read",
        updates_read_all,
        methods=["POST"],
        name="update_read_all",
        action="inbox.view",
    ),
    page(
        "/me/updates/{notice_id:id}/read",
        update_read,
        methods=["POST"],
        name="update_read",
        action="inbox.view",
    ),
]
