"""Database configuration, connection lifecycle, the transaction helper and the read snapshot.

SQLite write transactions start with ``BEGIN IMMEDIATE``: with Tortoise's default deferred
``BEGIN`` a read-then-write transaction in a second process fails with "database is locked"
instead of waiting (docs/stack.md §4: 66–76 % failures with 4 processes; 0 % with IMMEDIATE).

Tortoise's SQLite client is one connection behind one ``asyncio.Lock``: every statement of the
process waits for the one before it, so a dashboard's 300 ms aggregate held every page and every
write of the site behind it. Long reads therefore go through ``read_snapshot()``, which on
SQLite runs them on a small pool of read-only connections of their own (WAL mode: readers and
the writer do not wait for each other), inside one read transaction — one state of the database.

Every transaction of ``transaction()`` that wrote moves the data generation — on SQLite a row
bumped as its last statement, on PostgreSQL a sequence moved after its commit (see
``BUMP_GENERATION_PG``) — so a cache of derived figures (``fupin.core.cache``) keyed by the
generation of its snapshot can never serve figures older than that snapshot, in any process.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.backends.sqlite import client as sqlite_client
from tortoise.exceptions import TransactionManagementError
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from fupin.settings import Settings

#: Every module that defines models: one per area, all in Tortoise's single app "models" (the
#: migrations and the models' string references name that app). Strings, so that this module
#: imports no area.
MODEL_MODULES: list[str] = [
    "fupin.core.models",
    "fupin.regions.models",
    "fupin.accounts.models",
    "fupin.notify.models",
    "fupin.ledger.models",
    "fupin.needs.models",
    "fupin.money.models",
    "fupin.progress.models",
    "fupin.pairs.models",
    "fupin.commendation.models",
    "fupin.matching.models",
    "fupin.disclosure.models",
    "fupin.sharing.models",
]


async def _begin_immediate(self: sqlite_client.SqliteTransactionWrapper) -> None:
    try:
        await self._connection.commit()
        await self._connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # pragma: no cover - mirrors Tortoise's own handling
        raise TransactionManagementError(exc) from exc


sqlite_client.SqliteTransactionWrapper.begin = _begin_immediate  # type: ignore[method-assign]


def connection_url(database_url: str) -> str:
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path not in (":memory:", ""):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Wait for other writers instead of failing at once (multi-process embedded mode).
        if "busy_timeout" not in database_url:
            sep = "&" if "?" in database_url else "?"
            return f"{database_url}{sep}journal_mode=WAL&busy_timeout=10000&foreign_keys=ON"
        return database_url
    if database_url.startswith("postgresql://"):
        return "postgres://" + database_url.removeprefix("postgresql://")
    return database_url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": connection_url(settings.database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "fupin.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


_generation = 0


def generation() -> int:
    """Which opening of the database this process is on: what a per-process cache keys its
    entries by, so none outlives the database it was read from (the test suite opens a new
    database for every test)."""
    return _generation


#: Read-only SQLite connections beside the writer: as many long reads at once as the machine
#: has cores to run them, more would only queue inside SQLite.
READERS = 2


class ReadPool:
    """Read-only connections to the SQLite file of the writer (``PRAGMA query_only``: a write
    through one fails instead of bypassing the writer's lock). Each is a Tortoise client of its
    own, with its own lock and thread, so the ORM and ``fupin.core.sql`` run on it unchanged
    while ``read_snapshot`` names it the "default" connection of the reading task."""

    def __init__(self, writer: sqlite_client.SqliteClient, size: int = READERS) -> None:
        self._writer = writer
        self._idle: list[sqlite_client.SqliteClient] = []
        self._all: list[sqlite_client.SqliteClient] = []
        self._slots = asyncio.Semaphore(size)

    async def acquire(self) -> sqlite_client.SqliteClient:
        await self._slots.acquire()
        if self._idle:
            return self._idle.pop()
        reader = sqlite_client.SqliteClient(
            self._writer.filename,
            connection_name=self._writer.connection_name,
            **{**self._writer.pragmas, "query_only": "ON"},
        )
        try:
            await reader.create_connection(with_db=True)
        except BaseException:
            self._slots.release()
            raise
        self._all.append(reader)
        return reader

    def release(self, reader: sqlite_client.SqliteClient) -> None:
        self._idle.append(reader)
        self._slots.release()

    async def close(self) -> None:
        for reader in self._all:
            await reader.close()
        self._all.clear()
        self._idle.clear()


_read_pool: ReadPool | None = None
_in_snapshot: contextvars.ContextVar[bool] = contextvars.ContextVar("in_snapshot", default=False)


def _file_backed_sqlite(conn: BaseDBAsyncClient) -> bool:
    return isinstance(conn, sqlite_client.SqliteClient) and conn.filename not in ("", ":memory:")


async def open_database(settings: Settings, *, generate_schemas: bool = False) -> None:
    global _generation, _read_pool
    _generation += 1
    # Tortoise caches prepared INSERT/DELETE SQL per connection *name*; a process that opens
    # SQLite and later PostgreSQL under the name "default" (the test suite) would reuse SQL
    # with the wrong placeholders, so start every opening with an empty cache.
    EXECUTOR_CACHE.clear()
    # Requests run in other tasks than the lifespan that opened the ORM, so they need the
    # global context fallback (Tortoise 1.x; docs/stack.md §5).
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    if generate_schemas:
        await Tortoise.generate_schemas(safe=True)
    writer = connections.get("default")
    _read_pool = ReadPool(writer) if _file_backed_sqlite(writer) else None


class SchemaBehind(RuntimeError):
    """The database lacks migrations this code needs: serving it would answer 500 on every page."""


async def check_migrated(settings: Settings) -> None:
    """Refuse to serve a database whose schema is behind the code (a fresh file, or an upgrade
    without ``fupin migrate``): the operator gets one clear message at start instead of a health
    check that says ok and pages that fail."""
    apps = tortoise_config(settings)["apps"]
    steps = await MigrationExecutor(connections.get("default"), apps).plan()
    pending = [f"{step.migration.app_label}.{step.migration.name}" for step in steps]
    if pending:
        raise SchemaBehind(
            f"the database has {len(pending)} migration(s) to apply ({', '.join(pending)}): "
            "run `fupin migrate` first"
        )


async def close_database() -> None:
    global _generation, _read_pool
    _generation += 1
    if _read_pool is not None:
        await _read_pool.close()
        _read_pool = None
    await Tortoise.close_connections()


@asynccontextmanager
async def database(settings: Settings, *, generate_schemas: bool = False) -> AsyncIterator[None]:
    await open_database(settings, generate_schemas=generate_schemas)
    try:
        yield
    finally:
        await close_database()


async def run_migrations(settings: Settings, *, progress: Any = None) -> None:
    """Apply the migrations in fupin/migrations (Tortoise's built-in migration engine), and close
    the connections they opened: every caller — `fupin migrate`, the test templates, the
    benchmarks — then opens the database afresh, or not at all."""
    try:
        await migrate(config=tortoise_config(settings), progress=progress)
    finally:
        await close_database()


#: SQLite: the last statement of every transaction that wrote — one row, created by the first
#: write (a database restored or emptied without it counts from zero again). SQLite runs one
#: write transaction at a time anyway, so the row orders nothing that was not ordered already.
BUMP_GENERATION = (
    "INSERT INTO data_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = data_generation.n + 1"
)
#: PostgreSQL: a sequence moved after the commit. A row bumped inside every write transaction
#: would be one global lock held across every commit's flush, serialising every write of the
#: platform (the ledger head is locked last for the same reason); ``nextval`` takes no lock
#: and waits for nothing. Whether the transaction wrote is asked of PostgreSQL before the
#: commit (a read: only writing assigns a transaction id), so an outbox worker's empty poll
#: leaves the generation alone.
WROTE_PG = "SELECT txid_current_if_assigned() IS NOT NULL AS wrote"
BUMP_GENERATION_PG = "SELECT nextval('data_generation_seq')"
READ_GENERATION_PG = (
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM data_generation_seq"
)


def _sqlite_changes(conn: Any) -> int | None:
    """Rows changed so far on a SQLite transaction's connection (None on PostgreSQL)."""
    raw = getattr(conn, "_connection", None)
    changes = getattr(raw, "total_changes", None)
    return changes if isinstance(changes, int) else None


#: set on a transaction's connection by ``wrote``
WROTE_MARK = "_fupin_wrote"


def wrote(conn: Any) -> None:
    """The caller knows its transaction writes (a money change always does): PostgreSQL need
    not be asked before the commit, a round trip while the transaction still holds its row
    locks (the need's, the ledger head's)."""
    setattr(conn, WROTE_MARK, True)


@asynccontextmanager
async def transaction() -> AsyncIterator[Any]:
    """One explicit transaction for a use case: money, ledger, audit and outbox rows together,
    and — if it wrote anything — the data generation bumped with them (a nested call is a
    savepoint of the outer one, which bumps once, at its end)."""
    outer = not isinstance(connections.get("default"), TransactionalDBClient)
    bump_after_commit = False
    async with in_transaction("default") as conn:
        before = _sqlite_changes(conn) if outer else None
        yield conn
        if outer:
            if str(conn.capabilities.dialect) == "postgres":
                if getattr(conn, WROTE_MARK, False):
                    bump_after_commit = True
                else:
                    found = await conn.execute_query_dict(WROTE_PG)
                    bump_after_commit = bool(found[0]["wrote"])
            elif before is None or _sqlite_changes(conn) != before:
                await conn.execute_query(BUMP_GENERATION)
    if bump_after_commit:
        # after the commit: a reader that sees the new generation sees the write (see
        # read_snapshot, which reads the generation before its snapshot begins)
        await connections.get("default").execute_query(BUMP_GENERATION_PG)


async def data_generation() -> int:
    """How many write transactions the database has committed, as seen by the current
    connection (inside ``read_snapshot``: as of the snapshot)."""
    at_snapshot = _snapshot_generation.get()
    if at_snapshot is not None:
        return at_snapshot
    client = connections.get("default")
    if str(client.capabilities.dialect) == "postgres":
        found = await client.execute_query_dict(READ_GENERATION_PG)
        return int(found[0]["n"]) if found else 0
    found = await client.execute_query_dict("SELECT n FROM data_generation WHERE id = 1")
    return int(found[0]["n"]) if found else 0


#: PostgreSQL: the generation read just before the snapshot began. A sequence is outside
#: transactions, so read inside the snapshot it could already count a commit the snapshot does
#: not see, and figures from before that write would be kept as current. Read before, it may
#: only be older than the snapshot, which costs at most one needless recomputation.
_snapshot_generation: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "snapshot_generation", default=None
)


@asynccontextmanager
async def read_snapshot() -> AsyncIterator[None]:
    """Several reads that must see one state of the database (a dashboard's aggregates), and
    that must not hold the rest of the site while they run.

    PostgreSQL: a read-only REPEATABLE READ transaction on a connection of the pool, which
    blocks no writer. SQLite (a file): a read transaction on a connection of ``ReadPool``,
    named the "default" connection of this task for its duration — the writer's connection and
    its lock stay free for every other request. Inside the snapshot nothing may be written.
    An in-memory SQLite database has one connection only: the reads run on it, statement by
    statement, as before."""
    current = connections.get("default")
    if _in_snapshot.get() or isinstance(current, TransactionalDBClient):
        # Inside a snapshot or a transaction already: its state is the one to read.
        yield
        return
    marked = _in_snapshot.set(True)
    try:
        if str(current.capabilities.dialect) == "postgres":
            stamped = _snapshot_generation.set(await data_generation())
            try:
                async with in_transaction("default") as conn:
                    await conn.execute_query(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                    )
                    yield
            finally:
                _snapshot_generation.reset(stamped)
        elif _read_pool is None:
            yield
        else:
            async with _pooled_snapshot(_read_pool):
                yield
    finally:
        _in_snapshot.reset(marked)


@asynccontextmanager
async def _pooled_snapshot(pool: ReadPool) -> AsyncIterator[None]:
    reader = await pool.acquire()
    token = connections.set("default", reader)
    try:
        await reader.execute_query("BEGIN")
        try:
            yield
        finally:
            await reader.execute_query("ROLLBACK")
    finally:
        connections.reset(token)
        pool.release(reader)
