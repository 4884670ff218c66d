"""Raw SQL for the aggregates the ORM cannot express, on SQLite and PostgreSQL alike.

Statements are written once with ``?`` placeholders; on PostgreSQL they become ``$1, $2, …``.
No statement text here ever contains a literal question mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def connection(conn: BaseDBAsyncClient | None = None) -> BaseDBAsyncClient:
    return conn if conn is not None else connections.get("default")


def dialect(conn: BaseDBAsyncClient | None = None) -> str:
    return str(connection(conn).capabilities.dialect)


def numbered(sql: str, dialect_name: str) -> str:
    """``?`` → ``$n`` for PostgreSQL (asyncpg's placeholders)."""
    if dialect_name != "postgres":
        return sql
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


async def rows(
    sql: str, params: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> list[dict[str, Any]]:
    db = connection(conn)
    return list(await db.execute_query_dict(numbered(sql, dialect(db)), list(params)))


async def execute(
    sql: str, params: Sequence[Any] = (), conn: BaseDBAsyncClient | None = None
) -> None:
    db = connection(conn)
    await db.execute_query(numbered(sql, dialect(db)), list(params))
