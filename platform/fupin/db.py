"""Database configuration, connection lifecycle and the transaction helper.

SQLite write transactions start with ``BEGIN IMMEDIATE``: with Tortoise's default deferred
``BEGIN`` a read-then-write transaction in a second process fails with "database is locked"
instead of waiting (docs/stack.md §4: 66–76 % failures with 4 processes; 0 % with IMMEDIATE).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
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


async def open_database(settings: Settings, *, generate_schemas: bool = False) -> None:
    global _generation
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
    global _generation
    _generation += 1
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


def transaction() -> Any:
    """One explicit transaction for a use case: money, ledger, audit and outbox rows together."""
    return in_transaction("default")


@asynccontextmanager
async def read_snapshot() -> AsyncIterator[None]:
    """Several reads that must see one state of the database (a dashboard's aggregates).
    PostgreSQL: a read-only REPEATABLE READ transaction, which blocks no writer. SQLite: no
    transaction — the process shares one connection, which a transaction would hold for the
    whole read; each statement then sees the latest committed state."""
    if str(connections.get("default").capabilities.dialect) != "postgres":
        yield
        return
    async with in_transaction("default") as conn:
        await conn.execute_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
