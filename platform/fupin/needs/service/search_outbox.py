"""Queue a need for (re)indexing: call inside the transaction that changed the need (or anything
its search document shows), so the change and its outbox row commit together (docs/domain.md §3.12)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q

from fupin.core import clock
from fupin.db import transaction
from fupin.needs.models import PUBLIC_STATES, Need, SearchOutbox
from fupin.needs.service.documents import public_need_document, public_need_documents
from fupin.needs.service.search_drain import OutboxItem, OutboxWorker
from fupin.search.rules.base import SearchBackend


async def enqueue(need_id: int) -> None:
    await SearchOutbox.create(need_id=need_id)


async def enqueue_many(need_ids: Iterable[int]) -> None:
    rows = [SearchOutbox(need_id=i) for i in dict.fromkeys(need_ids)]
    if rows:
        await SearchOutbox.bulk_create(rows, batch_size=1000)


log = logging.getLogger(__name__)

#: How long a claimed row stays reserved for its claimer (seconds).
LEASE_SECONDS = 120.0
#: Done rows are kept this long (for `fupin search-status` and audits of recent activity).
KEEP_DONE = timedelta(days=7)


def utcnow() -> datetime:
    return clock.now()


def _due(now: datetime) -> Q:
    return Q(done_at__isnull=True) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    need_id: int
    attempts: int


async def claim_due(limit: int, *, lease_seconds: float = LEASE_SECONDS) -> list[ClaimedRow]:
    """Reserve up to ``limit`` due rows, oldest first, for this claimer (see module docstring)."""
    now = utcnow()
    async with transaction() as conn:
        rows = (
            await SearchOutbox.filter(_due(now))
            .order_by("id")
            .limit(limit)
            .select_for_update(skip_locked=True)
            .using_db(conn)
        )
        if not rows:
            return []
        await (
            SearchOutbox.filter(id__in=[r.id for r in rows])
            .using_db(conn)
            .update(next_attempt_at=now + timedelta(seconds=lease_seconds))
        )
    return [ClaimedRow(r.id, r.need_id, r.attempts) for r in rows]


async def need_document(need_id: int) -> dict[str, Any] | None:
    """The need's public search document, or None when it is gone or not public (the worker then
    removes it from the index: search never shows a need that is not public, docs/domain.md §3.4)."""
    return await public_need_document(need_id)


async def documents_for(need_ids: Iterable[int]) -> dict[int, dict[str, Any] | None]:
    """Documents of several needs (one domain call per need, in order)."""
    return {need_id: await need_document(need_id) for need_id in dict.fromkeys(need_ids)}


async def fetch_batch(limit: int) -> list[OutboxItem]:
    """Claim due rows and attach each need's current document (the ``FetchBatch`` of the
    worker). The document is read after the claim, so it is at least as new as the change that
    wrote the row (the row commits with the change)."""
    claimed = await claim_due(limit)
    if not claimed:
        return []
    docs = await documents_for(r.need_id for r in claimed)
    return [OutboxItem(r.id, r.need_id, docs[r.need_id], r.attempts) for r in claimed]


async def mark_done(ids: Sequence[int]) -> None:
    """Record rows as applied, and re-queue a need when a newer change of it was handled by
    another claimer meanwhile (stale-write guard, module docstring)."""
    if not ids:
        return
    now = utcnow()
    async with transaction() as conn:
        rows = await SearchOutbox.filter(id__in=list(ids)).using_db(conn).values("id", "need_id")
        await (
            SearchOutbox.filter(id__in=list(ids)).using_db(conn).update(done_at=now, last_error="")
        )
        newest: dict[int, int] = {}
        for row in rows:
            newest[row["need_id"]] = max(newest.get(row["need_id"], 0), row["id"])
        if not newest:
            return
        later = (
            await SearchOutbox.filter(need_id__in=list(newest), id__gt=min(newest.values()))
            .filter(Q(done_at__isnull=False) | Q(next_attempt_at__isnull=False))
            .exclude(id__in=list(ids))
            .using_db(conn)
            .values("id", "need_id")
        )
        redo = sorted({r["need_id"] for r in later if r["id"] > newest[r["need_id"]]})
        if redo:
            await SearchOutbox.bulk_create([SearchOutbox(need_id=i) for i in redo], using_db=conn)


async def mark_failed(items: Sequence[OutboxItem], reason: str, delay: float) -> None:
    """Keep the rows for a later attempt: one more failed attempt, due again after ``delay``."""
    if not items:
        return
    async with transaction() as conn:
        await (
            SearchOutbox.filter(id__in=[i.id for i in items])
            .using_db(conn)
            .update(
                attempts=F("attempts") + 1,
                last_error=reason[:500],
                next_attempt_at=utcnow() + timedelta(seconds=delay),
            )
        )


async def release(ids: Sequence[int]) -> None:
    """Give claimed rows back, due now: the claimer stopped before applying them (the worker's
    ``Release``). Rows applied meanwhile stay done."""
    async with transaction():
        await SearchOutbox.filter(id__in=list(ids), done_at=None).update(next_attempt_at=None)


def make_worker(backend: SearchBackend, **options: Any) -> OutboxWorker:
    """An OutboxWorker draining this database's outbox into ``backend``."""
    return OutboxWorker(backend, fetch_batch, mark_done, mark_failed, release=release, **options)


@dataclass(frozen=True)
class OutboxStatus:
    pending: int  # not applied yet (due, claimed or waiting after a failure)
    failed: int  # pending rows that failed at least once
    due: int  # pending rows a worker may take now
    done_recently: int  # applied within KEEP_DONE
    oldest_pending_at: datetime | None
    last_error: str


async def outbox_status() -> OutboxStatus:
    now = utcnow()
    pending = SearchOutbox.filter(done_at=None)
    oldest = await pending.order_by("id").first()
    failed_row = await pending.filter(attempts__gt=0).order_by("-id").first()
    return OutboxStatus(
        pending=await pending.count(),
        failed=await pending.filter(attempts__gt=0).count(),
        due=await SearchOutbox.filter(_due(now)).count(),
        done_recently=await SearchOutbox.filter(done_at__gte=now - KEEP_DONE).count(),
        oldest_pending_at=oldest.created_at if oldest else None,
        last_error=failed_row.last_error if failed_row else "",
    )


async def purge_done(older_than: timedelta = KEEP_DONE) -> int:
    """Delete applied rows older than ``older_than`` (keeps the table small)."""
    return await SearchOutbox.filter(done_at__lt=utcnow() - older_than).delete()


async def public_documents(after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Documents of public needs with id > ``after_id``, by id (reindex batches)."""
    return await public_need_documents(after_id, limit)


async def count_public_needs() -> int:
    return await Need.filter(state__in=PUBLIC_STATES).count()


async def requeue_changed_since(started: datetime) -> int:
    """After a rebuild swap: queue again every need whose change a worker applied (or was
    applying) since ``started`` — such a change may have gone to the old index. Changes still
    waiting in the outbox reach the new index anyway. Returns the number of needs queued."""
    rows = await SearchOutbox.filter(
        Q(done_at__gte=started) | (Q(done_at__isnull=True) & Q(next_attempt_at__isnull=False))
    ).values_list("need_id", flat=True)
    need_ids = sorted(set(rows))
    if need_ids:
        async with transaction():
            await enqueue_many(need_ids)
    return len(need_ids)


async def queue_missing_public_needs() -> int:
    """Queue every public need that has no pending outbox row (an index found empty at start,
    e.g. a new Meilisearch instance or a deleted index directory, fills itself)."""
    pending = set(await SearchOutbox.filter(done_at=None).values_list("need_id", flat=True))
    ids = [
        i
        for i in await Need.filter(state__in=PUBLIC_STATES).values_list("id", flat=True)
        if i not in pending
    ]
    if ids:
        async with transaction():
            await enqueue_many(ids)
    return len(ids)
