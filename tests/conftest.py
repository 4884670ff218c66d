"""Fixtures: real databases (SQLite always; PostgreSQL for tests marked both_databases),
the app over ASGI with its lifespan, and clients logged in as each role.

Isolation: our use cases commit their own transactions, so "roll back after the test" cannot
work; every test starts from a database in a known state instead. Building the schema and the
reference world per test was half the suite's time, so each session (each pytest-xdist worker)
builds two templates once, lazily — the empty schema, and the schema plus the `world` rows — and
each test starts from the one it needs: SQLite gets a copy of the template file; PostgreSQL (one
throw-away database per session) is put back into the template's state (see `_Templates`).
`world` then loads its instances by id.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from fupin.accounts.models import Participant, User
from fupin.app import create_app
from fupin.db import close_database, open_database, run_migrations
from fupin.regions.models import Region
from fupin.settings import Settings
from tests.support.contract import CONTRACT_HOOKS
from tests.support.subset import build_subset
from tests.support.world import CSRF, LoggedInClient, World, build_world, session_cookie
from tests.support.write_guard import GUARDED_AREAS, watching

#: Admin connection used to create the throw-away test databases (CI: trust auth on loopback).
#: A superuser: resetting a database between tests turns triggers off (session_replication_role).
POSTGRES_ADMIN_URL = os.environ.get(
    "FUPIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
#: Where tmp_path goes when the machine has a roomy RAM disk (see pytest_configure).
MEMORY_TEMPROOT = Path("/dev/shm")


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject addopts): one worker more than the CPU cores, since much of a
    test's time is spent waiting on PostgreSQL, on subprocesses and on Chromium. On 2 cores the
    whole suite took 332 s with 2 workers, 217 s with 3, 228 s with 4 (machine shared and busy).
    PYTEST_XDIST_AUTO_NUM_WORKERS still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """tmp_path — the tests' SQLite files, search indexes and uploads — on a RAM disk where
    there is one with room to spare: every SQLite commit fsyncs, about 1 ms on this disk and
    nothing in memory (the SQLite half of the suite ran about a fifth faster). Nothing is
    tested about the disk itself. PYTEST_DEBUG_TEMPROOT set by hand still wins."""
    if "PYTEST_DEBUG_TEMPROOT" in os.environ or not MEMORY_TEMPROOT.is_dir():
        return
    stat = os.statvfs(MEMORY_TEMPROOT)
    if os.access(MEMORY_TEMPROOT, os.W_OK) and stat.f_bavail * stat.f_frsize >= 4 << 30:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_TEMPROOT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """The tests of the areas the dashboards show run under the write guard
    (tests/support/write_guard.py): a write our code sends outside ``fupin.db.transaction()``
    would not move the data generation, and a cached dashboard would lag it."""
    parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
    if len(parts) < 2 or parts[0] not in GUARDED_AREAS:
        return (yield)
    with watching() as watch:
        result = yield
    if watch.violations:
        pytest.fail(
            "writes outside fupin.db.transaction() (the dashboards' cache would miss them):\n"
            + "\n".join(sorted(set(watch.violations))),
            pytrace=False,
        )
    return result


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("postgres_only"):
            kinds = ["postgres"]
        elif metafunc.definition.get_closest_marker("both_databases"):
            kinds = ["sqlite", "postgres"]
        else:
            kinds = ["sqlite"]
        metafunc.parametrize("database_kind", kinds, scope="function")


@pytest.fixture(scope="session")
def subset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_subset(tmp_path_factory.mktemp("data"))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throw-away PostgreSQL database for this test session (per xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"fupin_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    # A throw-away database need not wait for the WAL to reach the disk at every commit (the
    # PostgreSQL half of the suite ran about a fifth faster). Every connection to it — the
    # app's pool, CLI subprocesses, `fupin serve` — starts with this setting; what is committed
    # stays committed and visible exactly as before, only a crash of the server could lose it.
    asyncio.run(_admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class _WorldIds:
    """Where the world rows are: enough to load the same World again from a copy."""

    village: str
    other_village: str
    participants: dict[str, int]
    users: dict[str, int]


@dataclass
class _PostgresSnapshot:
    """What it takes to put the session's PostgreSQL database back into a template's state
    without touching its files: the tables to empty, every sequence's position, and the
    world rows in binary COPY format."""

    tables: list[str]
    sequences: dict[str, str]  # template → the setval statements
    world_rows: dict[str, bytes]  # table → COPY … (FORMAT binary) data


class _Templates:
    """The session's (xdist worker's) database templates, built on first use: "schema" (empty
    tables) and "world" (the tables plus what `build_world` inserts).

    SQLite: one template file each, copied per test. PostgreSQL: the session's one database
    holds the schema; each test first empties every table with DELETE (with triggers, so
    foreign keys, off), puts the sequences back and COPYs the world rows in — a handful of
    statements in one transaction. Creating a database per test from a template, or TRUNCATE,
    measured several times slower: both rewrite files and fsync."""

    def __init__(self, directory: Path, subset_dir: Path) -> None:
        self.directory = directory
        self.subset_dir = subset_dir
        self.sqlite_files: dict[str, Path] = {}
        self.postgres: _PostgresSnapshot | None = None
        self.world_ids: dict[str, _WorldIds] = {}

    async def _build_world(self, kind: str) -> None:
        world = await build_world(self.subset_dir)
        self.world_ids[kind] = _WorldIds(
            village=world.village.code,
            other_village=world.other_village.code,
            participants={k: p.id for k, p in world.participants.items()},
            users={k: u.id for k, u in world.users.items()},
        )

    async def sqlite(self, template: str) -> Path:
        if template not in self.sqlite_files:
            path = self.directory / f"{template}.sqlite3"
            settings = Settings(env="test", database_url=f"sqlite://{path}")
            if template == "world":
                shutil.copyfile(await self.sqlite("schema"), path)
            else:
                # The schema as `fupin migrate` builds it: the migration log says it is current
                # (``check_migrated``) for the servers and commands a test starts on a copy.
                await run_migrations(settings)
            await open_database(settings)
            try:
                if template == "world":
                    await self._build_world("sqlite")
            finally:
                await close_database()
            # Closing the last connection checkpoints the WAL: the file alone is the database.
            assert not path.with_name(path.name + "-wal").exists()
            self.sqlite_files[template] = path
        return self.sqlite_files[template]

    async def _postgres_snapshot(self, url: str) -> _PostgresSnapshot:
        """Schema and world into the (new, empty) session database, and what to restore."""
        settings = Settings(env="test", database_url=url)
        await run_migrations(settings)  # as for SQLite: the schema `fupin migrate` builds
        await open_database(settings)
        try:
            conn = await asyncpg.connect(_dsn(url))
            try:
                # The migration log stays: it is part of the schema (the app refuses to serve
                # a database whose migrations are not all applied).
                tables = [
                    r[0]
                    for r in await conn.fetch(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        f" AND tablename != '{MIGRATION_LOG}' ORDER BY 1"
                    )
                ]
                sequences = {"schema": await _sequence_sql(conn)}
                await self._build_world("postgres")
                sequences["world"] = await _sequence_sql(conn)
                world_rows: dict[str, bytes] = {}
                for table in tables:
                    if await conn.fetchval(f'SELECT EXISTS (SELECT FROM "{table}")'):
                        buffer = io.BytesIO()
                        await conn.copy_from_table(table, output=buffer, format="binary")
                        world_rows[table] = buffer.getvalue()
            finally:
                await conn.close()
        finally:
            await close_database()
        return _PostgresSnapshot(tables, sequences, world_rows)

    async def reset_postgres(self, url: str, template: str) -> None:
        """The session database back to the template's state (see the class docstring)."""
        if self.postgres is None:
            self.postgres = await self._postgres_snapshot(url)
        snapshot = self.postgres
        conn = await asyncpg.connect(_dsn(url))
        try:
            async with conn.transaction():
                await conn.execute(
                    "SET LOCAL session_replication_role = replica;"
                    + "".join(f'DELETE FROM "{table}";' for table in snapshot.tables)
                    + snapshot.sequences[template]
                )
                if template == "world":
                    for table, data in snapshot.world_rows.items():
                        await conn.copy_to_table(table, source=io.BytesIO(data), format="binary")
        finally:
            await conn.close()


#: Tortoise's record of applied migrations.
MIGRATION_LOG = "tortoise_migrations"


def _dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def _sequence_sql(conn: asyncpg.Connection) -> str:
    """setval statements that put every sequence back where it is now."""
    rows = await conn.fetch(
        "SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = 'public'"
    )
    return "".join(
        f"SELECT setval('\"{name}\"', {start}, false);"
        if last is None
        else f"SELECT setval('\"{name}\"', {last}, true);"
        for name, start, last in rows
    )


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory, subset_dir: Path) -> _Templates:
    return _Templates(tmp_path_factory.mktemp("templates"), subset_dir)


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def settings(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if database_kind == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite://{tmp_path / 'fupin.sqlite3'}"
    return Settings(
        env="test",
        database_url=url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        search_worker=False,
    )


@pytest.fixture
async def db(
    settings: Settings, request: pytest.FixtureRequest, _templates: _Templates
) -> AsyncIterator[Settings]:
    """A database with the current schema, open for the duration of the test: empty, or — for
    a test that uses `world` — holding exactly the rows `build_world` inserts."""
    template = "world" if "world" in request.fixturenames else "schema"
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite://")
        shutil.copyfile(await _templates.sqlite(template), path)
    else:
        await _templates.reset_postgres(settings.database_url, template)
    await open_database(settings)
    try:
        yield settings
    finally:
        await close_database()


@pytest.fixture
async def world(db: Settings, database_kind: str, _templates: _Templates) -> World:
    """The rows of tests/support/world.py (already in `db`, from the world template), as the
    instances `build_world` returned when it made them."""
    ids = _templates.world_ids[database_kind]
    users = {u.id: u for u in await User.filter(id__in=list(ids.users.values()))}
    participants = {
        p.id: p for p in await Participant.filter(id__in=list(ids.participants.values()))
    }
    return World(
        village=await Region.get(code=ids.village),
        other_village=await Region.get(code=ids.other_village),
        participants={kind: participants[pid] for kind, pid in ids.participants.items()},
        users={key: users[uid] for key, uid in ids.users.items()},
    )


@pytest.fixture
async def app(db: Settings) -> AsyncIterator[object]:
    application = create_app(db, manage_database=False)
    async with LifespanManager(application):
        yield application


ClientFactory = Callable[[str | None], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_as(
    app: object, world: World
) -> AsyncIterator[Callable[[str | None], httpx.AsyncClient]]:
    """``client_as("county_officer")`` → a client with its own server-side session for that user
    (created on its first request; CSRF token CSRF);
    ``client_as(None)`` → an anonymous client. Every /api/v1 response it receives is checked
    against the OpenAPI document (tests/support/contract.py)."""
    clients: list[httpx.AsyncClient] = []

    def make(key: str | None) -> httpx.AsyncClient:
        options: dict[str, Any] = {
            "transport": httpx.ASGITransport(app=app),  # type: ignore[arg-type]
            "base_url": "http://testserver",
            "cookies": {"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
            "follow_redirects": False,
            "event_hooks": CONTRACT_HOOKS,
        }
        # A logged-in client gets its own server-side session on its first request.
        client = (
            httpx.AsyncClient(**options)
            if key is None
            else LoggedInClient(secret=TEST_SECRET, user=world.users[key], **options)
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def client(client_as: Callable[[str | None], httpx.AsyncClient]) -> httpx.AsyncClient:
    return client_as(None)
