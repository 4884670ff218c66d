"""Registering and managing webhook endpoints (docs/webhooks.md "Endpoints").

An endpoint belongs to a participant (registered by one of its members) or to an office (the
office's region; registered by one of its officers). Whoever may manage it is decided by
``core.policy`` (``webhook.manage`` on the endpoint's scope). Every change is audited, in the
same transaction. The secret is returned only by ``create`` and ``rotate_secret``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fupin.accounts.models import User
from fupin.core import audit, clock
from fupin.core.categories import CATEGORIES
from fupin.core.policy import Actor, Scope, require
from fupin.db import transaction
from fupin.errors import Conflict, FieldError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.regions.models import Region
from fupin.sharing.adapters.http import check_target
from fupin.sharing.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from fupin.sharing.rules.addresses import BadUrl
from fupin.sharing.rules.events import EVENT_TYPES
from fupin.sharing.rules.signing import new_secret

#: Endpoints one owner may have (a partner needs a few; more is a mistake or abuse).
MAX_ENDPOINTS_PER_OWNER = 20
AUDITED = ("url", "description", "event_types", "place_code", "categories", "active")


def scope_of(endpoint: WebhookEndpoint) -> Scope:
    if endpoint.owner_kind == "participant":
        return Scope(participant_id=endpoint.participant_id)
    return Scope(
        region_code=endpoint.office_region_code,
        county_code=endpoint.office_county_code,
        province_code=endpoint.office_province_code,
    )


def _owner_filter(actor: Actor) -> dict[str, object]:
    """The endpoints an actor manages (the list page; each is checked again by policy)."""
    if actor.role == "participant_member":
        return {"owner_kind": "participant", "participant_id": actor.participant_id}
    if actor.role == "national_admin":
        return {}
    if actor.role == "province_office":
        return {"owner_kind": "office", "office_province_code": actor.province_code}
    return {"owner_kind": "office", "office_county_code": actor.county_code}


#: Office roles that manage an office's endpoints, by the region kind the office has.
OFFICE_ROLES = ("county_officer", "province_office", "national_admin")


async def owner_user_ids(endpoint: WebhookEndpoint) -> list[int]:
    """Who is told when the platform disables an endpoint: the participant's members, or the
    officers of the owning office (the one who registered it among them)."""
    if endpoint.owner_kind == "participant":
        query = User.filter(participant_id=endpoint.participant_id, role="participant_member")
    elif endpoint.office_region_code:
        query = User.filter(region_id=endpoint.office_region_code, role__in=OFFICE_ROLES)
    else:
        query = User.filter(role="national_admin")
    rows = await query.filter(is_active=True).order_by("id").values("id")
    found = [int(row["id"]) for row in rows]
    if endpoint.created_by_id is not None and endpoint.created_by_id not in found:
        found.append(endpoint.created_by_id)
    return found


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str
    event_types: Sequence[str]
    place_code: str = ""
    categories: Sequence[str] = ()


async def _checked(data: EndpointInput, *, allow_loopback: bool) -> EndpointInput:
    errors: list[FieldError] = []
    try:
        await check_target(data.url, allow_loopback=allow_loopback)
    except BadUrl as exc:
        errors.append(FieldError("url", str(exc), "bad_url"))
    types = list(dict.fromkeys(data.event_types))
    if not types or any(t not in EVENT_TYPES for t in types):
        errors.append(FieldError("event_types", _("请至少选择一种事件类型。"), "invalid_choice"))
    categories = list(dict.fromkeys(data.categories))
    if any(c not in CATEGORIES for c in categories):
        errors.append(FieldError("categories", _("类别无效。"), "invalid_choice"))
    place = data.place_code.strip()
    if place and not await Region.exists(code=place):
        errors.append(FieldError("place_code", _("地区代码不存在。"), "not_found"))
    if errors:
        raise InvalidInput(errors=errors)
    return EndpointInput(data.url.strip(), data.description.strip(), types, place, categories)


async def list_endpoints(actor: Actor) -> list[WebhookEndpoint]:
    require(actor, "webhook.manage")
    return list(await WebhookEndpoint.filter(**_owner_filter(actor)).order_by("id"))


async def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    found = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if found is None:
        raise NotFound(_("接收地址不存在。"))
    require(actor, "webhook.manage", scope_of(found))
    return found


async def create(
    actor: Actor, data: EndpointInput, *, allow_loopback: bool, ip: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown once)."""
    require(actor, "webhook.manage")
    clean = await _checked(data, allow_loopback=allow_loopback)
    secret = new_secret()
    if actor.role == "participant_member":
        owner: dict[str, Any] = {
            "owner_kind": "participant",
            "participant_id": actor.participant_id,
        }
    else:
        owner = {
            "owner_kind": "office",
            "office_region_code": actor.region_code if actor.role != "national_admin" else "",
            "office_province_code": actor.province_code,
            "office_county_code": actor.county_code if actor.role == "county_officer" else "",
        }
    async with transaction():
        if await WebhookEndpoint.filter(**_owner_filter(actor)).count() >= MAX_ENDPOINTS_PER_OWNER:
            raise Conflict(
                _("接收地址已达上限（%(n)s 个），请先删除不用的。", n=MAX_ENDPOINTS_PER_OWNER)
            )
        endpoint = await WebhookEndpoint.create(
            **owner,
            url=clean.url,
            description=clean.description,
            event_types=list(clean.event_types),
            place_code=clean.place_code,
            categories=list(clean.categories),
            secret=secret,
            created_by_id=actor.user_id,
        )
        await audit.record(
            actor=actor,
            action="webhook.create",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
            after=audit.snapshot(endpoint, AUDITED),
            ip=ip,
        )
    return endpoint, secret


async def update(
    actor: Actor, endpoint_id: int, data: EndpointInput, *, allow_loopback: bool, ip: str = ""
) -> WebhookEndpoint:
    clean = await _checked(data, allow_loopback=allow_loopback)
    async with transaction():
        endpoint = await get_endpoint(actor, endpoint_id)
        before = audit.snapshot(endpoint, AUDITED)
        endpoint.url = clean.url
        endpoint.description = clean.description
        endpoint.event_types = list(clean.event_types)
        endpoint.place_code = clean.place_code
        endpoint.categories = list(clean.categories)
        await endpoint.save()
        await audit.record(
            actor=actor,
            action="webhook.update",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
            before=before,
            after=audit.snapshot(endpoint, AUDITED),
            ip=ip,
        )
    return endpoint


async def rotate_secret(
    actor: Actor, endpoint_id: int, *, ip: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new secret from now on (the old one signs nothing more); returned once."""
    secret = new_secret()
    async with transaction():
        endpoint = await get_endpoint(actor, endpoint_id)
        endpoint.secret = secret
        endpoint.secret_rotated_at = clock.now()
        await endpoint.save(update_fields=["secret", "secret_rotated_at"])
        await audit.record(
            actor=actor,
            action="webhook.rotate_secret",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
            ip=ip,
        )
    return endpoint, secret


async def set_active(
    actor: Actor, endpoint_id: int, active: bool, *, ip: str = ""
) -> WebhookEndpoint:
    """Pause or resume an endpoint; resuming one the platform disabled clears the notice and
    its failure count, and its waiting deliveries go out again."""
    async with transaction():
        endpoint = await get_endpoint(actor, endpoint_id)
        before = audit.snapshot(endpoint, AUDITED)
        endpoint.active = active
        if active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        await endpoint.save()
        await audit.record(
            actor=actor,
            action="webhook.enable" if active else "webhook.pause",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
            before=before,
            after=audit.snapshot(endpoint, AUDITED),
            ip=ip,
        )
    return endpoint


async def delete(actor: Actor, endpoint_id: int, *, ip: str = "") -> None:
    async with transaction():
        endpoint = await get_endpoint(actor, endpoint_id)
        before = audit.snapshot(endpoint, AUDITED)
        await endpoint.delete()
        await audit.record(
            actor=actor,
            action="webhook.delete",
            object_type="webhook_endpoint",
            object_id=endpoint_id,
            before=before,
            ip=ip,
        )


async def deliveries_of(
    actor: Actor, endpoint_id: int, *, page: int = 1, per_page: int = 50
) -> tuple[WebhookEndpoint, list[WebhookDelivery], int]:
    endpoint = await get_endpoint(actor, endpoint_id)
    query = WebhookDelivery.filter(endpoint_id=endpoint.id)
    total = await query.count()
    rows = (
        await query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("event")
    )
    return endpoint, list(rows), total


async def delivery_log(
    actor: Actor, endpoint_id: int, delivery_id: int
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    endpoint = await get_endpoint(actor, endpoint_id)
    delivery = await WebhookDelivery.get_or_none(id=delivery_id, endpoint_id=endpoint.id)
    if delivery is None:
        raise NotFound(_("投递记录不存在。"))
    await delivery.fetch_related("event")
    return delivery, list(await WebhookAttempt.filter(delivery_id=delivery.id).order_by("-id"))


async def redeliver(
    actor: Actor, endpoint_id: int, delivery_id: int, *, ip: str = ""
) -> WebhookDelivery:
    """Queue a delivery again by hand, with a fresh set of tries: the worker sends it at once
    (signed anew, with a new timestamp). One already waiting is not queued twice."""
    async with transaction():
        endpoint = await get_endpoint(actor, endpoint_id)
        delivery = (
            await WebhookDelivery.filter(id=delivery_id, endpoint_id=endpoint.id)
            .select_for_update()
            .first()
        )
        if delivery is None:
            raise NotFound(_("投递记录不存在。"))
        if delivery.state == "pending":
            raise Conflict(_("这次投递正在排队，无需重新投递。"))
        before = {"state": delivery.state, "attempts": delivery.attempts}
        delivery.state = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = None
        await delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
        await audit.record(
            actor=actor,
            action="webhook.redeliver",
            object_type="webhook_delivery",
            object_id=delivery.id,
            before=before,
            after={"state": "pending"},
            ip=ip,
        )
    return delivery
