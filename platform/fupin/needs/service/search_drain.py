"""Drains the search outbox into the search backend (docs/domain.md §3.12).

Every change to a need writes an outbox row in the same transaction as the change; this loop
applies those rows to the index, so a change is never lost when the engine is down: a row is
marked done only after the backend confirmed the write (read-your-writes), and a failure leaves
it in the outbox with an exponential backoff. The loop knows nothing of the database: the caller
passes three callables (fetch due rows, mark done, mark failed), which keeps it testable without
one and keeps the layering (search/ does not import models/).

In embedded mode this worker is the index's single writer (see embedded.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fupin.search.rules.base import SearchBackend, SearchDocumentError, SearchError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxItem:
    """One outbox row as the worker needs it."""

    id: int  # the outbox row's id
    need_id: int
    #: The need's search document as of now (fupin.search.rules.documents.FIELDS), or None when the
    #: need no longer exists. A document in a non-public state is removed from the index.
    document: Mapping[str, Any] | None
    attempts: int = 0  # failed attempts so far


#: Up to ``limit`` rows that are due (next attempt time passed or never failed), oldest first.
FetchBatch = Callable[[int], Awaitable[Sequence[OutboxItem]]]
#: Mark rows done (by outbox id).
MarkDone = Callable[[Sequence[int]], Awaitable[None]]
#: Record a failure: the rows, a short reason (safe to store), and the delay in seconds before
#: the rows are due again (their attempts counter should be incremented by one).
MarkFailed = Callable[[Sequence[OutboxItem], str, float], Awaitable[None]]
#: Give claimed rows back, due now (a worker stopped in the middle of a batch).
Release = Callable[[Sequence[int]], Awaitable[None]]


def backoff_seconds(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Delay after the ``attempts``-th consecutive failure: base, 2·base, 4·base, … up to cap."""
    return min(cap, base * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class DrainReport:
    fetched: int = 0
    done: int = 0
    failed: int = 0


class OutboxWorker:
    def __init__(
        self,
        backend: SearchBackend,
        fetch_batch: FetchBatch,
        mark_done: MarkDone,
        mark_failed: MarkFailed,
        *,
        release: Release | None = None,
        batch_size: int = 200,
        idle_seconds: float = 2.0,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
    ) -> None:
        self.backend = backend
        self.fetch_batch = fetch_batch
        self.mark_done = mark_done
        self.mark_failed = mark_failed
        self.release = release
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._wake = asyncio.Event()
        self._failures = 0  # consecutive failed batches: paces the loop while the engine is down

    def notify(self) -> None:
        """Wake the loop now (call after committing a change) so it is findable in seconds."""
        self._wake.set()

    def _delay(self, attempts: int) -> float:
        return backoff_seconds(attempts, base=self.base_delay, cap=self.max_delay)

    async def _apply(self, items: Sequence[OutboxItem]) -> None:
        """Write the latest state of each need in ``items`` and wait until it is searchable."""
        latest: dict[int, OutboxItem] = {}
        for item in sorted(items, key=lambda i: i.id):
            latest[item.need_id] = item  # several changes to one need: the newest wins
        docs = [i.document for i in latest.values() if i.document is not None]
        gone = [i.need_id for i in latest.values() if i.document is None]
        if docs:
            await self.backend.upsert(docs, wait=True)
        if gone:
            await self.backend.delete(gone, wait=True)

    async def _fail(self, items: Sequence[OutboxItem], reason: str) -> None:
        attempts = max(i.attempts for i in items) + 1
        await self.mark_failed(items, reason[:500], self._delay(attempts))

    async def drain_once(self) -> DrainReport:
        """Apply one batch of due rows. Backend failures are recorded on the rows, not raised."""
        items = list(await self.fetch_batch(self.batch_size))
        if not items:
            return DrainReport()
        try:
            return await self._drain(items)
        except asyncio.CancelledError:
            # Stopped in the middle of the batch (SIGTERM, shutdown): its rows are given back
            # due now, not left leased for minutes to a worker that is gone — a check or a
            # worker started next finds them at once. Applying a row twice is harmless.
            if self.release is not None:
                await asyncio.shield(self.release([i.id for i in items]))
            raise

    async def _drain(self, items: Sequence[OutboxItem]) -> DrainReport:
        try:
            await self._apply(items)
        except SearchDocumentError:
            return await self._isolate(items)
        except SearchError as exc:
            self._failures += 1
            log.warning("search outbox: %d rows wait for the engine: %s", len(items), exc)
            await self._fail(items, str(exc) or type(exc).__name__)
            return DrainReport(fetched=len(items), failed=len(items))
        self._failures = 0
        await self.mark_done([i.id for i in items])
        return DrainReport(fetched=len(items), done=len(items))

    async def _isolate(self, items: Sequence[OutboxItem]) -> DrainReport:
        """A malformed document failed the batch: apply needs one by one so that only the bad
        one waits (and is logged), instead of blocking every change behind it."""
        by_need: dict[int, list[OutboxItem]] = {}
        for item in items:
            by_need.setdefault(item.need_id, []).append(item)
        done = failed = 0
        for need_items in by_need.values():
            try:
                await self._apply(need_items)
            except SearchError as exc:
                log.error("search outbox: need %s not indexed: %s", need_items[0].need_id, exc)
                await self._fail(need_items, str(exc) or type(exc).__name__)
                failed += len(need_items)
            else:
                await self.mark_done([i.id for i in need_items])
                done += len(need_items)
        return DrainReport(fetched=len(items), done=done, failed=failed)

    async def drain_until_empty(self, max_batches: int = 10_000) -> DrainReport:
        """Drain everything due now (e.g. before a test asserts, or at shutdown)."""
        total = DrainReport()
        for _ in range(max_batches):
            report = await self.drain_once()
            total = DrainReport(
                total.fetched + report.fetched,
                total.done + report.done,
                total.failed + report.failed,
            )
            if report.fetched == 0 or report.failed:
                break
        return total

    async def _sleep(self, stop: asyncio.Event, seconds: float, wake: bool) -> None:
        waiters = [asyncio.ensure_future(stop.wait())]
        if wake:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._wake.clear()

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set: drain, then sleep until notified (or ``idle_seconds``);
        after a failure sleep the backoff delay, so a dead engine is not hammered."""
        while not stop.is_set():
            try:
                report = await self.drain_once()
            except Exception:  # a database hiccup in fetch/mark must not kill the worker
                log.exception("search outbox: drain failed")
                self._failures += 1
                report = DrainReport(failed=1)
            if report.failed:
                await self._sleep(stop, self._delay(self._failures), wake=False)
            elif report.fetched == 0:
                await self._sleep(stop, self.idle_seconds, wake=True)
