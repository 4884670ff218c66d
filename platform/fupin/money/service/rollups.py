"""Money pre-aggregated for the dashboards, kept exact inside every money transaction.

Why: the national dashboard must render in under a second over a million donations.
Summing the raw pledges and donations of a year costs seconds however they are indexed, so
the dashboards read the tables of ``fupin.money.models`` instead — a few thousand rows.

How they stay right:

* ``refresh_need(need_id)`` runs at the end of every money transaction (it is called by
  ``pledges.after_need_money_change``, which every pledge and donation change already calls).
  It recomputes that one need's rows of ``rollup_need_money`` from its raw pledges and
  donations — the same statement ``rebuild`` runs for every need — so a need's rows are never
  the result of bookkeeping, only of its records. The coarse tables then receive the difference
  between the need's old and new rows, in the same transaction.
* The exception is a pledge made, the commonest change and the one popular needs queue for:
  its one row (``pledge_made_row``) is added by ``add_need_rows`` without reading the need's
  other records, a read that grew with the need and ran under its lock. The row is what
  ``raw_rows_sql`` reads from that pledge, and the rollup tests check it against the records.
* On PostgreSQL a refresh holds the need's row (which every money transaction holds already
  when it moved the need's money, so one need is refreshed by one transaction at a time, after
  the others committed) and coarse rows are changed in one global order (table, then key),
  taken before the ledger head, which a money transaction locks last: two money transactions
  never wait for each other in a cycle. ``rebuild`` locks the rollup tables instead.
* ``verify()`` recomputes everything from the raw rows and lists every difference
  (``fupin rollups verify``); ``rebuild()`` replaces every row (``fupin rollups rebuild``, the
  migration that introduced the tables, and bulk loads such as ``bench/dashboard.py``).

Honour figures (``money.rules.honour``) sit in the month a pledge was settled: honoured, else
its due date. What is *not* pre-aggregated: whether an open pledge has come due depends on
today, so honour rates add the open pledges past their due date live
(``dashboards._open_overdue``). The lapse sweep closes
such pledges within the hour (docs/domain.md §3.5), so there are few.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fupin.accounts.models import HELPER_KINDS
from fupin.core import sql
from fupin.core.clock import CHINA_TZ
from fupin.db import read_snapshot, transaction
from fupin.money.rules.honour import CLOSED_DUE_STATES

MEASURES = (
    "pledges",
    "pledged_fen",
    "honoured",
    "withdrawn",
    "closed_due",
    "closed_due_fen",
    "closed_paid_fen",
    "donations",
    "received_fen",
)
#: Closed pledges that have come due (``money.rules.honour``); open ones come due once past
#: their due date, which the dashboards add live.
#: Donors the rollups keep by name (``who``): the kinds a pair's helper can be
#: (``accounts.models.HELPER_KINDS``; a participant's kind never changes).
HELPER_PARTICIPANT_KINDS = tuple(sorted({k for kinds in HELPER_KINDS.values() for k in kinds}))

NEED_TABLE = "rollup_need_money"
NEED_KEY = ("need_id", "month", "pair_id", "who")
NEED_DIMS = ("region_id", "county_code", "province_code", "category")

Vector = tuple[int, ...]
ZERO: Vector = (0,) * len(MEASURES)


@dataclass(frozen=True)
class Level:
    """One coarse table: its key, the columns carried along (functions of the key), and which
    per-need rows it sums."""

    table: str
    key: tuple[str, ...]
    carried: tuple[str, ...]
    where: str = "1=1"
    include: Callable[[Mapping[str, Any]], bool] = lambda row: True

    def key_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row["month"] // 100 if c == "year" else row[c] for c in self.key)


LEVELS = (
    Level("rollup_county_money", ("year", "county_code", "category"), ("province_code",)),
    Level(
        "rollup_village_money",
        ("year", "region_id"),
        ("county_code", "province_code"),
        "region_id <> county_code",
        lambda row: row["region_id"] != row["county_code"],
    ),
    Level(
        "rollup_pair_money",
        ("year", "pair_id", "who", "county_code"),
        ("province_code",),
        "(pair_id <> 0 OR who <> 0)",
        lambda row: bool(row["pair_id"] or row["who"]),
    ),
    Level("rollup_month_money", ("month", "county_code"), ("province_code",)),
)
TABLES = (NEED_TABLE, *(level.table for level in LEVELS))


# ---- the statement every row comes from ----------------------------------------------------


def month_of_instant(column: str, dialect: str) -> str:
    """``YYYYMM`` of a stored UTC timestamp in China time (UTC+8, no daylight saving).
    SQLite keeps UTC text; its date functions round to the millisecond, so only the whole
    seconds are read (a pledge at 15:59:59.9999 UTC on 31 December stays in December)."""
    if dialect == "postgres":
        return f"CAST(to_char(({column} AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', substr({column}, 1, 19), '+8 hours') AS INTEGER)"


def month_of_date(column: str, dialect: str) -> str:
    if dialect == "postgres":
        return f"CAST(to_char({column}, 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {column}) AS INTEGER)"


def _literals(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def who_sql(participant: str, participant_id: str) -> str:
    """The ``who`` of a row: the donor when of a helper kind, else 0."""
    return (
        f"CASE WHEN {participant}.kind IN {_literals(HELPER_PARTICIPANT_KINDS)} "
        f"THEN {participant_id} ELSE 0 END"
    )


def raw_rows_sql(dialect: str, need_scope: str = "1=1") -> str:
    """Per-need rows from the raw records: one row per pledge (in the month it was made), one
    per honoured or lapsed pledge (in the month it was settled: its honour figures) and one per
    confirmed donation (in the month received; reversals are negative rows), keyed by need,
    month, pair attribution and helper donor. ``need_scope`` uses ``{need}`` for the column."""
    closed = _literals(CLOSED_DUE_STATES)
    # a pledge made: in the month it was made
    from_pledge = {
        "pledges": "1",
        "pledged_fen": "p.committed_fen",
        "withdrawn": "CASE WHEN p.state = 'withdrawn' THEN 1 ELSE 0 END",
    }
    # a pledge come due and closed (money.rules.honour): in the month it was settled — the
    # month it was honoured, else the month of its due date
    from_settled = {
        "honoured": "CASE WHEN p.state = 'honoured' THEN 1 ELSE 0 END",
        "closed_due": "1",
        "closed_due_fen": "p.amount_fen",
        "closed_paid_fen": "p.paid_fen",
    }
    settled_month = (
        f"CASE WHEN p.state = 'honoured' AND p.honoured_on IS NOT NULL "
        f"THEN {month_of_date('p.honoured_on', dialect)} "
        f"ELSE {month_of_date('p.due_date', dialect)} END"
    )
    from_donation = {"donations": "1", "received_fen": "d.amount_fen"}

    def measures(exprs: dict[str, str], named: bool) -> str:
        # Every measure in MEASURES order (UNION ALL is positional); bigint throughout.
        return ", ".join(
            f"CAST({exprs.get(m, '0')} AS BIGINT)" + (f" AS {m}" if named else "") for m in MEASURES
        )

    return (
        f"SELECT p.need_id AS need_id, {month_of_instant('p.created_at', dialect)} AS month, "
        f"COALESCE(p.pair_id, 0) AS pair_id, {who_sql('pa', 'p.participant_id')} AS who, "
        f"{measures(from_pledge, True)} "
        "FROM pledge p JOIN participant pa ON pa.id = p.participant_id "
        f"WHERE {need_scope.format(need='p.need_id')} "
        "UNION ALL "
        f"SELECT p.need_id, {settled_month}, COALESCE(p.pair_id, 0), "
        f"{who_sql('pa', 'p.participant_id')}, {measures(from_settled, False)} "
        "FROM pledge p JOIN participant pa ON pa.id = p.participant_id "
        f"WHERE p.state IN {closed} AND {need_scope.format(need='p.need_id')} "
        "UNION ALL "
        f"SELECT d.need_id, {month_of_date('d.received_on', dialect)}, COALESCE(pl.pair_id, 0), "
        f"{who_sql('pa', 'd.donor_id')}, {measures(from_donation, False)} "
        "FROM donation d JOIN participant pa ON pa.id = d.donor_id "
        "LEFT JOIN pledge pl ON pl.id = d.pledge_id "
        f"WHERE d.state = 'confirmed' AND {need_scope.format(need='d.need_id')}"
    )


def _sums(prefix: str = "") -> str:
    return ", ".join(f"CAST(SUM({prefix}{m}) AS BIGINT) AS {m}" for m in MEASURES)


def need_rows_sql(dialect: str, need_scope: str = "1=1") -> str:
    """The rows of ``rollup_need_money`` as the raw records give them (with the need's place
    and category)."""
    return (
        f"SELECT x.need_id, x.month, x.pair_id, x.who, n.region_id, n.county_code, "
        f"n.province_code, n.category, {_sums('x.')} "
        f"FROM ({raw_rows_sql(dialect, need_scope)}) x JOIN need n ON n.id = x.need_id "
        "GROUP BY x.need_id, x.month, x.pair_id, x.who, n.region_id, n.county_code, "
        "n.province_code, n.category"
    )


def _vector(row: Mapping[str, Any]) -> Vector:
    return tuple(int(row[m] or 0) for m in MEASURES)


def _minus(a: Vector, b: Vector) -> Vector:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def _plus(a: Vector, b: Vector) -> Vector:
    return tuple(x + y for x, y in zip(a, b, strict=True))


# ---- keeping them current ------------------------------------------------------------------


def coarse_deltas(
    old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
) -> dict[str, dict[tuple[Any, ...], tuple[dict[str, Any], Vector]]]:
    """What each coarse table must gain when a need's rows change from ``old`` to ``new``:
    ``{table: {key: (carried columns, measures delta)}}``, zero deltas left out."""
    out: dict[str, dict[tuple[Any, ...], tuple[dict[str, Any], Vector]]] = {}
    for level in LEVELS:
        acc: dict[tuple[Any, ...], Vector] = defaultdict(lambda: ZERO)
        carried: dict[tuple[Any, ...], dict[str, Any]] = {}
        for sign, rows in ((-1, old), (1, new)):
            for row in rows:
                if not level.include(row):
                    continue
                key = level.key_of(row)
                vec = _vector(row)
                acc[key] = _plus(acc[key], vec) if sign > 0 else _minus(acc[key], vec)
                carried[key] = {c: row[c] for c in level.carried}
        out[level.table] = {k: (carried[k], v) for k, v in acc.items() if any(v)}
    return out


def month_of(instant: datetime) -> int:
    """``YYYYMM`` of an instant in China time: ``month_of_instant`` in Python (a stored
    timestamp is UTC; a fraction of a second never moves it into another month)."""
    local = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(CHINA_TZ)
    return local.year * 100 + local.month


def pledge_made_row(
    *,
    need_id: int,
    region_id: str,
    county_code: str,
    province_code: str,
    category: str,
    created_at: datetime,
    pair_id: int | None,
    participant_id: int,
    participant_kind: str,
    committed_fen: int,
) -> dict[str, Any]:
    """The per-need rollup row a pledge just made adds: what ``raw_rows_sql`` reads from it
    (one pledge in the month it was made, not withdrawn, not settled)."""
    measures = dict.fromkeys(MEASURES, 0)
    measures.update(pledges=1, pledged_fen=committed_fen)
    return {
        "need_id": need_id,
        "month": month_of(created_at),
        "pair_id": pair_id or 0,
        "who": participant_id if participant_kind in HELPER_PARTICIPANT_KINDS else 0,
        "region_id": region_id,
        "county_code": county_code,
        "province_code": province_code,
        "category": category,
        **measures,
    }


async def add_need_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Add known per-need rows (a pledge made) to the rollups, inside the money transaction:
    the need's rows and the coarse tables gain them, each row one additive upsert (atomic on
    both databases without a read), in the one global order of ``refresh_need``. Used instead
    of ``refresh_need`` when the change is known row by row (``MoneyChange.reserve``)."""
    rows = list(rows)
    db = sql.connection()
    columns = (*NEED_KEY, *NEED_DIMS, *MEASURES)
    add_need = (
        f"INSERT INTO {NEED_TABLE} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(NEED_KEY)}) DO UPDATE SET "
        + ", ".join(f"{m} = {NEED_TABLE}.{m} + excluded.{m}" for m in MEASURES)
    )
    for row in sorted(rows, key=lambda r: tuple(r[c] for c in NEED_KEY)):
        await sql.execute(add_need, [_plain(row[c]) for c in columns], db)
    deltas = coarse_deltas([], rows)
    await _add_to_coarse(deltas, db)


async def _add_to_coarse(
    deltas: dict[str, dict[tuple[Any, ...], tuple[dict[str, Any], Vector]]],
    db: BaseDBAsyncClient,
) -> None:
    """Add ``coarse_deltas`` to the coarse tables, in one global order: table, then key (no
    lock cycles on PostgreSQL)."""
    for level in LEVELS:
        upsert = _upsert_sql(level)
        for key in sorted(deltas[level.table]):
            carried, delta = deltas[level.table][key]
            await sql.execute(upsert, [*key, *(carried[c] for c in level.carried), *delta], db)


def _upsert_sql(level: Level) -> str:
    columns = [*level.key, *level.carried, *MEASURES]
    updates = ", ".join(f"{m} = {level.table}.{m} + excluded.{m}" for m in MEASURES)
    return (
        f"INSERT INTO {level.table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(level.key)}) DO UPDATE SET {updates}"
    )


async def refresh_need(need_id: int, *, need_locked: bool = False) -> bool:
    """Bring one need's rollups in line with its records; inside the money transaction.
    Returns whether anything changed. ``need_locked``: the transaction holds the need's row
    already (its money moved), so locking it again would be a statement that waits for
    nothing."""
    db = sql.connection()
    dialect = sql.dialect(db)
    # One refresh of a need at a time, reading what the others committed. The need's row, not
    # the ledger head: money transactions take the head last, for the chain append alone.
    if not need_locked and dialect == "postgres":
        await sql.rows("SELECT id FROM need WHERE id = ? FOR UPDATE", [need_id], db)
    statement = need_rows_sql(dialect, "{need} = ?")
    new = await sql.rows(statement, [need_id] * statement.count("?"), db)
    old = await sql.rows(
        f"SELECT {', '.join(NEED_KEY + NEED_DIMS + MEASURES)} FROM {NEED_TABLE} WHERE need_id = ?",
        [need_id],
        db,
    )

    def keyed(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        return {
            tuple(r[c] for c in NEED_KEY): tuple(r[c] for c in NEED_DIMS) + _vector(r) for r in rows
        }

    new_rows, old_rows = keyed(new), keyed(old)
    if new_rows == old_rows:
        return False
    deltas = coarse_deltas(old, new)
    # only the rows that changed (a pledge changes one): gone ones deleted, the others upserted
    for key in sorted(set(old_rows) - set(new_rows)):
        await sql.execute(
            f"DELETE FROM {NEED_TABLE} WHERE {' AND '.join(f'{c} = ?' for c in NEED_KEY)}",
            list(key),
            db,
        )
    columns = (*NEED_KEY, *NEED_DIMS, *MEASURES)
    upsert_need = (
        f"INSERT INTO {NEED_TABLE} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(NEED_KEY)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in (*NEED_DIMS, *MEASURES))
    )
    for row in new:
        key = tuple(row[c] for c in NEED_KEY)
        if new_rows[key] != old_rows.get(key):
            await sql.execute(upsert_need, [_plain(row[c]) for c in columns], db)
    await _add_to_coarse(deltas, db)
    return True


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


# ---- rebuild and verify --------------------------------------------------------------------


def _coarse_from_need_sql(level: Level) -> str:
    key_exprs = ["month / 100" if c == "year" else c for c in level.key]
    carried = ", ".join(f"MAX({c})" for c in level.carried)
    return (
        f"INSERT INTO {level.table} ({', '.join((*level.key, *level.carried, *MEASURES))}) "
        f"SELECT {', '.join(key_exprs)}, {carried}, {_sums()} FROM {NEED_TABLE} "
        f"WHERE {level.where} GROUP BY {', '.join(key_exprs)}"
    )


async def rebuild(conn: BaseDBAsyncClient | None = None) -> dict[str, int]:
    """Replace every rollup row from the raw records in one transaction; returns row counts.
    For a new or bulk-loaded database, and as the repair ``verify`` points to. ``conn``: a
    connection already inside a transaction (the migration's)."""
    if conn is not None:
        return await _rebuild(conn)
    async with transaction():
        db = sql.connection()
        if sql.dialect(db) == "postgres":
            # a live database: no money transaction may refresh a need meanwhile (one that
            # already changed rollup rows is waited for; SQLite's writers run one at a time)
            await sql.execute(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE", (), db)
        return await _rebuild(db)


async def _rebuild(db: BaseDBAsyncClient) -> dict[str, int]:
    dialect = sql.dialect(db)
    columns = (*NEED_KEY, *NEED_DIMS, *MEASURES)
    for table in TABLES:
        await sql.execute(f"DELETE FROM {table}", (), db)
    await sql.execute(
        f"INSERT INTO {NEED_TABLE} ({', '.join(columns)}) {need_rows_sql(dialect)}", (), db
    )
    for level in LEVELS:
        await sql.execute(_coarse_from_need_sql(level), (), db)
    counts = {}
    for table in TABLES:
        counts[table] = int((await sql.rows(f"SELECT COUNT(*) AS k FROM {table}", (), db))[0]["k"])
    return counts


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    expected: Vector
    found: Vector

    def describe(self) -> str:
        parts = [
            f"{m} {e} ≠ {f}"
            for m, e, f in zip(MEASURES, self.expected, self.found, strict=True)
            if e != f
        ]
        return f"{self.table} {self.key}: " + ("; ".join(parts) or "dimension columns differ")


async def verify() -> list[Difference]:
    """Every difference between the stored rollups and what the raw records give (an empty
    list means they agree). Zero rows count as absent. All reads see one state of the database:
    PostgreSQL reads one snapshot (writers go on); SQLite holds its write lock meanwhile."""
    if sql.dialect() == "postgres":
        async with read_snapshot():
            return await _verify()
    async with transaction():
        return await _verify()


async def _verify() -> list[Difference]:
    db = sql.connection()
    dialect = sql.dialect(db)
    expected_rows = await sql.rows(need_rows_sql(dialect), (), db)
    differences: list[Difference] = []

    def compare(table: str, expected: dict[Any, Vector], found: dict[Any, Vector]) -> None:
        for key in sorted(set(expected) | set(found), key=repr):
            e, f = expected.get(key, ZERO), found.get(key, ZERO)
            if e != f:
                differences.append(Difference(table, key, e, f))

    need_key = (*NEED_KEY, *NEED_DIMS)
    stored = await sql.rows(f"SELECT {', '.join(need_key + MEASURES)} FROM {NEED_TABLE}", (), db)
    compare(
        NEED_TABLE,
        {tuple(r[c] for c in need_key): _vector(r) for r in expected_rows},
        {tuple(r[c] for c in need_key): _vector(r) for r in stored},
    )
    deltas = coarse_deltas([], expected_rows)
    for level in LEVELS:
        found_rows = await sql.rows(
            f"SELECT {', '.join(level.key + MEASURES)} FROM {level.table}", (), db
        )
        compare(
            level.table,
            {k: v for k, (_c, v) in deltas[level.table].items()},
            {tuple(r[c] for c in level.key): _vector(r) for r in found_rows},
        )
    return differences
