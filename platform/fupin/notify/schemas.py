"""The one inbox in the API (docs/architecture.md "One contract per resource")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from fupin.core.schemas import Id, Out, Page, PageQuery, PathParams, Query
from fupin.notify.rules import FILTERS

#: A timestamp as ``isoformat()`` writes it (``…+00:00``), as this API always has.
Instant = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
FilterKey = Literal["need_progress", "invitation", "money", "other"]
assert set(FilterKey.__args__) == set(FILTERS)  # type: ignore[attr-defined]


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="Only the unread notifications")
    kind: FilterKey | None = Field(
        None,
        description="One filter: need_progress (updates of needs pledged to, given to or "
        "followed), invitation, money (pledges, donations, receipts), other",
    )


class ReadAllQuery(Query):
    kind: FilterKey | None = Field(None, description="Only the notifications of this filter")


class NotificationPath(PathParams):
    notification_id: Id


class Notification(Out):
    """One notification in the caller's inbox, in the caller's language."""

    id: int
    kind: str
    title: str
    body: str
    link: str = Field(description="The site page it is about, e.g. /needs/12#progress")
    created_at: Instant
    read: bool
    read_at: Instant | None
    params: dict[str, Any] = Field(
        description="What the text is written from; need_progress carries need_id, update_id "
        "and update_kind"
    )


class NotificationFilter(Out):
    key: FilterKey
    label: str
    total: int
    unread: int


class NotificationPage(Page[Notification]):
    unread: int = Field(description="Unread notifications in all (every filter)")
    kind: FilterKey | None
    filters: list[NotificationFilter]


class NotificationsRead(Out):
    marked: int = Field(description="How many were unread")
