"""Raw SQL for the aggregates the ORM cannot express, on SQLite and PostgreSQL alike.

Statements are written once with ``?`` placeholders; on PostgreSQL they become ``$1, $2, …``.
No statement text here ever contains a literal question mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet


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


async def totals(query: QuerySet[Any], **aggregates: Any) -> dict[str, Any]:
    """One row of aggregates (``Sum``, ``Count``…) over every row ``query`` selects.

    Tortoise groups an aggregate by every column of the model as soon as the filter joins
    another table (``need__county_code=…``), so ``.annotate(…).group_by().values(…)`` then
    answers one row per record and ``[0]`` kept the first record's amount (the inbox's
    "expected" headline showed one pledge of nine). Filtering by the ids the query selects keeps
    the join in a subquery and the aggregate over the whole set. Missing values are None."""
    ids = Subquery(query.values("id"))
    found = (
        await query.model.filter(id__in=ids).annotate(**aggregates).group_by().values(*aggregates)
    )
    return dict(found[0]) if found else dict.fromkeys(aggregates)
