"""The database side of the search outbox: claims that never hand one row to two claimers,
leases that free the rows of a claimer that died, failures that wait for their backoff, and the
stale-write guard. Real databases (SQLite, and PostgreSQL where claims really race)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fupin.db import transaction
from fupin.needs.models import SearchOutbox
from fupin.needs.service import search_outbox as outbox_db
from fupin.needs.service.search_drain import OutboxItem
from fupin.needs.service.search_outbox import enqueue, enqueue_many
from fupin.settings import Settings


async def queue(need_ids: list[int]) -> None:
    async with transaction():
        await enqueue_many(need_ids)


@pytest.mark.both_databases
async def test_concurrent_claimers_never_take_the_same_row(db: Settings) -> None:
    for start in range(0, 120, 30):  # separate transactions: separate changes
        await queue(list(range(start, start + 30)))
    claimed: list[int] = []

    async def claimer() -> None:
        for _ in range(50):  # bounded
            rows = await outbox_db.claim_due(7)
            if not rows:
                return
            claimed.extend(r.id for r in rows)

    await asyncio.gather(*(claimer() for _ in range(4)))
    assert len(claimed) == 120
    assert len(set(claimed)) == 120, "a row was claimed twice"
    assert await outbox_db.claim_due(10) == []


@pytest.mark.both_databases
async def test_rows_of_a_claimer_that_died_are_taken_again_after_the_lease(db: Settings) -> None:
    await queue([1, 2, 3])
    first = await outbox_db.claim_due(10, lease_seconds=0.3)
    assert [r.need_id for r in first] == [1, 2, 3]
    assert await outbox_db.claim_due(10) == [], "leased rows are not due"
    await asyncio.sleep(0.4)
    again = await outbox_db.claim_due(10)
    assert [r.id for r in again] == [r.id for r in first]


@pytest.mark.both_databases
async def test_failed_rows_wait_for_their_backoff_and_keep_the_reason(db: Settings) -> None:
    await queue([5])
    [row] = await outbox_db.claim_due(10)
    item = OutboxItem(row.id, row.need_id, None, row.attempts)
    await outbox_db.mark_failed([item], "搜索服务暂不可用", 0.3)
    stored = await SearchOutbox.get(id=row.id)
    assert stored.attempts == 1 and stored.last_error == "搜索服务暂不可用"
    assert stored.done_at is None
    assert await outbox_db.claim_due(10) == []
    status = await outbox_db.outbox_status()
    assert (status.pending, status.failed, status.due) == (1, 1, 0)
    await asyncio.sleep(0.4)
    [retry] = await outbox_db.claim_due(10)
    assert retry.id == row.id and retry.attempts == 1


@pytest.mark.both_databases
async def test_done_rows_are_never_claimed_again(db: Settings) -> None:
    await queue([7, 8])
    rows = await outbox_db.claim_due(10)
    await outbox_db.mark_done([r.id for r in rows])
    await asyncio.sleep(0)
    assert await outbox_db.claim_due(10) == []
    status = await outbox_db.outbox_status()
    assert (status.pending, status.done_recently) == (0, 2)


@pytest.mark.both_databases
async def test_a_need_is_queued_again_when_another_claimer_handled_a_newer_change(
    db: Settings,
) -> None:
    """Claimer A holds need 9's older change; claimer B takes the newer one and finishes first.
    When A finishes, A's older document may have overwritten B's: the need is queued again."""
    async with transaction():
        await enqueue(9)
    [older] = await outbox_db.claim_due(10)
    async with transaction():
        await enqueue(9)
    [newer] = await outbox_db.claim_due(10)
    await outbox_db.mark_done([newer.id])
    await outbox_db.mark_done([older.id])
    [requeued] = await outbox_db.claim_due(10)
    assert requeued.need_id == 9 and requeued.id > newer.id


@pytest.mark.both_databases
async def test_finishing_in_order_queues_nothing_more(db: Settings) -> None:
    async with transaction():
        await enqueue(9)
    [older] = await outbox_db.claim_due(10)
    await outbox_db.mark_done([older.id])
    async with transaction():
        await enqueue(9)
    [newer] = await outbox_db.claim_due(10)
    await outbox_db.mark_done([newer.id])
    assert await outbox_db.claim_due(10) == []


async def test_purge_deletes_only_rows_applied_long_ago(db: Settings) -> None:
    await queue([1, 2, 3])
    rows = await outbox_db.claim_due(2)
    await outbox_db.mark_done([r.id for r in rows])
    await SearchOutbox.filter(id=rows[0].id).update(
        done_at=outbox_db.utcnow() - outbox_db.KEEP_DONE - timedelta(hours=1)
    )
    assert await outbox_db.purge_done() == 1
    left = await SearchOutbox.all().order_by("id").values_list("need_id", flat=True)
    assert list(left) == [2, 3], "recently applied and pending rows stay"


@pytest.mark.both_databases
async def test_a_worker_stopped_mid_batch_gives_its_rows_back_due_now(db: Settings) -> None:
    """Workers stop by cancellation (SIGTERM, shutdown). A worker stopped while the engine
    writes its batch used to leave the rows leased to itself for the whole lease, so the need
    stayed out of the index for minutes and a check right after the stop found it missing."""
    await queue([11, 12, 13])
    writing = asyncio.Event()

    class SlowEngine:
        async def upsert(self, docs: object, *, wait: bool = False) -> None:
            writing.set()
            await asyncio.sleep(3600)  # stopped before this returns

        async def delete(self, ids: object, *, wait: bool = False) -> None:
            writing.set()
            await asyncio.sleep(3600)

    worker = outbox_db.make_worker(SlowEngine())  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(writing.wait(), timeout=30)
    assert await outbox_db.claim_due(10) == [], "the batch is leased while it is written"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    again = await outbox_db.claim_due(10)
    assert sorted(r.need_id for r in again) == [11, 12, 13]
