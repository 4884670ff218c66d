"""Schema changes go through migrations: migrating an empty database gives exactly the schema
the models describe, and the models have no change that lacks a migration (docs/stack.md §4.6)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise

from fupin.db import run_migrations, tortoise_config
from fupin.settings import Settings


def _sqlite_schema(path: Path) -> set[tuple]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name != 'tortoise_migrations'"
            )
        ]
        schema: set[tuple] = set()
        for table in tables:
            for _, name, col_type, notnull, _default, pk in conn.execute(
                f'PRAGMA table_info("{table}")'
            ):
                schema.add(("col", table, name, col_type.upper(), notnull, pk))
            for index in conn.execute(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index[1]}")'))
                schema.add(("idx", table, cols, index[2]))
        return schema
    finally:
        conn.close()


async def _generate(settings: Settings) -> None:
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()


def test_migrations_build_the_model_schema_on_sqlite(tmp_path: Path) -> None:
    generated, migrated = tmp_path / "g.sqlite3", tmp_path / "m.sqlite3"
    asyncio.run(_generate(Settings(env="test", database_url=f"sqlite://{generated}")))
    asyncio.run(run_migrations(Settings(env="test", database_url=f"sqlite://{migrated}")))
    assert _sqlite_schema(migrated) == _sqlite_schema(generated)


async def _pg_schema(url: str) -> set[tuple]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        cols = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema='public' AND table_name != 'tortoise_migrations'"
        )
        idx = await conn.fetch(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname='public' AND tablename != 'tortoise_migrations'"
        )
        schema = {("col", *tuple(r)) for r in cols}
        # index names are generated; compare what they index
        schema |= {("idx", r[0], r[1].split(" ON ", 1)[1].split(" USING ", 1)[1]) for r in idx}
        return schema
    finally:
        await conn.close()


def test_migrations_build_the_model_schema_on_postgres(postgres_url: str) -> None:
    base, name = postgres_url.rsplit("/", 1)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    gen, mig = f"{name}_gen", f"{name}_mig"
    asyncio.run(admin(f'CREATE DATABASE "{gen}"'))
    asyncio.run(admin(f'CREATE DATABASE "{mig}"'))
    try:
        asyncio.run(_generate(Settings(env="test", database_url=f"{base}/{gen}")))
        asyncio.run(run_migrations(Settings(env="test", database_url=f"{base}/{mig}")))
        assert asyncio.run(_pg_schema(f"{base}/{mig}")) == asyncio.run(_pg_schema(f"{base}/{gen}"))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{gen}" WITH (FORCE)'))
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{mig}" WITH (FORCE)'))


def test_models_have_no_change_without_a_migration(tmp_path: Path) -> None:
    """Run Tortoise's autodetector (what ``makemigrations`` does) without writing any file."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    settings = Settings(env="test", database_url=f"sqlite://{tmp_path / 'x.sqlite3'}")
    config = tortoise_config(settings)

    async def changes() -> list[str]:
        async with tortoise_cli_context(config) as ctx:
            detector = MigrationAutodetector(ctx.apps, config["apps"])
            writers = await detector.changes()
            return [
                f"{w.app_label}.{w.name}: {[type(op).__name__ for op in w.operations]}"
                for w in writers
            ]

    pending = asyncio.run(changes())
    assert pending == [], (
        "models changed without a migration; run `tortoise -c fupin.tortoise_config.TORTOISE_ORM "
        f"makemigrations --name <what>`: {pending}"
    )


def test_model_descriptions_have_no_semicolons() -> None:
    """Tortoise's SQLite migration runner splits statements on ';' even inside the comments it
    writes from model docstrings and ``#:`` field comments, so neither may contain one."""

    async def check() -> list[str]:
        await Tortoise.init(
            config=tortoise_config(Settings(env="test", database_url="sqlite://:memory:"))
        )
        bad = []
        for app in Tortoise.apps.values():
            for model in app.values():
                if ";" in (model._meta.table_description or ""):
                    bad.append(model.__name__)
                bad += [
                    f"{model.__name__}.{n}"
                    for n, f in model._meta.fields_map.items()
                    if ";" in (f.description or "")
                ]
        await Tortoise.close_connections()
        return bad

    assert asyncio.run(check()) == []


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
