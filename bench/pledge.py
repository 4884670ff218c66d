"""Fupin's pledge path against a raw transaction doing the same logical writes.

On a fresh database (SQLite file, or a throw-away PostgreSQL database) with the test suite's
small world (``tests/support``: real regions of two provinces, one participant of each kind)
and one need (``--needs N``: N needs, pledged to in turn) with a target no pledge run can fill:

1. **statements**: one ``make_pledge`` with every statement the ORM sends counted, and those
   sent after the ledger head was read (``SELECT … ledger_head … FOR UPDATE`` on PostgreSQL;
   on SQLite the whole write transaction holds the database's one write lock);
2. **throughput** at ``--concurrency`` tasks: ``money.service.pledges.make_pledge`` (the path
   ``POST /api/v1/pledges`` calls after parsing) against a **baseline**: one raw transaction
   per pledge through the same driver (asyncpg / sqlite3 via aiosqlite), writing the same
   logical rows to scratch tables — the need's conditional update, the pledge, its event, the
   audit row, the chain's head and entry, the need's rollup — 7 statements, no reads.

Rounds alternate (baseline, Fupin, …); medians are printed, with the ratio.

    PYTHONPATH=platform:. .venv/bin/python bench/pledge.py
    PYTHONPATH=platform:. .venv/bin/python bench/pledge.py \\
        --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres

Not part of the test suite; the figures go to the README's Figures table.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_DB = "fupin_bench_pledge"
AMOUNT_FEN = 10_000  # ¥100

SCRATCH = [
    "CREATE TABLE IF NOT EXISTS bench_need (id INTEGER PRIMARY KEY, target BIGINT, pledged BIGINT)",
    "CREATE TABLE IF NOT EXISTS bench_pledge (id {serial}, need_id INTEGER, amount BIGINT,"
    " state VARCHAR(12), created_at VARCHAR(40))",
    "CREATE TABLE IF NOT EXISTS bench_event (id {serial}, pledge_id INTEGER, action VARCHAR(12),"
    " amount BIGINT)",
    "CREATE TABLE IF NOT EXISTS bench_audit (id {serial}, object_id INTEGER, after TEXT)",
    "CREATE TABLE IF NOT EXISTS bench_head (id INTEGER PRIMARY KEY, seq BIGINT, hash VARCHAR(64))",
    "CREATE TABLE IF NOT EXISTS bench_entry (seq BIGINT PRIMARY KEY, hash VARCHAR(64),"
    " payload TEXT)",
    "CREATE TABLE IF NOT EXISTS bench_rollup (need_id INTEGER PRIMARY KEY, pledges BIGINT,"
    " pledged BIGINT)",
]


class Counter:
    """Counts the statements Tortoise sends, and those after the ledger head was read."""

    def __init__(self) -> None:
        self.on = False
        self.total = 0
        self.after_head = 0
        self.head_seen = False
        self.statements: list[str] = []
        #: seconds spent inside the driver calls while counting (the database's work, the
        #: driver's round trip and Tortoise's client layer; not the ORM's query building)
        self.in_driver = 0.0

    def install(self) -> None:
        from tortoise.backends.asyncpg import client as pg
        from tortoise.backends.sqlite import client as lite

        for cls in (lite.SqliteClient, pg.AsyncpgDBClient, pg.TransactionWrapper):
            for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
                if name in vars(cls):
                    setattr(cls, name, self._wrap(getattr(cls, name)))

    def _wrap(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        counter = self

        async def counted(client: Any, query: str, *args: Any, **kw: Any) -> Any:
            if not counter.on:
                return await method(client, query, *args, **kw)
            counter.total += 1
            counter.statements.append(query[:100])
            if counter.head_seen:
                counter.after_head += 1
            if '"ledger_head"' in query and query.lstrip().upper().startswith("SELECT"):
                counter.head_seen = True
            started = time.perf_counter()
            try:
                return await method(client, query, *args, **kw)
            finally:
                counter.in_driver += time.perf_counter() - started

        return counted


async def setup_world(settings: Any, data_dir: Path, needs: int) -> tuple[Any, list[int]]:
    from fupin.db import open_database, run_migrations
    from tests.money.support import build_money, make_need
    from tests.support.world import build_world

    await run_migrations(settings)
    await open_database(settings)
    world = await build_world(data_dir)
    money = await build_money(world, target_fen=10**14)
    more = [(await make_need(world.village, target_fen=10**14)).id for _ in range(needs - 1)]
    return money.donor, [money.need.id, *more]


async def fupin_pledge(donor: Any, need_id: int) -> None:
    from fupin.money.rules.caps import PledgeCaps
    from fupin.money.service import pledges
    from tests.money.support import due

    await pledges.make_pledge(
        actor=donor, need_id=need_id, amount_fen=AMOUNT_FEN, due_date=due(), caps=PledgeCaps(0, 0)
    )


def raw_pledge(
    dialect: str, conn: Any, lock: asyncio.Lock | None, needs: int
) -> Callable[[], Awaitable[None]]:
    """One pledge as a raw transaction: the same logical writes, 7 statements; the pledges go
    to the ``needs`` needs in turn."""
    turn = iter(range(10**12))

    async def postgres() -> None:
        need = next(turn) % needs + 1
        async with conn.acquire() as c, c.transaction():
            ok = await c.fetchval(
                "UPDATE bench_need SET pledged = pledged + $1 WHERE id = $2"
                " AND pledged + $1 <= target RETURNING id",
                AMOUNT_FEN,
                need,
            )
            assert ok
            pid = await c.fetchval(
                "INSERT INTO bench_pledge (need_id, amount, state, created_at)"
                " VALUES ($2, $1, 'pledged', now()::text) RETURNING id",
                AMOUNT_FEN,
                need,
            )
            await c.execute(
                "INSERT INTO bench_event (pledge_id, action, amount) VALUES ($1, 'made', $2)",
                pid,
                AMOUNT_FEN,
            )
            await c.execute(
                "INSERT INTO bench_audit (object_id, after) VALUES ($1, $2)", pid, '{"a": 1}'
            )
            digest = hashlib.sha256(str(pid).encode()).hexdigest()
            seq = await c.fetchval(
                "UPDATE bench_head SET seq = seq + 1, hash = $1 WHERE id = 1 RETURNING seq", digest
            )
            await c.execute(
                "INSERT INTO bench_entry (seq, hash, payload) VALUES ($1, $2, $3)",
                seq,
                digest,
                '{"need": 1}',
            )
            await c.execute(
                "UPDATE bench_rollup SET pledges = pledges + 1, pledged = pledged + $1"
                " WHERE need_id = $2",
                AMOUNT_FEN,
                need,
            )

    async def sqlite() -> None:
        assert lock is not None
        need = next(turn) % needs + 1
        async with lock:  # one connection, as Tortoise's SQLite client has
            await conn.execute("BEGIN IMMEDIATE")
            cur = await conn.execute(
                "UPDATE bench_need SET pledged = pledged + ? WHERE id = ?"
                " AND pledged + ? <= target RETURNING id",
                (AMOUNT_FEN, need, AMOUNT_FEN),
            )
            assert await cur.fetchone()
            cur = await conn.execute(
                "INSERT INTO bench_pledge (need_id, amount, state, created_at)"
                " VALUES (?, ?, 'pledged', datetime('now')) RETURNING id",
                (need, AMOUNT_FEN),
            )
            pid = (await cur.fetchone())[0]
            await conn.execute(
                "INSERT INTO bench_event (pledge_id, action, amount) VALUES (?, 'made', ?)",
                (pid, AMOUNT_FEN),
            )
            await conn.execute(
                "INSERT INTO bench_audit (object_id, after) VALUES (?, ?)", (pid, '{"a": 1}')
            )
            digest = hashlib.sha256(str(pid).encode()).hexdigest()
            cur = await conn.execute(
                "UPDATE bench_head SET seq = seq + 1, hash = ? WHERE id = 1 RETURNING seq",
                (digest,),
            )
            seq = (await cur.fetchone())[0]
            await conn.execute(
                "INSERT INTO bench_entry (seq, hash, payload) VALUES (?, ?, ?)",
                (seq, digest, '{"need": 1}'),
            )
            await conn.execute(
                "UPDATE bench_rollup SET pledges = pledges + 1, pledged = pledged + ?"
                " WHERE need_id = ?",
                (AMOUNT_FEN, need),
            )
            await conn.commit()

    return postgres if dialect == "postgres" else sqlite


async def raw_connection(settings: Any, dialect: str, needs: int) -> Any:
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgres" else "INTEGER PRIMARY KEY"
    if dialect == "postgres":
        import asyncpg

        conn: Any = await asyncpg.create_pool(
            settings.database_url.replace("postgres://", "postgresql://"), min_size=8, max_size=8
        )
        run: Callable[[str], Awaitable[Any]] = conn.execute
    else:
        import aiosqlite

        path = settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=10000")
        run = conn.execute
    for statement in SCRATCH:
        await run(statement.format(serial=serial))
    for table, values in (
        ("bench_need", ", ".join(f"({i}, 100000000000000, 0)" for i in range(1, needs + 1))),
        ("bench_head", "(1, 0, '')"),
        ("bench_rollup", ", ".join(f"({i}, 0, 0)" for i in range(1, needs + 1))),
    ):
        await run(f"DELETE FROM {table}")
        await run(f"INSERT INTO {table} VALUES {values}")
    if dialect != "postgres":
        await conn.commit()
    return conn


async def throughput(make: Callable[[], Awaitable[None]], n: int, concurrency: int) -> float:
    """Pledges per second with ``concurrency`` tasks sharing ``n`` pledges."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await make()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def run(settings: Any, dialect: str, args: argparse.Namespace, data_dir: Path) -> None:
    from fupin.db import close_database

    counter = Counter()
    counter.install()
    donor, need_ids = await setup_world(settings, data_dir, args.needs)
    need_id = need_ids[0]
    conn = await raw_connection(settings, dialect, args.needs)
    try:
        await fupin_pledge(donor, need_id)  # warm-up: the ledger head exists from here on
        counter.on = True
        await fupin_pledge(donor, need_id)
        counter.on = False
        print(
            f"[{dialect}] statements per pledge: {counter.total}, after the ledger head was "
            f"read: {counter.after_head}; the raw transaction: 7 (+ BEGIN/COMMIT)"
        )
        if args.verbose:
            for statement in counter.statements:
                print("    ", statement)
        lock = asyncio.Lock() if dialect != "postgres" else None
        raw = raw_pledge(dialect, conn, lock, args.needs)
        turn = iter(range(10**12))
        if args.profile:
            await profile(dialect, counter, donor, need_id, raw, args.profile)

        async def ours() -> None:
            await fupin_pledge(donor, need_ids[next(turn) % len(need_ids)])

        rates: dict[str, list[float]] = {"raw": [], "fupin": []}
        await throughput(raw, 20, args.concurrency)
        for _ in range(args.rounds):
            rates["raw"].append(await throughput(raw, args.pledges, args.concurrency))
            rates["fupin"].append(await throughput(ours, args.pledges, args.concurrency))
        raw_rate = statistics.median(rates["raw"])
        fupin_rate = statistics.median(rates["fupin"])
        print(
            f"[{dialect}] c={args.concurrency}, {args.needs} need(s): raw transaction {raw_rate:.0f} pledges/s, "
            f"Fupin's make_pledge {fupin_rate:.0f} pledges/s: {fupin_rate / raw_rate * 100:.1f} % "
            f"(median of {args.rounds} alternating rounds of {args.pledges})"
        )
    finally:
        await conn.close()
        await close_database()


async def profile(
    dialect: str,
    counter: Counter,
    donor: Any,
    need_id: int,
    raw: Callable[[], Awaitable[None]],
    n: int,
) -> None:
    """Where one pledge's time goes, one pledge at a time (no queueing): wall time per pledge,
    the part inside the driver's calls (database, round trip, Tortoise's client layer) and the
    rest (the ORM building queries and models, the use case's own Python) — against the raw
    transaction, which is all driver. Alternating blocks of 50, medians of the blocks."""
    fupin_wall, fupin_driver, raw_wall = [], [], []
    for _ in range(max(1, n // 50)):
        started = time.perf_counter()
        for _ in range(50):
            await raw()
        raw_wall.append((time.perf_counter() - started) / 50)
        counter.in_driver = 0.0
        counter.on = True
        started = time.perf_counter()
        for _ in range(50):
            await fupin_pledge(donor, need_id)
        fupin_wall.append((time.perf_counter() - started) / 50)
        counter.on = False
        fupin_driver.append(counter.in_driver / 50)
    wall, driver, base = (statistics.median(x) * 1000 for x in (fupin_wall, fupin_driver, raw_wall))
    print(
        f"[{dialect}] profile, one pledge at a time ({n}): Fupin {wall:.2f} ms a pledge — "
        f"{driver:.2f} ms in the driver's calls, {wall - driver:.2f} ms in the ORM and the use "
        f"case's Python; the raw transaction {base:.2f} ms ({base / wall * 100:.0f} % of Fupin's)"
    )


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pledges", type=int, default=200, help="per round and path")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--needs",
        type=int,
        default=1,
        help="pledges go to this many needs in turn (1: all wait for one need's row)",
    )
    parser.add_argument("--postgres-admin-url", default="", help="also run on PostgreSQL")
    parser.add_argument("--verbose", action="store_true", help="print the statements")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also time N pledges one at a time: in the driver's calls vs in Python",
    )
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).as_posix(), *sys.argv]))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    from fupin.settings import Secret, Settings
    from tests.support.subset import build_subset

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = build_subset(Path(tmp) / "data")
        base = Settings(
            env="test",
            var_dir=Path(tmp) / "var",
            search_worker=False,
            secret_key=Secret("bench-" + "k3y-Zq8w" * 6),
        )
        sqlite = base.replace(database_url=f"sqlite://{Path(tmp) / 'pledge.sqlite3'}")
        asyncio.run(run(sqlite, "sqlite", args, data_dir))
        if args.postgres_admin_url:
            admin = args.postgres_admin_url
            asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
            asyncio.run(_admin(admin, f"CREATE DATABASE {BENCH_DB}"))
            url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + "/" + BENCH_DB
            try:
                asyncio.run(run(base.replace(database_url=url), "postgres", args, data_dir))
            finally:
                asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
