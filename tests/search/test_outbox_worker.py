"""The outbox drain loop with a real embedded backend behind a switch that makes it fail, and an
in-memory outbox that honours the retry delays it is given."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fupin.needs.service.search_drain import OutboxItem, OutboxWorker, backoff_seconds
from fupin.search.adapters import SearchQuery, SearchUnavailable
from fupin.search.adapters.embedded import EmbeddedBackend
from tests.search.fupin_search_corpus import BY_ID


class FlakyBackend(EmbeddedBackend):
    """The embedded backend, failing its writes while ``down`` is true (an engine outage)."""

    down = False
    writes = 0

    async def upsert(self, docs: Sequence[Mapping[str, Any]], *, wait: bool = False) -> None:
        self.writes += 1
        if self.down:
            raise SearchUnavailable("搜索服务暂不可用")
        await super().upsert(docs, wait=wait)

    async def delete(self, ids: Sequence[int], *, wait: bool = False) -> None:
        self.writes += 1
        if self.down:
            raise SearchUnavailable("搜索服务暂不可用")
        await super().delete(ids, wait=wait)


@dataclass
class Row:
    id: int
    need_id: int
    document: dict[str, Any] | None
    attempts: int = 0
    due: float = 0.0
    done: bool = False
    last_error: str = ""


@dataclass
class MemoryOutbox:
    rows: list[Row] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def add(self, need_id: int, document: dict[str, Any] | None) -> None:
        self.rows.append(Row(len(self.rows) + 1, need_id, document))

    async def fetch(self, limit: int) -> list[OutboxItem]:
        now = time.monotonic()
        due = [r for r in self.rows if not r.done and r.due <= now][:limit]
        return [OutboxItem(r.id, r.need_id, r.document, r.attempts) for r in due]

    async def mark_done(self, ids: Sequence[int]) -> None:
        for row in self.rows:
            if row.id in ids:
                row.done = True

    async def mark_failed(self, items: Sequence[OutboxItem], reason: str, delay: float) -> None:
        self.delays.append(delay)
        for row in self.rows:
            if row.id in {i.id for i in items}:
                row.attempts += 1
                row.due = time.monotonic() + delay
                row.last_error = reason

    @property
    def pending(self) -> list[Row]:
        return [r for r in self.rows if not r.done]


@pytest.fixture
async def backend(tmp_path: Path) -> FlakyBackend:
    backend = FlakyBackend(tmp_path / "index")
    await backend.open()
    await backend.ensure_index()
    yield backend
    await backend.close()


def worker(backend: FlakyBackend, outbox: MemoryOutbox, **kw: Any) -> OutboxWorker:
    return OutboxWorker(backend, outbox.fetch, outbox.mark_done, outbox.mark_failed, **kw)


async def titles(backend: FlakyBackend, text: str) -> set[int]:
    return {h["id"] for h in (await backend.search(SearchQuery(text=text, per_page=100))).hits}


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_seconds(30, cap=300) == 300


async def test_drain_applies_the_newest_change_per_need_and_deletes(backend: FlakyBackend) -> None:
    outbox = MemoryOutbox()
    outbox.add(1, dict(BY_ID[1], title="火普村旧标题"))
    outbox.add(2, BY_ID[2])
    outbox.add(1, dict(BY_ID[1], title="火普村鹦鹉标题"))  # later change to the same need
    report = await worker(backend, outbox).drain_until_empty()
    assert (report.fetched, report.done, report.failed) == (3, 3, 0)
    assert await titles(backend, "鹦鹉") == {1} and await titles(backend, "旧标题") == set()
    outbox.add(2, None)  # need 2 deleted
    await worker(backend, outbox).drain_until_empty()
    assert await backend.count() == 1 and outbox.pending == []


async def test_changes_wait_in_the_outbox_while_the_engine_is_down_and_arrive_after(
    backend: FlakyBackend,
) -> None:
    outbox = MemoryOutbox()
    outbox.add(7, BY_ID[7])
    backend.down = True
    loop = worker(backend, outbox, base_delay=0.01, max_delay=0.05, idle_seconds=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    for _ in range(500):  # at most 5 s
        if len(outbox.delays) >= 3:
            break
        await asyncio.sleep(0.01)
    assert [r.need_id for r in outbox.pending] == [7]
    assert outbox.pending[0].attempts >= 3 and outbox.pending[0].last_error
    assert outbox.delays[:3] == [0.01, 0.02, 0.04]  # exponential backoff
    backend.down = False
    for _ in range(500):
        if not outbox.pending:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert outbox.pending == []
    assert await titles(backend, "阿土列尔村") == {7}


async def test_a_malformed_document_does_not_block_the_others(backend: FlakyBackend) -> None:
    outbox = MemoryOutbox()
    bad = dict(BY_ID[9])
    del bad["county"]
    outbox.add(9, bad)
    outbox.add(10, BY_ID[10])
    report = await worker(backend, outbox).drain_once()
    assert (report.done, report.failed) == (1, 1)
    assert [r.need_id for r in outbox.pending] == [9]
    assert await titles(backend, "红柳村") == {10}


async def test_notify_wakes_the_idle_worker(backend: FlakyBackend) -> None:
    outbox = MemoryOutbox()
    loop = worker(backend, outbox, idle_seconds=30)
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await asyncio.sleep(0.05)  # idle now
    outbox.add(13, BY_ID[13])
    started = time.monotonic()
    loop.notify()
    while outbox.pending and time.monotonic() - started < 5:
        await asyncio.sleep(0.01)
    assert outbox.pending == [] and time.monotonic() - started < 2  # findable within 2 seconds
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_the_loop_survives_a_failing_fetch(backend: FlakyBackend) -> None:
    outbox = MemoryOutbox()
    outbox.add(20, BY_ID[20])
    calls = 0

    async def flaky_fetch(limit: int) -> list[OutboxItem]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database restarting")
        return await outbox.fetch(limit)

    loop = OutboxWorker(
        backend,
        flaky_fetch,
        outbox.mark_done,
        outbox.mark_failed,
        base_delay=0.01,
        idle_seconds=0.01,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    for _ in range(500):
        if not outbox.pending:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert calls >= 2 and outbox.pending == []
