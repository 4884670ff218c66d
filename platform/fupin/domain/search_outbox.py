"""Queue a need for (re)indexing: call inside the transaction that changed the need (or anything
its search document shows), so the change and its outbox row commit together (BRIEF §3.12)."""

from __future__ import annotations

from collections.abc import Iterable

from fupin.models.search import SearchOutbox


async def enqueue(need_id: int) -> None:
    await SearchOutbox.create(need_id=need_id)


async def enqueue_many(need_ids: Iterable[int]) -> None:
    rows = [SearchOutbox(need_id=i) for i in dict.fromkeys(need_ids)]
    if rows:
        await SearchOutbox.bulk_create(rows, batch_size=1000)
