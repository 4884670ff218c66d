"""The sharing API contract (docs/webhooks.md): webhook endpoints, their deliveries and the
delivery log. Feeds and open-data files are documents, not JSON operations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasPath, Field

from fupin.core.categories import CATEGORY_CODES
from fupin.core.schemas import Body, Id, Out, Page, PageQuery, PathParams, RegionCode
from fupin.sharing.rules.addresses import URL_MAX
from fupin.sharing.rules.events import EVENT_TYPES

EventType = Literal[tuple(EVENT_TYPES)]  # type: ignore[valid-type]
Category = Literal[CATEGORY_CODES]  # type: ignore[valid-type]
DESCRIPTION_MAX = 200


class WebhookEndpointInput(Body):
    """What an endpoint receives, and where. The URL must be http(s) and, in production, must
    not resolve to a loopback, private or link-local address (422 ``bad_url``)."""

    url: str = Field(min_length=8, max_length=URL_MAX, description="http:// or https:// URL")
    description: str = Field("", max_length=DESCRIPTION_MAX)
    event_types: list[EventType] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=len(EVENT_TYPES)
    )
    place_code: RegionCode | None = Field(
        None, description="Only events in this province, county or village (absent: everywhere)"
    )
    categories: list[Category] = Field(
        default_factory=list,
        max_length=len(CATEGORY_CODES),
        description="Only events of these need categories (empty: all)",
    )


class WebhookEndpoint(Out):
    id: int
    owner_kind: Literal["participant", "office"]
    participant_id: int | None
    office_region_code: str
    url: str
    description: str
    event_types: list[str]
    place_code: str
    categories: list[str]
    active: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str = Field(description="Why the platform disabled it (the owner's notice)")
    secret_rotated_at: datetime | None
    created_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint):
    """Returned only when a secret is made (registration, rotation): store it now, it is never
    shown again."""

    secret: str


class WebhookEndpointList(Out):
    items: list[WebhookEndpoint]


class WebhookEndpointPath(PathParams):
    endpoint_id: Id


class WebhookDeliveryPath(PathParams):
    endpoint_id: Id
    delivery_id: Id


class WebhookDeliveryQuery(PageQuery):
    pass


class WebhookDelivery(Out):
    id: int
    event_id: int
    event_type: str = Field(validation_alias=AliasPath("event", "type"))
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


WebhookDeliveryPage = Page[WebhookDelivery]


class WebhookAttempt(Out):
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int
    trigger: str


class WebhookDeliveryDetail(Out):
    delivery: WebhookDelivery
    log: list[WebhookAttempt]


class WebhookEventType(Out):
    type: str
    label: str


class WebhookEventTypeList(Out):
    items: list[WebhookEventType]
