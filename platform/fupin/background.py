"""Background work started by the app's lifespan (search outbox worker, need expiry sweep).

Each entry is an async function ``(app, settings) -> None`` that loops until cancelled.
Nothing here holds state that another process would need: work is claimed from database rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from fupin.settings import Settings

log = logging.getLogger("fupin")

Worker = Callable[[Starlette, Settings], Awaitable[None]]

#: "module:function" of each background loop.
WORKERS: list[str] = [
    "fupin.search.worker:outbox_worker",  # search outbox → index (BRIEF §3.12)
    "fupin.domain.pledges:lapse_worker",  # overdue pledges → lapsed, hourly (BRIEF §3.5)
    "fupin.domain.needs:expiry_worker",  # unfunded needs past deadline → expired (BRIEF §3.4)
    "fupin.domain.idempotency:purge_worker",  # Idempotency-Key records past retention, 6-hourly
]


async def start(app: Starlette | None, settings: Settings) -> list[asyncio.Task[None]]:
    """Start every loop. The web process runs them unless FUPIN_SEARCH_WORKER is false (then a
    separate `fupin worker` process does); tests start none."""
    tasks: list[asyncio.Task[None]] = []
    if settings.env == "test":
        return tasks
    for spec in WORKERS:
        module, func = spec.split(":")
        worker: Worker = getattr(importlib.import_module(module), func)
        tasks.append(asyncio.create_task(worker(app, settings), name=spec))
    return tasks


async def stop(app: Starlette | None, tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
