"""Search never shows a need that is not public (docs/domain.md §3.4), whatever the index holds,
and changes reach the index through the outbox — also after the engine was down."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from fupin.needs.models import Need, SearchOutbox
from fupin.needs.service.search import SearchService
from fupin.needs.service.search_worker import run_outbox_worker
from fupin.search.adapters import SearchUnavailable
from fupin.search.adapters.embedded import EmbeddedBackend
from fupin.settings import Settings
from tests.needs.search_support import drain, make_need, service_of, withdraw
from tests.support.world import World


async def found(search: SearchService, q: str) -> set[int]:
    page = await search.search_needs(q, per_page=100)
    return {item["id"] for item in page.items}


@pytest.mark.both_databases
async def test_needs_that_were_never_public_never_appear(
    app: Any, world: World, search: SearchService, client_as: Any
) -> None:
    public = await make_need(world, "石门村饮水安全巩固工程")
    hidden = {
        state: await make_need(world, f"石门村饮水工程{state}", state=state)
        for state in ("draft", "submitted", "returned", "withdrawn")
    }
    await drain(app)
    assert await found(search, "饮水") == {public}
    assert await found(search, "") == {public}, "browsing without words shows only public needs"
    page = await client_as(None).get("/search", params={"q": "饮水"})
    assert page.status_code == 200
    for state, need_id in hidden.items():
        assert f'/needs/{need_id}"' not in page.text, state
    assert f'/needs/{public}"' in page.text


@pytest.mark.both_databases
async def test_a_withdrawn_need_disappears_once_the_worker_ran(
    app: Any, world: World, search: SearchService
) -> None:
    need_id = await make_need(world, "石门村自来水入户工程")
    await drain(app)
    assert need_id in await found(search, "自来水")
    await withdraw(world, need_id)
    # Before the worker runs the index still holds it, yet the database check hides it.
    assert await found(search, "自来水") == set()
    await drain(app)
    assert await service_of(app).backend.count() == 0, "the worker removed it from the index"
    assert await found(search, "自来水") == set()


async def test_a_stale_hit_is_dropped_and_money_figures_come_from_the_database(
    app: Any, world: World, search: SearchService
) -> None:
    need_id = await make_need(world, "石门村饮水安全巩固工程", target_yuan=100_000)
    other = await make_need(world, "石门村饮水管网改造工程")
    await drain(app)
    # Pledges move pledged_fen without the index knowing yet (the outbox row is not drained).
    await Need.filter(id=need_id).update(pledged_fen=2_500_000)
    # A need made non-public behind the outbox's back (e.g. a database fix) never shows.
    await Need.filter(id=other).update(state="withdrawn")
    page = await search.search_needs("饮水")
    assert [item["id"] for item in page.items] == [need_id]
    assert page.total == 1
    [item] = page.items
    assert item["pledged_fen"] == 2_500_000
    assert item["open_fen"] == 10_000_000 - 2_500_000


class SwitchableBackend(EmbeddedBackend):
    """The embedded engine behind a switch: while ``down`` every write fails as an unreachable
    engine does (SearchUnavailable), so the outbox must keep the changes."""

    down = True

    async def upsert(self, docs: Sequence[Mapping[str, Any]], *, wait: bool = False) -> None:
        if self.down:
            raise SearchUnavailable("搜索服务暂不可用")
        await super().upsert(docs, wait=wait)

    async def delete(self, ids: Sequence[int], *, wait: bool = False) -> None:
        if self.down:
            raise SearchUnavailable("搜索服务暂不可用")
        await super().delete(ids, wait=wait)


@pytest.mark.both_databases
async def test_changes_wait_in_the_outbox_while_the_engine_is_down_and_arrive_after(
    db: Settings, world: World
) -> None:
    backend = SwitchableBackend(db.search_dir / "switchable")
    service = SearchService(backend)
    await service.open()
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_outbox_worker(service, stop, idle_seconds=0.05, base_delay=0.05, max_delay=0.2)
    )
    try:
        first = await make_need(world, "石门村饮水安全巩固工程")
        second = await make_need(
            world,
            "新庄村通村道路硬化工程",
            category="roads",
            other_county=True,
            description="硬化通村道路三点五公里，宽四点五米，连通两个自然村和乡镇集市。",
        )
        for _ in range(100):  # bounded: up to 5 s
            rows = await SearchOutbox.filter(done_at__isnull=True).values_list(
                "attempts", flat=True
            )
            if rows and min(rows) >= 2:
                break
            await asyncio.sleep(0.05)
        rows = await SearchOutbox.filter(done_at__isnull=True).values_list("attempts", flat=True)
        assert rows and min(rows) >= 2, "the worker retried the rows with backoff"
        assert await backend.count() == 0
        backend.down = False  # the engine recovers
        for _ in range(100):
            if await SearchOutbox.filter(done_at__isnull=True).count() == 0:
                break
            await asyncio.sleep(0.05)
        assert await found(service, "饮水") == {first}
        assert await found(service, "道路") == {second}
        assert await SearchOutbox.filter(done_at__isnull=True).count() == 0
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
        await service.close()
