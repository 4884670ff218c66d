"""The outboxes whose lag `/metrics` reports (``fupin_queue_pending``,
``fupin_queue_oldest_age_seconds``).

A queue is one line in ``QUEUES``: its label and the "module:function" of an async function
taking no arguments and returning ``(rows due and not done, when the oldest of them became
due)`` — ``(0, None)`` when empty.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from fupin.core import clock
from fupin.needs.service import search_outbox
from fupin.notify.service import outbox as notification_outbox

Lag = tuple[int, datetime | None]

QUEUES: dict[str, str] = {
    "search": "fupin.ops.queues:search_lag",
    "notifications": "fupin.ops.queues:notification_lag",
}


async def search_lag() -> Lag:
    status = await search_outbox.outbox_status()
    return status.pending, status.oldest_pending_at


async def notification_lag() -> Lag:
    status = await notification_outbox.outbox_status()
    return status.pending, status.oldest_due_at


def probe(spec: str) -> Callable[[], Awaitable[Lag]]:
    module, name = spec.split(":")
    found: Callable[[], Awaitable[Lag]] = getattr(importlib.import_module(module), name)
    return found


async def lags() -> dict[str, tuple[int, float]]:
    """Each queue's pending rows and the age of its oldest in seconds."""
    now = clock.now()
    result: dict[str, tuple[int, float]] = {}
    for name, spec in QUEUES.items():
        pending, oldest = await probe(spec)()
        result[name] = (pending, max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    return result
