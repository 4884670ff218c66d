"""The notification outbox as a background loop (fupin.background.WORKERS): in the web process
by default, or in `fupin worker`. With no mail server configured the e-mail rows are recorded
as skipped (the notifications stay in the in-app inbox)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Any

from fupin.notify.adapters.smtp import SmtpMailer
from fupin.notify.service.outbox import drain_once
from fupin.settings import Settings

log = logging.getLogger(__name__)

#: Sleep when there was nothing to send (seconds).
IDLE_SECONDS = 1.0


def worker_name() -> str:
    """Unique per loop, readable in the delivery log: host, process, a random tail."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def notification_worker(app: Any, settings: Settings) -> None:
    mailer = SmtpMailer(settings) if settings.smtp_enabled else None
    name = worker_name()
    failures = 0
    while True:
        try:
            handled = await drain_once(name, mailer, base_url=settings.base_url.rstrip("/"))
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive: the rows stay in the outbox
            failures += 1
            log.exception("notification outbox: pass failed")
            await asyncio.sleep(min(2.0**failures, 60.0))
            continue
        if not handled:
            await asyncio.sleep(IDLE_SECONDS)
