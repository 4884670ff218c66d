"""Background work started by the app's lifespan (or by ``fupin worker``): the search outbox
worker, the notification worker (e-mail), the sharing worker (webhooks, open data) and the periodic
sweeps (need expiry, pledge lapse, idempotency-record purge, complaint escalation).

A worker is an async function ``(app, settings) -> None`` that loops until cancelled; a sweep is
a domain function run every so many seconds. Nothing here holds state another process would
need: work is claimed from database rows, so several processes may run the same sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette

from fupin.core import metrics
from fupin.settings import Settings

log = logging.getLogger("fupin")

Worker = Callable[[Starlette, Settings], Awaitable[None]]

#: "module:function" of each background loop.
WORKERS: list[str] = [
    "fupin.needs.service.search_worker:outbox_worker",  # search outbox → index (docs/domain.md §3.12)
    # notification outbox → e-mail (docs/operations.md "Notifications")
    "fupin.notify.service.worker:notification_worker",
    # webhook events and deliveries, the daily open-data snapshot (docs/webhooks.md, docs/open-data.md)
    "fupin.sharing.service.worker:sharing_worker",
]


@dataclass(frozen=True)
class Sweep:
    #: "module:function" of a coroutine function taking no arguments and returning a count.
    job: str
    every_seconds: float
    #: log line when the count is not zero (``%d`` is the count)
    done: str


SWEEPS: list[Sweep] = [
    # unfunded needs past their deadline → expired (docs/domain.md §3.4); also `fupin needs expire`
    Sweep("fupin.needs.service.expiry:expire_all_overdue", 300, "expired %d overdue needs"),
    # open pledges past their due date → lapsed (docs/domain.md §3.5)
    Sweep("fupin.money.service.pledges:lapse_overdue", 3600, "lapsed %d overdue pledges"),
    # pledge due-date reminders (notify.rules.REMINDER_DAYS), each sent once
    Sweep("fupin.money.service.pledges:remind_due", 3600, "sent %d pledge reminders"),
    # Idempotency-Key records past their retention (domain.idempotency.RETENTION)
    Sweep(
        "fupin.money.service.idempotency:purge_expired", 6 * 3600, "purged %d idempotency records"
    ),
    # complaints past their office's deadline → the next level up (docs/domain.md §3.10)
    Sweep(
        "fupin.disclosure.service.complaints:escalate_overdue",
        3600,
        "escalated %d overdue complaints",
    ),
    # login attempts, ended sessions and used links long past any use (docs/security.md)
    Sweep(
        "fupin.accounts.service.users:purge_old_records",
        24 * 3600,
        "purged %d old login attempts, sessions and set-password links",
    ),
]


def _resolve(spec: str) -> Callable[..., object]:
    module, func = spec.split(":")
    found: Callable[..., object] = getattr(importlib.import_module(module), func)
    return found


async def run_sweep(sweep: Sweep) -> None:
    """Run one sweep now and then every ``every_seconds`` until cancelled. A failed pass is
    logged and the loop goes on: the next pass retries whatever was left."""
    job = _resolve(sweep.job)
    while True:
        try:
            count = await job()  # type: ignore[misc]
            if count:
                log.info(sweep.done, count)
            metrics.SWEEP_RUNS.labels(sweep.job, "ok").inc()
            metrics.SWEEP_LAST_SUCCESS.labels(sweep.job).set(time.time())
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive
            metrics.SWEEP_RUNS.labels(sweep.job, "error").inc()
            log.exception("background sweep %s failed", sweep.job)
        await asyncio.sleep(sweep.every_seconds)


async def start(app: Starlette | None, settings: Settings) -> list[asyncio.Task[None]]:
    """Start every loop. The web process runs them unless FUPIN_SEARCH_WORKER is false (then a
    separate `fupin worker` process does); tests start none."""
    tasks: list[asyncio.Task[None]] = []
    if settings.env == "test":
        return tasks
    for spec in WORKERS:
        worker: Worker = _resolve(spec)  # type: ignore[assignment]
        tasks.append(asyncio.create_task(worker(app, settings), name=spec))
    for sweep in SWEEPS:
        tasks.append(asyncio.create_task(run_sweep(sweep), name=sweep.job))
    return tasks


async def stop(app: Starlette | None, tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
