"""The sharing platform's background loop (``fupin.background.WORKERS``): publish new events and
send due webhook deliveries every few seconds, write the day's open-data snapshot once a day,
purge the old delivery log daily. Runs in the web process or in ``fupin worker``; every step
claims its work from database rows (or renames a finished directory), so several processes may
run it."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

from fupin.settings import Settings
from fupin.sharing.service import deliveries, opendata

log = logging.getLogger(__name__)

#: Sleep between passes when nothing was sent (seconds).
IDLE_SECONDS = 2.0
#: How often the worker checks that today's snapshot exists (seconds).
SNAPSHOT_EVERY = 3600.0
PURGE_EVERY = 24 * 3600.0


async def run_once(settings: Settings) -> int:
    """Publish new events and send one batch of due deliveries; returns deliveries tried."""
    await deliveries.scan_events(settings.base_url)
    return await deliveries.deliver_due(
        timeout=settings.webhook_timeout_seconds,
        allow_loopback=settings.webhook_allow_loopback,
    )


async def sharing_worker(app: Any, settings: Settings) -> None:
    # never yet: the monotonic clock counts from boot, so 0.0 would mean "an hour after boot"
    # and a worker started in the machine's first hour wrote no snapshot
    last_snapshot = last_purge = -math.inf
    while True:
        now = time.monotonic()
        sent = 0
        try:
            sent = await run_once(settings)
            if now - last_snapshot >= SNAPSHOT_EVERY:
                last_snapshot = now
                path, written = await opendata.generate(settings.open_data_dir, settings.base_url)
                if written:
                    log.info("open data: wrote the snapshot %s", path)
            if now - last_purge >= PURGE_EVERY:
                last_purge = now
                await deliveries.purge_old()
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive; the rows wait for the next pass
            log.exception("sharing worker: pass failed")
        if not sent:
            await asyncio.sleep(IDLE_SECONDS)
