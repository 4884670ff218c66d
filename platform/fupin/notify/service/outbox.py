"""Draining the e-mail outbox: claim, send, record — each notification sent at most once.

**Claim with a lease.** A worker takes a batch of due rows in one short transaction
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write transaction is exclusive)
and writes its name and a lease end on them; other workers skip leased rows, so two workers
never take the same row. A worker that dies leaves its leases to run out, and the rows not yet
started are due again for the others.

**At most once.** Before talking to the mail server the worker marks the rows it is about to
send ``sending`` and commits; after the server's answer it marks them ``sent`` (or due again
after a backoff, or ``failed``). A worker killed in between leaves ``sending`` rows: whether the
server took the message cannot be known, so after the lease they are recorded as
``interrupted`` in the delivery log and not sent again — the in-app copy of the notification
is there either way. A worker asked to stop (SIGTERM, the app's shutdown) finishes the message
in hand and gives the rest of its batch back at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.expressions import F, Q

from fupin.core import clock, metrics
from fupin.db import transaction
from fupin.i18n import gettext, ngettext
from fupin.notify.adapters.smtp import Mail, SendFailed
from fupin.notify.models import DeliveryAttempt, Notification, NotificationDelivery
from fupin.notify.rules import MAX_ATTEMPTS, backoff_seconds, render

log = logging.getLogger(__name__)

#: How long a claimed row is reserved for its worker (seconds): far longer than one message
#: may take (the SMTP timeout is 30 s).
LEASE_SECONDS = 300.0
BATCH = 20


class Mailer(Protocol):
    async def send(self, mail: Mail) -> str: ...


_ADDRESS = re.compile(r"\S+@\S+")


def _scrub(text: str) -> str:
    """No address in the log (a mail server's refusal often quotes it)."""
    return _ADDRESS.sub("<address>", text)[:500]


@dataclass(frozen=True)
class Claimed:
    id: int
    notification_id: int
    user_id: int
    channel: str
    address: str
    attempts: int


async def _recover_interrupted(now: datetime) -> int:
    """``sending`` rows whose worker's lease ran out: log them as interrupted, never resend."""
    async with transaction():
        rows = await (
            NotificationDelivery.filter(state="sending", lease_until__lt=now)
            .select_for_update(skip_locked=True)
            .values_list("id", "claimed_by")
        )
        if not rows:
            return 0
        await NotificationDelivery.filter(id__in=[r[0] for r in rows]).update(
            state="failed",
            last_error="interrupted: the worker stopped while sending; not sent again",
            lease_until=None,
        )
        await DeliveryAttempt.bulk_create(
            [
                DeliveryAttempt(
                    delivery_id=i,
                    outcome="interrupted",
                    detail="worker stopped while sending; outcome unknown",
                    worker=w,
                )
                for i, w in rows
            ]
        )
    metrics.NOTIFICATION_DELIVERIES.labels("interrupted").inc(len(rows))
    return len(rows)


async def claim(
    worker: str,
    *,
    limit: int = BATCH,
    lease_seconds: float = LEASE_SECONDS,
    now: datetime | None = None,
) -> list[Claimed]:
    """Reserve up to ``limit`` due rows, oldest first, for ``worker``."""
    now = now or clock.now()
    async with transaction() as conn:
        rows = (
            await NotificationDelivery.filter(
                Q(state="pending"),
                Q(due_at__lte=now),
                Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            )
            .order_by("id")
            .limit(limit)
            .select_for_update(skip_locked=True)
            .using_db(conn)
        )
        if not rows:
            return []
        await (
            NotificationDelivery.filter(id__in=[r.id for r in rows])
            .using_db(conn)
            .update(lease_until=now + timedelta(seconds=lease_seconds), claimed_by=worker)
        )
    return [
        Claimed(r.id, r.notification_id, r.user_id, r.channel, r.address, r.attempts) for r in rows
    ]


async def release(worker: str, ids: Sequence[int]) -> int:
    """Give claimed rows that were not started back to the queue at once."""
    if not ids:
        return 0
    return await NotificationDelivery.filter(
        id__in=list(ids), claimed_by=worker, state="pending"
    ).update(lease_until=None, claimed_by="")


def _groups(claimed: Sequence[Claimed]) -> list[list[Claimed]]:
    """One e-mail per row, except the digest: one e-mail per user and address."""
    singles = [[c] for c in claimed if c.channel != "digest"]
    digests: dict[tuple[int, str], list[Claimed]] = {}
    for c in claimed:
        if c.channel == "digest":
            digests.setdefault((c.user_id, c.address), []).append(c)
    return singles + list(digests.values())


async def _compose(group: Sequence[Claimed], base_url: str) -> Mail:
    notes = {
        n.id: n
        for n in await Notification.filter(id__in=[c.notification_id for c in group]).order_by("id")
    }
    parts: list[tuple[str, str, str]] = []
    for c in group:
        note = notes.get(c.notification_id)
        if note is None:
            continue
        title, body = render(note.kind, note.params or {}, gettext)
        parts.append((title, body, f"{base_url}{note.link}" if note.link else ""))
    settings_url = base_url + "/me/notifications/settings"
    footer = gettext("通知设置：%(url)s", url=settings_url)
    if len(group) == 1 and group[0].channel != "digest" and parts:
        title, body, link = parts[0]
        text = "\n\n".join(x for x in (body, link, "-- \n" + footer) if x)
        subject = title
    else:
        subject = ngettext("扶贫平台每日通知：%(n)d 条", "扶贫平台每日通知：%(n)d 条", len(parts))
        blocks = ["\n".join(x for x in (f"■ {t}", b, link) if x) for t, b, link in parts]
        text = "\n\n".join([*blocks, "-- \n" + footer])
    first = group[0]
    return Mail(
        to=first.address,
        subject=subject,
        text=text,
        message_id=f"<fupin-delivery-{first.id}@{_host(base_url)}>",
    )


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


async def _start(worker: str, ids: list[int]) -> bool:
    """Mark the rows ``sending`` (committed before the mail server hears of them); False when
    the lease was lost meanwhile (another worker has them now)."""
    async with transaction():
        changed = await NotificationDelivery.filter(
            id__in=ids, claimed_by=worker, state="pending"
        ).update(state="sending", attempts=F("attempts") + 1)
        if changed != len(ids):
            raise _LeaseLost()
    return True


class _LeaseLost(Exception):
    pass


async def _finish(
    worker: str, group: Sequence[Claimed], outcome: str, detail: str, *, now: datetime
) -> None:
    ids = [c.id for c in group]
    attempts = max(c.attempts for c in group) + 1
    async with transaction():
        if outcome == "sent":
            await NotificationDelivery.filter(id__in=ids).update(
                state="sent", sent_at=now, lease_until=None, last_error=""
            )
        elif outcome == "retry":
            await NotificationDelivery.filter(id__in=ids).update(
                state="pending",
                due_at=now + timedelta(seconds=backoff_seconds(attempts)),
                lease_until=None,
                claimed_by="",
                last_error=detail,
            )
        else:
            await NotificationDelivery.filter(id__in=ids).update(
                state=outcome, lease_until=None, last_error=detail
            )
        await DeliveryAttempt.bulk_create(
            [
                DeliveryAttempt(delivery_id=i, outcome=outcome, detail=detail, worker=worker)
                for i in ids
            ]
        )
    metrics.NOTIFICATION_DELIVERIES.labels(outcome).inc(len(ids))


async def _deliver(
    worker: str, group: Sequence[Claimed], mailer: Mailer | None, base_url: str
) -> None:
    now = clock.now()
    if mailer is None:
        await _finish(
            worker, group, "skipped", "no mail server configured (FUPIN_SMTP_HOST)", now=now
        )
        return
    mail = await _compose(group, base_url)
    try:
        await _start(worker, [c.id for c in group])
    except _LeaseLost:
        log.warning(
            "notification outbox: lease lost on %d row(s); left to their new worker", len(group)
        )
        return
    try:
        answer = await mailer.send(mail)
    except SendFailed as exc:
        attempts = max(c.attempts for c in group) + 1
        give_up = exc.permanent or attempts >= MAX_ATTEMPTS
        await _finish(
            worker, group, "failed" if give_up else "retry", _scrub(str(exc)), now=clock.now()
        )
        return
    await _finish(worker, group, "sent", _scrub(answer), now=clock.now())


async def drain_once(
    worker: str,
    mailer: Mailer | None,
    *,
    base_url: str,
    limit: int = BATCH,
    lease_seconds: float = LEASE_SECONDS,
) -> int:
    """Claim one batch and deliver it; returns the number of rows handled. Cancelled (the
    process is stopping), it finishes the message in hand and releases the rest of the batch
    before the cancellation goes on."""
    await _recover_interrupted(clock.now())
    claimed = await claim(worker, limit=limit, lease_seconds=lease_seconds)
    left = {c.id for c in claimed}
    try:
        for group in _groups(claimed):
            task = asyncio.ensure_future(_deliver(worker, group, mailer, base_url))
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                await task  # the message in hand is finished and recorded
                left -= {c.id for c in group}
                raise
            left -= {c.id for c in group}
    finally:
        if left:
            released = await release(worker, sorted(left))
            if released:
                log.info("notification outbox: released %d claimed row(s)", released)
    return len(claimed)


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_due_at: datetime | None


async def outbox_status(now: datetime | None = None) -> OutboxStatus:
    """Rows waiting to be sent now (not those waiting for the next digest)."""
    now = now or clock.now()
    due = NotificationDelivery.filter(state__in=["pending", "sending"], due_at__lte=now)
    oldest = await due.order_by("due_at").first()
    return OutboxStatus(await due.count(), oldest.due_at if oldest else None)
