"""Progress pages: the update form of a need, its photos, the follow buttons, the need page's
progress panel, and the needs a donor follows and supports under the progress filter of the one
inbox (``/me/notifications``; the updates themselves reach donors as notifications only)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from fupin.core.policy import PUBLIC, Actor, can
from fupin.core.routing import page
from fupin.core.web import actor, field_errors, read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput, RuleViolation
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.needs.service.presentation import state_label
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope
from fupin.progress import service
from fupin.progress.rules import (
    PHOTOS_MAX,
    PROGRESS_KIND,
    TEXT_MAX,
    UPDATE_KINDS,
    UPDATE_STATES,
)

FIELDS = ("kind", "text")


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
            "field_errors": field_errors(error),
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


async def updates_moved(request: Request) -> Response:
    """The update inbox became the progress filter of the one inbox; old e-mail and bookmark
    links land there (permanently moved)."""
    return RedirectResponse(f"/me/notifications?kind={PROGRESS_KIND}", status_code=301)


async def notification_panel(current: Actor, kind: str | None) -> dict[str, Any]:
    """Under the inbox's progress filter, the needs the participant follows or supports with
    their latest update. Composed by the app (``fupin.app``), so that notify imports nothing of
    progress."""
    if kind != PROGRESS_KIND or current.participant_id is None or not can(current, "inbox.view"):
        return {}
    return {"my_needs": await service.my_needs(current), "my_needs_state_label": state_label}


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
    # Anyone: an old link opened signed out still lands on the inbox (which asks to sign in).
    page("/me/updates", updates_moved, methods=["GET"], name="update_inbox", action=PUBLIC),
]
