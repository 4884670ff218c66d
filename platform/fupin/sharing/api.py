"""Webhook endpoints over the JSON API (docs/webhooks.md): register, change, pause and resume,
rotate the secret, delete; read the deliveries and their log; redeliver by hand. Every write is
audited by the service."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page
from fupin.core.web import client_ip
from fupin.sharing.rules.events import EVENT_TYPES, event_label
from fupin.sharing.schemas import (
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookDeliveryPage,
    WebhookDeliveryPath,
    WebhookDeliveryQuery,
    WebhookEndpoint,
    WebhookEndpointInput,
    WebhookEndpointList,
    WebhookEndpointPath,
    WebhookEndpointWithSecret,
    WebhookEventType,
    WebhookEventTypeList,
)
from fupin.sharing.service import endpoints as service


def _loopback(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_loopback)


def _input(body: WebhookEndpointInput) -> service.EndpointInput:
    return service.EndpointInput(
        url=body.url,
        description=body.description,
        event_types=list(body.event_types),
        place_code=body.place_code or "",
        categories=list(body.categories),
    )


async def list_event_types(request: Request) -> WebhookEventTypeList:
    return WebhookEventTypeList(
        items=[WebhookEventType(type=t, label=event_label(t)) for t in EVENT_TYPES]
    )


async def list_webhooks(request: Request, *, actor: Actor) -> WebhookEndpointList:
    rows = await service.list_endpoints(actor)
    return WebhookEndpointList.model_validate({"items": rows})


async def create_webhook(
    request: Request, *, actor: Actor, body: WebhookEndpointInput
) -> WebhookEndpointWithSecret:
    row, secret = await service.create(
        actor, _input(body), allow_loopback=_loopback(request), ip=client_ip(request)
    )
    data = WebhookEndpoint.model_validate(row).model_dump()
    return WebhookEndpointWithSecret(**data, secret=secret)


async def get_webhook(request: Request, *, actor: Actor, path: WebhookEndpointPath) -> Any:
    return await service.get_endpoint(actor, path.endpoint_id)


async def update_webhook(
    request: Request, *, actor: Actor, path: WebhookEndpointPath, body: WebhookEndpointInput
) -> Any:
    return await service.update(
        actor,
        path.endpoint_id,
        _input(body),
        allow_loopback=_loopback(request),
        ip=client_ip(request),
    )


async def delete_webhook(request: Request, *, actor: Actor, path: WebhookEndpointPath) -> None:
    await service.delete(actor, path.endpoint_id, ip=client_ip(request))


async def rotate_webhook_secret(
    request: Request, *, actor: Actor, path: WebhookEndpointPath
) -> WebhookEndpointWithSecret:
    row, secret = await service.rotate_secret(actor, path.endpoint_id, ip=client_ip(request))
    data = WebhookEndpoint.model_validate(row).model_dump()
    return WebhookEndpointWithSecret(**data, secret=secret)


async def enable_webhook(request: Request, *, actor: Actor, path: WebhookEndpointPath) -> Any:
    return await service.set_active(actor, path.endpoint_id, True, ip=client_ip(request))


async def pause_webhook(request: Request, *, actor: Actor, path: WebhookEndpointPath) -> Any:
    return await service.set_active(actor, path.endpoint_id, False, ip=client_ip(request))


async def list_webhook_deliveries(
    request: Request, *, actor: Actor, path: WebhookEndpointPath, query: WebhookDeliveryQuery
) -> Page[WebhookDelivery]:
    _endpoint, rows, total = await service.deliveries_of(
        actor, path.endpoint_id, page=query.page, per_page=query.per_page
    )
    return WebhookDeliveryPage.model_validate(
        {"items": rows, "total": total, "page": query.page, "per_page": query.per_page}
    )


async def get_webhook_delivery(
    request: Request, *, actor: Actor, path: WebhookDeliveryPath
) -> WebhookDeliveryDetail:
    delivery, log = await service.delivery_log(actor, path.endpoint_id, path.delivery_id)
    return WebhookDeliveryDetail.model_validate({"delivery": delivery, "log": log})


async def redeliver_webhook(request: Request, *, actor: Actor, path: WebhookDeliveryPath) -> Any:
    delivery = await service.redeliver(
        actor, path.endpoint_id, path.delivery_id, ip=client_ip(request)
    )
    await delivery.fetch_related("event")
    return delivery


_MANAGE = {"auth": "required", "action": "webhook.manage"}

endpoints = [
    Endpoint(
        "GET",
        "/webhooks/event-types",
        list_event_types,
        "The event types a webhook endpoint may ask for",
        response=WebhookEventTypeList,
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/webhooks",
        list_webhooks,
        "The webhook endpoints the caller manages (its participant's, or its office's)",
        response=WebhookEndpointList,
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "POST",
        "/webhooks",
        create_webhook,
        "Register a webhook endpoint; the answer carries the signing secret, shown only now "
        "(URL not http(s), or resolving to a private address in production → 422 bad_url)",
        body=WebhookEndpointInput,
        response=WebhookEndpointWithSecret,
        status=201,
        errors=(409,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "GET",
        "/webhooks/{endpoint_id}",
        get_webhook,
        "One webhook endpoint (never its secret)",
        params=WebhookEndpointPath,
        response=WebhookEndpoint,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "PUT",
        "/webhooks/{endpoint_id}",
        update_webhook,
        "Change a webhook endpoint's URL, event types and filters",
        params=WebhookEndpointPath,
        body=WebhookEndpointInput,
        response=WebhookEndpoint,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "DELETE",
        "/webhooks/{endpoint_id}",
        delete_webhook,
        "Delete a webhook endpoint and its deliveries",
        params=WebhookEndpointPath,
        status=204,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "POST",
        "/webhooks/{endpoint_id}/rotate-secret",
        rotate_webhook_secret,
        "A new signing secret from now on (shown only in this answer)",
        params=WebhookEndpointPath,
        response=WebhookEndpointWithSecret,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "POST",
        "/webhooks/{endpoint_id}/enable",
        enable_webhook,
        "Resume an endpoint (also one the platform disabled after failures)",
        params=WebhookEndpointPath,
        response=WebhookEndpoint,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "POST",
        "/webhooks/{endpoint_id}/pause",
        pause_webhook,
        "Pause an endpoint: deliveries wait until it is resumed",
        params=WebhookEndpointPath,
        response=WebhookEndpoint,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "GET",
        "/webhooks/{endpoint_id}/deliveries",
        list_webhook_deliveries,
        "An endpoint's deliveries, newest first (state, tries, last status code)",
        params=WebhookEndpointPath,
        query=WebhookDeliveryQuery,
        response=WebhookDeliveryPage,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "GET",
        "/webhooks/{endpoint_id}/deliveries/{delivery_id}",
        get_webhook_delivery,
        "One delivery with its log: every try, when, the status code or the error",
        params=WebhookDeliveryPath,
        response=WebhookDeliveryDetail,
        errors=(404,),
        **_MANAGE,  # type: ignore[arg-type]
    ),
    Endpoint(
        "POST",
        "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        redeliver_webhook,
        "Send a delivered or given-up delivery again, with a fresh set of tries (one already "
        "waiting → 409)",
        params=WebhookDeliveryPath,
        response=WebhookDelivery,
        status=202,
        errors=(404, 409),
        **_MANAGE,  # type: ignore[arg-type]
    ),
]
