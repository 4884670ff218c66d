"""The search outbox worker as a background loop (fupin.background.WORKERS).

Runs in the web process (``FUPIN_SEARCH_WORKER``, the embedded default: the worker is then the
index's single writer) or in ``fupin worker``. It polls the outbox every ``IDLE_SECONDS`` when
there is nothing to do, so a need published by any process is searchable within about a second
("findable within seconds"); the poll is one indexed query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

from fupin.needs.service import search_outbox as outbox_db
from fupin.needs.service.search import SearchService, open_service
from fupin.needs.service.search_drain import backoff_seconds
from fupin.settings import Settings

log = logging.getLogger(__name__)

#: Sleep when the outbox is empty (seconds).
IDLE_SECONDS = 0.5
#: How often applied outbox rows older than outbox_db.KEEP_DONE are deleted (seconds).
PURGE_EVERY = 3600.0


async def _until_ready(service: SearchService) -> None:
    """Wait (with backoff) until the index exists: an engine that is down at start-up only
    delays indexing; the changes wait in the outbox."""
    attempt = 0
    while not await service.ensure_ready():
        attempt += 1
        await asyncio.sleep(backoff_seconds(attempt, base=1.0, cap=60.0))


async def run_outbox_worker(
    service: SearchService,
    stop: asyncio.Event,
    *,
    idle_seconds: float = IDLE_SECONDS,
    base_delay: float = 1.0,
    max_delay: float = 300.0,
) -> None:
    """Drain the outbox into ``service.backend`` until ``stop`` is set."""
    await _until_ready(service)
    try:
        if await service.backend.count() == 0:
            queued = await outbox_db.queue_missing_public_needs()
            if queued:
                log.info("search index is empty: %d public needs queued for indexing", queued)
    except Exception:  # the fill-up is a convenience; never let it stop the worker
        log.exception("search outbox: could not check for an empty index")
    worker = outbox_db.make_worker(
        service.backend, idle_seconds=idle_seconds, base_delay=base_delay, max_delay=max_delay
    )
    purge = asyncio.create_task(_purge_loop(stop))
    try:
        await worker.run(stop)
    finally:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge


async def _purge_loop(stop: asyncio.Event) -> None:
    last = -math.inf  # never yet (the monotonic clock counts from boot, not from 0)
    while not stop.is_set():
        if time.monotonic() - last >= PURGE_EVERY:
            last = time.monotonic()
            try:
                await outbox_db.purge_done()
            except Exception:
                log.exception("search outbox: purge failed")
        await asyncio.sleep(min(PURGE_EVERY, 60.0))


async def outbox_worker(app: Any, settings: Settings) -> None:
    """Background entry point: use the app's SearchService when there is an app (the web
    process), else open one (``fupin worker``); loop until cancelled."""
    service: SearchService | None = getattr(getattr(app, "state", None), "search", None)
    own = service is None
    if service is None:
        service = await open_service(settings)
    stop = asyncio.Event()
    try:
        await run_outbox_worker(service, stop)
    finally:
        stop.set()
        if own:
            await service.close()
