"""Progress API: a need's updates (public with the need), posting one (the need's county
officers and village workers) and following a need (participant members). The updates reach
their audience as notifications: ``GET /me/notifications?kind=need_progress`` (fupin.notify.api)."""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.progress import service
from fupin.progress.schemas import (
    FollowState,
    NeedUpdate,
    NeedUpdateCreate,
    NeedUpdateList,
    NeedUpdatePath,
)


async def list_need_updates(
    request: Request, *, actor: Actor | None, path: NeedUpdatePath
) -> NeedUpdateList:
    return NeedUpdateList(
        items=[
            NeedUpdate.model_validate(u) for u in await service.need_updates(actor, path.need_id)
        ]
    )


async def create_need_update(
    request: Request, *, actor: Actor, path: NeedUpdatePath, body: NeedUpdateCreate
) -> service.UpdateView:
    settings = request.app.state.settings
    update = await service.post_update(
        actor,
        path.need_id,
        kind=body.kind,
        text=body.text,
        attachments_dir=settings.attachments_dir,
        max_bytes=settings.max_upload_bytes,
    )
    views = await service.need_updates(actor, path.need_id)
    return next(v for v in views if v.id == update.id)


async def follow_need(request: Request, *, actor: Actor, path: NeedUpdatePath) -> FollowState:
    return FollowState(need_id=path.need_id, following=await service.follow(actor, path.need_id))


async def unfollow_need(request: Request, *, actor: Actor, path: NeedUpdatePath) -> FollowState:
    return FollowState(need_id=path.need_id, following=await service.unfollow(actor, path.need_id))


endpoints = [
    Endpoint(
        "GET",
        "/needs/{need_id}/updates",
        list_need_updates,
        "A need's progress updates after funding, oldest first (whoever may see the need)",
        params=NeedUpdatePath,
        auth="optional",
        response=NeedUpdateList,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/needs/{need_id}/updates",
        create_need_update,
        "Post a progress update (the need's county officers and village workers; photos are "
        "added on the need page); it reaches every pledger, donor and follower as a need_progress notification",
        params=NeedUpdatePath,
        body=NeedUpdateCreate,
        auth="required",
        response=NeedUpdate,
        status=201,
        errors=(403, 404, 409),
        action="need.post_update",
    ),
    Endpoint(
        "PUT",
        "/needs/{need_id}/follow",
        follow_need,
        "Follow a public need: its updates reach the caller's participant's members as "
        "notifications",
        params=NeedUpdatePath,
        auth="required",
        response=FollowState,
        errors=(403, 404),
        action="need.follow",
    ),
    Endpoint(
        "DELETE",
        "/needs/{need_id}/follow",
        unfollow_need,
        "Stop following a need (notifications already received stay)",
        params=NeedUpdatePath,
        auth="required",
        response=FollowState,
        errors=(403, 404),
        action="need.follow",
    ),
]
