"""Fixtures: real databases (SQLite always; PostgreSQL for tests marked both_databases),
the app over ASGI with its lifespan, and clients logged in as each role.

Isolation: SQLite gets a fresh file per test; PostgreSQL gets one throw-away database per test
session (created here, dropped at the end) whose tables are truncated before each test —
our use cases commit their own transactions, so "roll back after the test" cannot work.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from tortoise import Tortoise, connections

from fupin.app import create_app
from fupin.db import close_database, open_database
from fupin.settings import Settings
from tests.support.contract import CONTRACT_HOOKS
from tests.support.subset import build_subset
from tests.support.world import CSRF, LoggedInClient, World, build_world, session_cookie

#: Admin connection used to create the throw-away test database (CI: trust auth on loopback).
POSTGRES_ADMIN_URL = os.environ.get(
    "FUPIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" in metafunc.fixturenames:
        kinds = (
            ["sqlite", "postgres"]
            if metafunc.definition.get_closest_marker("both_databases")
            else ["sqlite"]
        )
        metafunc.parametrize("database_kind", kinds, scope="function")


@pytest.fixture(scope="session")
def subset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_subset(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throw-away PostgreSQL database for this test session."""
    name = f"fupin_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_pg_schema_ready: set[str] = set()


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


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for app in Tortoise.apps.values() for m in app.values()]
    await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Settings]:
    """An empty database with the current schema, open for the duration of the test."""
    if settings.is_sqlite:
        await open_database(settings, generate_schemas=True)
    else:
        first = settings.database_url not in _pg_schema_ready
        await open_database(settings, generate_schemas=first)
        _pg_schema_ready.add(settings.database_url)
        if not first:
            await _truncate_all()
    try:
        yield settings
    finally:
        await close_database()


@pytest.fixture
async def world(db: Settings, subset_dir: Path) -> World:
    return await build_world(subset_dir)


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
