"""The one inbox in the API: the caller's own notifications (every kind: progress of the needs
its participant supports, invitations, money), filtered by kind, unread first; marking them
read. Invitations are answered at ``/inbox/{id}/respond`` (fupin.matching.api)."""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import SIGNED_IN, Actor
from fupin.notify.schemas import (
    NotificationPage,
    NotificationPath,
    NotificationQuery,
    NotificationsRead,
    ReadAllQuery,
)
from fupin.notify.service import inbox


async def list_notifications(
    request: Request, *, actor: Actor, query: NotificationQuery
) -> inbox.InboxPage:
    return await inbox.inbox(
        actor, page=query.page, per_page=query.per_page, unread_only=query.unread, kind=query.kind
    )


async def read_notification(
    request: Request, *, actor: Actor, path: NotificationPath
) -> NotificationsRead:
    return NotificationsRead(marked=await inbox.mark_read(actor, path.notification_id))


async def read_all_notifications(
    request: Request, *, actor: Actor, query: ReadAllQuery
) -> NotificationsRead:
    return NotificationsRead(marked=await inbox.mark_all_read(actor, kind=query.kind))


endpoints = [
    Endpoint(
        "GET",
        "/me/notifications",
        list_notifications,
        "The caller's notifications, unread first then newest first, with every filter's "
        "counts; ?kind=need_progress is the progress of the needs its participant pledged to, "
        "gave to or follows",
        query=NotificationQuery,
        auth="required",
        response=NotificationPage,
        action=SIGNED_IN,
    ),
    Endpoint(
        "POST",
        "/me/notifications/{notification_id}/read",
        read_notification,
        "Mark one of the caller's notifications read",
        params=NotificationPath,
        auth="required",
        response=NotificationsRead,
        errors=(404,),
        action=SIGNED_IN,
    ),
    Endpoint(
        "POST",
        "/me/notifications/read",
        read_all_notifications,
        "Mark every unread notification of the caller read (or those of ?kind=)",
        query=ReadAllQuery,
        auth="required",
        response=NotificationsRead,
        action=SIGNED_IN,
    ),
]
