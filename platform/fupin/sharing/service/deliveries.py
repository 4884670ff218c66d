"""The webhook queue (docs/webhooks.md "Delivery"): events read from the records, one delivery
row per interested endpoint, claimed and sent by ``fupin worker``.

It follows the search outbox (``needs/service/search_outbox.py``): everything that must happen
is a row in the database first, so a restart loses nothing; a worker *claims* due rows by
moving their ``next_attempt_at`` forward (a lease, ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the ``BEGIN IMMEDIATE`` write lock on SQLite), so two workers never send one row;
a claimer that died leaves rows that come due again when the lease ends. The HTTP request is
made outside any transaction (on SQLite a transaction holds the process's one connection).

Events are not written by the areas that cause them (none of them may import this one): the
scan reads their records — need transitions, commendation publications, the ledger's days —
from a saved instant onwards, re-reading an overlap so a transaction that committed late is
still seen; each event's key names its record, so reading one twice publishes it once. The scan
holds its source's ``webhook_scan`` row for the whole pass, so concurrent workers scan one
after the other.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q, Subquery

from fupin.core import audit, clock
from fupin.db import transaction
from fupin.i18n import _
from fupin.notify.service.inbox import notify
from fupin.sharing.adapters.http import SendResult, post
from fupin.sharing.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScan,
)
from fupin.sharing.rules import events as rules
from fupin.sharing.rules.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from fupin.sharing.service.endpoints import owner_user_ids
from fupin.sharing.service.sources import EVENT_SOURCES, EventDraft, EventSource

log = logging.getLogger(__name__)

#: Re-read this far behind the saved instant: a change stamped earlier but committed later
#: than the last scan is still found (the event key drops what was already published).
SCAN_OVERLAP = timedelta(minutes=2)
#: Records one source's pass reads at most.
SCAN_LIMIT = 500
USER_AGENT = "Fupin-Webhooks/1"


def event_body(event: WebhookEvent) -> bytes:
    """The request body: the same bytes on every try and for every endpoint."""
    at = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"id": event.id, "type": event.type, "occurred_at": at, "data": event.data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


async def _publish(drafts: list[EventDraft], endpoints: list[WebhookEndpoint]) -> int:
    """New events (by key) and their deliveries. Inside the caller's transaction."""
    if not drafts:
        return 0
    known: set[str] = {
        str(k)
        for k in await WebhookEvent.filter(key__in=[d.key for d in drafts]).values_list(
            "key", flat=True
        )
    }
    created = 0
    for draft in drafts:
        if draft.key in known:
            continue
        known.add(draft.key)
        event = await WebhookEvent.create(
            key=draft.key,
            type=draft.type,
            occurred_at=draft.occurred_at,
            province_code=draft.place.province_code,
            county_code=draft.place.county_code,
            region_code=draft.place.region_code,
            category=draft.place.category,
            data=draft.data,
        )
        created += 1
        rows = [
            WebhookDelivery(endpoint_id=e.id, event_id=event.id)
            for e in endpoints
            # an endpoint receives what happens after it was registered, not the past
            if draft.occurred_at >= e.created_at
            and rules.wants(
                draft.type,
                draft.place,
                event_types=e.event_types,
                place_code=e.place_code,
                categories=e.categories,
            )
        ]
        if rows:
            await WebhookDelivery.bulk_create(rows)
    return created


async def _nothing_new(source: EventSource, base_url: str) -> bool:
    """A read without the lock: most passes find only what was published already, and then
    need no write transaction (on SQLite every one takes the database's write lock)."""
    state = await WebhookScan.get_or_none(source=source.name)
    if state is None or state.scanned_until is None:
        return False
    drafts = await source.scan(state.scanned_until - SCAN_OVERLAP, base_url, SCAN_LIMIT)
    if any(d.occurred_at > state.scanned_until for d in drafts):
        return False
    keys = [d.key for d in drafts]
    known = await WebhookEvent.filter(key__in=keys).count() if keys else 0
    return known == len(keys) or not await WebhookEndpoint.exists(active=True)


async def _scan_source(source: EventSource, base_url: str) -> int:
    if await _nothing_new(source, base_url):
        return 0
    async with transaction():
        state = await WebhookScan.filter(source=source.name).select_for_update().first()
        if state is None:
            # First pass: publish from now on (not years of history into a new endpoint).
            await WebhookScan.create(source=source.name, scanned_until=clock.now())
            return 0
        since = state.scanned_until - SCAN_OVERLAP if state.scanned_until else None
        drafts = await source.scan(since, base_url, SCAN_LIMIT)
        endpoints = list(await WebhookEndpoint.filter(active=True))
        created = await _publish(drafts, endpoints) if endpoints else 0
        newest = max((d.occurred_at for d in drafts), default=None)
        if newest is not None and (state.scanned_until is None or newest > state.scanned_until):
            state.scanned_until = newest
            await state.save(update_fields=["scanned_until"])
    return created


async def scan_events(base_url: str) -> int:
    """One pass over every source; returns the number of new events."""
    total = 0
    for source in EVENT_SOURCES:
        total += await _scan_source(source, base_url)
    return total


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    event_id: int
    attempts: int


def _due(now: datetime) -> Q:
    return (
        Q(state="pending")
        & Q(endpoint__active=True)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


async def claim_due(limit: int, *, lease_seconds: float) -> list[Claimed]:
    """Reserve up to ``limit`` due deliveries, oldest first, for this worker."""
    now = clock.now()
    async with transaction():
        found = await (
            WebhookDelivery.filter(_due(now))
            .order_by("id")
            .limit(limit)
            .select_for_update(skip_locked=True, of=("webhook_delivery",))
        )
        if not found:
            return []
        ids = [r.id for r in found]
        await WebhookDelivery.filter(id__in=ids).update(
            next_attempt_at=now + timedelta(seconds=lease_seconds)
        )
    return [Claimed(r.id, r.endpoint_id, r.event_id, r.attempts) for r in found]


async def _record(claimed: Claimed, result: SendResult) -> None:
    ok = result.status_code is not None and rules.success(result.status_code)
    now = clock.now()
    error = result.error or ("" if ok else _("应答状态 %(s)s", s=result.status_code))
    async with transaction():
        delivery = await WebhookDelivery.filter(id=claimed.id).select_for_update().first()
        if delivery is None:  # the endpoint was deleted meanwhile
            return
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            status_code=result.status_code,
            error=error[:300],
            duration_ms=result.duration_ms,
            trigger="worker",
        )
        endpoint = await WebhookEndpoint.filter(id=delivery.endpoint_id).select_for_update().first()
        delivery.attempts += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = error[:300]
        if ok:
            delivery.state = "delivered"
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= rules.MAX_ATTEMPTS:
            delivery.state = "failed"
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + timedelta(
                seconds=rules.backoff_seconds(delivery.attempts)
            )
        await delivery.save()
        if endpoint is None:
            return
        if ok:
            endpoint.consecutive_failures = 0
            await endpoint.save(update_fields=["consecutive_failures"])
            return
        endpoint.consecutive_failures += 1
        fields = ["consecutive_failures"]
        if endpoint.active and endpoint.consecutive_failures >= rules.DISABLE_AFTER_FAILURES:
            endpoint.active = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = _(
                "连续 %(n)s 次投递失败，平台已停用此接收地址（最后一次：%(e)s）。修复后请重新启用，排队的投递会继续发送。",
                n=endpoint.consecutive_failures,
                e=error[:120],
            )
            fields += ["active", "disabled_at", "disabled_reason"]
            await notify(
                "webhook_disabled",
                user_ids=await owner_user_ids(endpoint),
                params={"url": endpoint.url, "reason": endpoint.disabled_reason},
                link=f"/webhooks/{endpoint.id}",
                dedupe_key=f"webhook_disabled:{endpoint.id}:{int(now.timestamp())}",
            )
            await audit.record(
                actor=None,
                action="webhook.disable",
                object_type="webhook_endpoint",
                object_id=endpoint.id,
                before={"active": True},
                after={"active": False, "reason": endpoint.disabled_reason},
            )
        await endpoint.save(update_fields=fields)


async def send_one(claimed: Claimed, *, timeout: float, allow_loopback: bool) -> SendResult:
    endpoint = await WebhookEndpoint.get_or_none(id=claimed.endpoint_id)
    event = await WebhookEvent.get_or_none(id=claimed.event_id)
    if endpoint is None or event is None:
        return SendResult(None, "gone", 0)
    body = event_body(event)
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event.type,
        DELIVERY_HEADER: str(claimed.id),
        SIGNATURE_HEADER: signature_header(endpoint.secret, timestamp, body),
    }
    result = await post(endpoint.url, body, headers, timeout=timeout, allow_loopback=allow_loopback)
    await _record(claimed, result)
    return result


async def deliver_due(*, timeout: float, allow_loopback: bool, limit: int = 20) -> int:
    """Claim and send one batch (concurrently); returns how many were tried."""
    claimed = await claim_due(limit, lease_seconds=2 * timeout + 60)
    if claimed:
        await asyncio.gather(
            *(send_one(c, timeout=timeout, allow_loopback=allow_loopback) for c in claimed)
        )
    return len(claimed)


#: Deliveries kept after they were delivered or given up (the log a partner reads).
KEEP_DONE = timedelta(days=30)


async def purge_old() -> int:
    """Delivered and given-up deliveries older than KEEP_DONE, and events nobody waits for."""
    cutoff = clock.now() - KEEP_DONE
    gone = await WebhookDelivery.filter(
        state__in=["delivered", "failed"], created_at__lt=cutoff
    ).delete()
    waiting = WebhookDelivery.all().values("event_id")
    await WebhookEvent.filter(created_at__lt=cutoff).exclude(id__in=Subquery(waiting)).delete()
    return int(gone)
