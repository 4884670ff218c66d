"""A long read does not hold the site (``fupin.db.read_snapshot``): while one statement of a
snapshot is still running, a write transaction commits and another read answers, and the
snapshot keeps seeing the state it began in. Proved by the order of events, not by timing: the
long statement waits, inside SQLite (or PostgreSQL), until the test lets it go, which the test
does only after the write and the read have finished — with one shared connection they would
queue behind it and the bounded wait would fail the test.

SQLite: the snapshot runs on a read-only connection of ``fupin.db.ReadPool`` (a function
registered on that connection blocks). PostgreSQL: on a connection of the pool (the statement
waits for an advisory lock the test holds on a connection of its own)."""

from __future__ import annotations

import asyncio
import threading

import asyncpg
import pytest
from tortoise import connections

from fupin.db import read_snapshot, transaction
from fupin.errors import InvalidInput
from fupin.regions.models import Region

pytestmark = pytest.mark.both_databases

#: The most any step may wait: far above what it takes, so only a step that queues behind the
#: held statement reaches it.
BOUND = 20.0
LOCK_KEY = 4_242_021


def _dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


class Hold:
    """A statement, run inside a snapshot, that does not finish until ``release``."""

    def __init__(self, database_kind: str, url: str) -> None:
        self.kind = database_kind
        self.url = url
        self.entered = threading.Event()
        self.released = threading.Event()
        self.holder: asyncpg.Connection | None = None

    async def prepare(self) -> None:
        if self.kind == "postgres":
            self.holder = await asyncpg.connect(_dsn(self.url))
            await self.holder.execute(f"SELECT pg_advisory_lock({LOCK_KEY})")

    async def run(self) -> int:
        """Inside the snapshot: the long statement."""
        conn = connections.get("default")
        if self.kind == "postgres":
            self.entered.set()  # the statement is sent next; it waits on the lock
            found = await conn.execute_query_dict(
                f"SELECT pg_advisory_xact_lock_shared({LOCK_KEY}) IS NULL AS ok"
            )
            return len(found)

        def hold() -> int:
            self.entered.set()
            return 1 if self.released.wait(BOUND) else 0

        raw = conn._connection  # type: ignore[attr-defined]  # the aiosqlite connection
        await raw.create_function("hold_until_released", 0, hold)
        found = await conn.execute_query_dict("SELECT hold_until_released() AS ok")
        return int(found[0]["ok"])

    async def wait_until_blocked(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, BOUND)
        if self.kind == "postgres":
            assert self.holder is not None
            for _ in range(200):  # until PostgreSQL shows the statement waiting on the lock
                waiting = await self.holder.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                if waiting:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("the held statement never waited on the lock")

    async def release(self) -> None:
        self.released.set()
        if self.holder is not None:
            await self.holder.execute(f"SELECT pg_advisory_unlock({LOCK_KEY})")
            await self.holder.close()


async def test_a_long_read_holds_neither_a_write_nor_another_read(
    db, database_kind: str, world
) -> None:
    hold = Hold(database_kind, db.database_url)
    await hold.prepare()
    events: list[str] = []
    before = await Region.filter(code=world.village.code).first()
    assert before is not None

    async def long_read() -> tuple[str, str]:
        async with read_snapshot():
            name_at_start = (await Region.get(code=world.village.code)).name
            await hold.run()
            events.append("long read done")
            # The snapshot still sees the state it began in, not the write made meanwhile.
            return name_at_start, (await Region.get(code=world.village.code)).name

    reader = asyncio.create_task(long_read())
    try:
        await hold.wait_until_blocked()
        async with asyncio.timeout(BOUND):
            async with transaction():
                await Region.filter(code=world.village.code).update(name="改名后的村")
            events.append("write committed")
            found = await Region.get(code=world.village.code)
            events.append("other read answered")
        assert found.name == "改名后的村"
        assert not reader.done()
    finally:
        await hold.release()
    start, end = await asyncio.wait_for(reader, BOUND)
    assert events == ["write committed", "other read answered", "long read done"]
    assert start == end == before.name


async def test_nothing_is_written_inside_a_snapshot(db, database_kind: str) -> None:
    """The snapshot's connection is read-only: a write attempted in it fails and leaves no
    trace (SQLite: ``query_only``; PostgreSQL: a READ ONLY transaction)."""
    with pytest.raises(Exception) as caught:
        async with read_snapshot():
            await Region.filter(code="__none__").update(name="x")
    assert not isinstance(caught.value, InvalidInput)
    assert "read" in str(caught.value).lower()
