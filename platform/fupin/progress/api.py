"""Progress API: a need's updates (public with the need), posting one (the need's county
officers and village workers), following a need and the caller's update inbox (participant
members). No parameter names a participant: the inbox is the caller's participant's."""

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
    NoticePath,
    NoticesRead,
    UpdateNoticePage,
    UpdateNoticeQuery,
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


async def get_update_notices(
    request: Request, *, actor: Actor, query: UpdateNoticeQuery
) -> service.NoticePage:
    return await service.notices(
        actor, page=query.page, per_page=query.per_page, unread_only=query.unread
    )


async def read_update_notice(request: Request, *, actor: Actor, path: NoticePath) -> NoticesRead:
    return NoticesRead(marked=await service.mark_read(actor, path.notice_id))


async def read_all_update_notices(request: Request, *, actor: Actor) -> NoticesRead:
    return NoticesRead(marked=await service.mark_read(actor))


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
        "added on the need page); it reaches the inbox of every pledger, donor and follower",
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
        "Follow a public need: its updates reach the caller's participant's inbox",
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
        "Stop following a need (updates already received stay in the inbox)",
        params=NeedUpdatePath,
        auth="required",
        response=FollowState,
        errors=(403, 404),
        action="need.follow",
    ),
    Endpoint(
        "GET",
        "/me/updates",
        get_update_notices,
        "Progress updates of the needs the caller's participant pledged to, gave to or "
        "follows, newest first",
        query=UpdateNoticeQuery,
        auth="required",
        response=UpdateNoticePage,
        errors=(403,),
        action="inbox.view",
    ),
    Endpoint(
        "POST",
        "/me/updates/{notice_id}/read",
        read_update_notice,
        "Mark one update of the inbox read",
        params=NoticePath,
        auth="required",
        response=NoticesRead,
        errors=(403, 404),
        action="inbox.view",
    ),
    Endpoint(
        "POST",
        "/me/updates/read",
        read_all_update_notices,
        "Mark every update of the inbox read",
        auth="required",
        response=NoticesRead,
        errors=(403,),
        action="inbox.view",
    ),
]
