"""Dashboard benchmark: the national dashboard over a million donations.

Builds a database at national scale — the real regions, villages and pairs from data/, needs in
~20,000 real villages of the 831 poverty counties, 100,000 needs, 500,000 pledges
(a share attributed to the real pairs) and 1,000,000 donations spread over 2021–2025 — by bulk
insert straight into the tables (no services: the point is the read side). The bulk load
bypasses the money services, so the dashboards' money rollups are then built as ``fupin rollups
rebuild`` builds them. Open pledges whose due date has passed are written as lapsed, which is
what the hourly lapse sweep makes of them (``--unswept`` leaves them open: a platform whose sweep
has not run, where the dashboards must read every overdue pledge live). Then it times:

* ``compute``  — ``fupin.pairs.service.dashboards.region_dashboard`` (every SQL aggregate);
* ``render``   — GET /dashboards/national through the real app (compute + template + charts).

Also the province, county and pair dashboards. Each figure is the median of ``--repeat`` runs
after one warm-up run.

    .venv/bin/python bench/dashboard.py                      # SQLite, var/bench/dashboard.sqlite3
    .venv/bin/python bench/dashboard.py --reuse              # time again without rebuilding
    .venv/bin/python bench/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/fupin_bench
        (PostgreSQL copies the rows of the SQLite benchmark database, so build that first)

Not part of the test suite; the figures go to the README.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from itsdangerous import TimestampSigner

from fupin import REPO_ROOT
from fupin.accounts.models import User
from fupin.accounts.service import sessions
from fupin.accounts.service.reference import load_all
from fupin.app import create_app
from fupin.core.categories import CATEGORY_CODES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.db import close_database, open_database, run_migrations
from fupin.money.service import rollups as money_rollups
from fupin.pairs.service import aggregates, dashboards
from fupin.settings import Settings

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
ADMIN = Actor(user_id=1, username="bench", role="national_admin")
YEARS = (2021, 2022, 2023, 2024, 2025)
NEED_STATES = (
    ["published"] * 35
    + ["funded"] * 15
    + ["in_progress"] * 15
    + ["completed"] * 15
    + ["closed"] * 10
    + ["draft"] * 5
    + ["expired"] * 5
)
PLEDGE_STATES = (
    ["pledged"] * 15
    + ["partially_paid"] * 15
    + ["honoured"] * 55
    + ["withdrawn"] * 5
    + ["lapsed"] * 10
)


def stamp(value: datetime) -> str:
    """Tortoise's SQLite text form of a UTC timestamp."""
    return value.astimezone(UTC).isoformat(sep=" ")


class Writer:
    """Bulk rows into SQLite (executemany in one transaction) or PostgreSQL (COPY)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite://")
        self.conn: Any = None

    async def open(self) -> None:
        if self.sqlite:
            self.conn = sqlite3.connect(self.url.removeprefix("sqlite://").split("?")[0])
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")
        else:
            import asyncpg

            self.conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))

    async def rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            converted = [
                tuple(stamp(v) if isinstance(v, datetime) else v for v in row) for row in rows
            ]
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", converted
            )
            self.conn.commit()
        else:
            await self.conn.copy_records_to_table(table, records=rows, columns=columns)

    async def execute(self, sql: str) -> None:
        if self.sqlite:
            self.conn.execute(sql)
            self.conn.commit()
        else:
            await self.conn.execute(sql)

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite:
            return list(self.conn.execute(sql).fetchall())
        return [tuple(r) for r in await self.conn.fetch(sql)]

    async def close(self) -> None:
        if self.sqlite:
            self.conn.close()
        else:
            await self.conn.close()


def _bool(flag: bool, sqlite: bool) -> Any:
    return int(flag) if sqlite else flag


COPIED_TABLES = (
    "region",
    "participant",
    "pair",
    "recipient_org",
    "user_account",
    "need",
    "pledge",
    "donation",
)


async def copy_from_sqlite(settings: Settings, source: Path) -> dict[str, float]:
    """PostgreSQL: the same rows as the SQLite benchmark database, by COPY (identical data on
    both engines, and no dependence on the reference importer's batch sizes)."""
    import asyncpg

    timings: dict[str, float] = {}
    started = time.perf_counter()
    await run_migrations(settings)
    timings["schema"] = time.perf_counter() - started
    lite = sqlite3.connect(source)
    pg = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        for table in COPIED_TABLES:
            t0 = time.perf_counter()
            types = {
                r["column_name"]: r["data_type"]
                for r in await pg.fetch(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
                    table,
                )
            }
            cursor = lite.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]

            def convert(value: Any, kind: str) -> Any:
                if value is None:
                    return None
                if kind == "boolean":
                    return bool(value)
                if kind.startswith("timestamp"):
                    return datetime.fromisoformat(value)
                if kind == "date":
                    return date.fromisoformat(value)
                return value

            kinds = [types[c] for c in columns]
            while batch := cursor.fetchmany(100_000):
                rows = [
                    tuple(convert(v, k) for v, k in zip(row, kinds, strict=True)) for row in batch
                ]
                await pg.copy_records_to_table(table, records=rows, columns=columns)
            if "id" in columns:
                await pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
            timings[f"copy {table}"] = time.perf_counter() - t0
        await pg.execute("VACUUM ANALYZE")
    finally:
        await pg.close()
        lite.close()
    return timings


async def build(settings: Settings, args: argparse.Namespace) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    await run_migrations(settings)
    await open_database(settings)
    await load_all(REPO_ROOT / "data")
    await close_database()
    timings["reference data"] = time.perf_counter() - started
    rng = random.Random(20140125)
    w = Writer(settings.database_url)
    await w.open()
    sq = w.sqlite
    now = datetime.now(UTC)
    today = today_cn()
    t0 = time.perf_counter()

    # real villages of the poverty counties (the national registry `load_all` just loaded),
    # the first ``per_county`` of each county, flagged poor as a county would flag them
    counties = await w.fetch(
        "SELECT code, province_code, prefecture_code FROM region WHERE level = 'county' AND is_poverty_county = "
        + ("1" if sq else "true")
    )
    poverty = {code for code, _province, _prefecture in counties}
    per_county = max(1, args.villages // max(1, len(counties)))
    taken: dict[str, int] = defaultdict(int)
    villages: list[tuple[str, str, str]] = []  # (code, county, province)
    for code, county, province in await w.fetch(
        "SELECT code, county_code, province_code FROM region WHERE level = 'village' ORDER BY code"
    ):
        if county in poverty and taken[county] < per_county:
            taken[county] += 1
            villages.append((code, county, province))
    for start in range(0, len(villages), 500):
        codes = ",".join(f"'{code}'" for code, _county, _province in villages[start : start + 500])
        await w.execute(
            f"UPDATE region SET is_poor_village = {'1' if sq else 'true'} WHERE code IN ({codes})"
        )
    county_rows = [(c, c, p) for c, p, _pref in counties]

    # participants, one recipient, one national admin (for the rendered page)
    first_participant = (await w.fetch("SELECT COALESCE(MAX(id), 0) FROM participant"))[0][0] + 1
    kinds = (
        ["enterprise"] * 50
        + ["individual"] * 30
        + ["social_org"] * 10
        + ["military"] * 5
        + ["democratic_party"] * 5
    )
    participants = []
    for i in range(args.participants):
        participants.append(
            (
                first_participant + i,
                rng.choice(kinds),
                f"参与方{i}",
                "",
                "",
                "",
                "[]",
                "[]",
                _bool(False, sq),
                _bool(True, sq),
                now,
            )
        )
    await w.rows(
        "participant",
        [
            "id",
            "kind",
            "name",
            "id_number_masked",
            "description",
            "contact_email",
            "stated_categories",
            "stated_region_codes",
            "commendation_opt_in",
            "is_demo",
            "created_at",
        ],
        participants,
    )
    donors = [p[0] for p in participants]
    await w.rows(
        "recipient_org",
        [
            "id",
            "kind",
            "name",
            "code",
            "note",
            "is_demo",
            "created_at",
            "bank_name",
            "bank_account_name",
            "bank_account_number",
        ],
        [(1, "government", "基准县政府", "BENCH", "", _bool(True, sq), now, "", "", "")],
    )
    await w.rows(
        "user_account",
        ["id", "username", "display_name", "password_hash", "role", "is_active", "created_at"],
        [(1, "bench", "bench", "x", "national_admin", _bool(True, sq), now)],
    )
    pairs = await w.fetch(
        "SELECT p.id, p.helper_id, r.code, r.level, p.start_year, p.end_year FROM pair p JOIN region r ON r.code = p.helped_region_id"
    )
    timings["regions, participants"] = time.perf_counter() - t0

    def pairs_for(county: str, province: str, year: int) -> list[tuple[int, int]]:
        found = []
        for pid, helper, code, level, start, end in pairs:
            if (
                start <= year
                and (end is None or end >= year)
                and (
                    code in (county, province)
                    or (level == "prefecture" and county.startswith(code[:4]))
                )
            ):
                found.append((pid, helper))
        return found

    # needs
    t0 = time.perf_counter()
    needs = []
    need_meta: list[tuple[int, str, str, datetime | None, str]] = []
    for i in range(1, args.needs + 1):
        if rng.random() < 0.85 and villages:
            region, county, province = rng.choice(villages)
        else:
            region, county, province = rng.choice(county_rows)
        state = rng.choice(NEED_STATES)
        published = None
        if state != "draft":
            published = datetime(rng.choice(YEARS), 1, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(0, 364 * 86400)
            )
        target = rng.randrange(5, 300) * 10_000_00
        deadline = (published or now).date() + timedelta(days=rng.choice((90, 180, 365, 730)))
        needs.append(
            (
                i,
                region,
                county,
                province,
                rng.choice(CATEGORY_CODES),
                f"需求{i}",
                "基准",
                target,
                10,
                40,
                deadline,
                state,
                published,
                now,
                now,
                0,
                0,
                _bool(True, sq),
                "web",
                "",
            )
        )
        need_meta.append((target, county, province, published, state))
    public_needs = [i + 1 for i, m in enumerate(need_meta) if m[4] not in ("draft",)]
    timings["needs (generate)"] = time.perf_counter() - t0

    # pledges and donations
    t0 = time.perf_counter()
    pledges = []
    donations = []
    pledged: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    donation_id = 0
    end_of_data = datetime(2025, 12, 31, tzinfo=UTC)
    per_pledge = args.donations / args.pledges
    for pid in range(1, args.pledges + 1):
        need_id = rng.choice(public_needs)
        target, county, province, published, _state = need_meta[need_id - 1]
        created = min(published + timedelta(seconds=rng.randrange(0, 300 * 86400)), end_of_data)  # type: ignore[operator]
        donor = rng.choice(donors)
        pair_id = None
        helped = pairs_for(county, province, created.year)
        if helped and rng.random() < 0.3:
            pair_id, helper = rng.choice(helped)
            if rng.random() < 0.3:
                donor = helper
        amount = rng.randrange(1, 500) * 100_00
        state = rng.choice(PLEDGE_STATES)
        paid = {"pledged": 0, "partially_paid": amount // 2, "honoured": amount}.get(state, 0)
        due = created.date() + timedelta(days=rng.choice((30, 90, 180)))
        if state in ("pledged", "partially_paid") and due < today and not args.unswept:
            # The hourly lapse sweep (docs/domain.md §3.5) closes an open pledge once its due date has
            # passed: a running platform holds no such pledge for long.
            state = "lapsed"
        committed = amount if state in ("pledged", "partially_paid", "honoured") else paid
        pledges.append(
            (
                pid,
                "cash",
                amount,
                paid,
                committed,
                _bool(False, sq),
                due,
                state,
                created,
                created,
                _bool(True, sq),
                need_id,
                pair_id,
                donor,
                1,
            )
        )
        pledged[need_id] += committed
        if paid:
            parts = max(1, round(per_pledge * rng.uniform(0.6, 1.6) * 100 / 70))
            parts = min(parts, 6)
            left = paid
            for k in range(parts):
                piece = left if k == parts - 1 else max(1, paid // parts)
                left -= piece
                donation_id += 1
                state_d = (
                    "confirmed"
                    if rng.random() < 0.95
                    else ("recorded" if rng.random() < 0.8 else "cancelled")
                )
                on = created.date() + timedelta(days=rng.randrange(0, 180))
                donations.append(
                    (
                        donation_id,
                        _bool(False, sq),
                        "cash",
                        piece,
                        "",
                        "",
                        on,
                        f"B{donation_id}",
                        "",
                        state_d,
                        _bool(True, sq),
                        "",
                        _bool(True, sq),
                        "",
                        "",
                        "",
                        "",
                        now,
                        _bool(True, sq),
                        donor,
                        need_id,
                        pid,
                        1,
                        _bool(False, sq),  # historical
                    )
                )
                if state_d == "confirmed":
                    received[need_id] += piece
                if donation_id >= args.donations:
                    break
        if donation_id >= args.donations:
            pledges_made = pid
            break
    else:
        pledges_made = args.pledges
    # top up with gifts without a pledge until the donation count is reached
    while donation_id < args.donations:
        donation_id += 1
        need_id = rng.choice(public_needs)
        on = date(rng.choice(YEARS), rng.randrange(1, 13), rng.randrange(1, 29))
        piece = rng.randrange(1, 200) * 100_00
        donations.append(
            (
                donation_id,
                _bool(False, sq),
                "cash",
                piece,
                "",
                "",
                on,
                f"B{donation_id}",
                "",
                "confirmed",
                _bool(True, sq),
                "",
                _bool(True, sq),
                "",
                "",
                "",
                "",
                now,
                _bool(True, sq),
                rng.choice(donors),
                need_id,
                None,
                1,
                _bool(False, sq),  # historical
            )
        )
        received[need_id] += piece
    timings["pledges, donations (generate)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    needs = [
        (*row[:15], pledged.get(row[0], 0), received.get(row[0], 0), *row[17:]) for row in needs
    ]
    await w.rows(
        "need",
        [
            "id",
            "region_id",
            "county_code",
            "province_code",
            "category",
            "title",
            "description",
            "target_fen",
            "beneficiary_households",
            "beneficiary_people",
            "deadline",
            "state",
            "published_at",
            "created_at",
            "updated_at",
            "pledged_fen",
            "received_fen",
            "is_demo",
            "source",
            "external_ref",
        ],
        needs,
    )
    await w.rows(
        "pledge",
        [
            "id",
            "kind",
            "amount_fen",
            "paid_fen",
            "committed_fen",
            "anonymous",
            "due_date",
            "state",
            "created_at",
            "updated_at",
            "is_demo",
            "need_id",
            "pair_id",
            "participant_id",
            "recipient_id",
        ],
        pledges[:pledges_made],
    )
    columns = [
        "id",
        "anonymous",
        "kind",
        "amount_fen",
        "valuation_basis",
        "fair_value_evidence",
        "received_on",
        "payment_reference",
        "note",
        "state",
        "targeted",
        "targeted_basis",
        "channel_qualifies",
        "target_area_text",
        "official_receipt_code",
        "official_receipt_number",
        "official_check_code",
        "recorded_at",
        "is_demo",
        "donor_id",
        "need_id",
        "pledge_id",
        "recipient_id",
        "historical",
    ]
    for start in range(0, len(donations), 200_000):
        await w.rows("donation", columns, donations[start : start + 200_000])
    if not sq:
        for table, key in (
            ("need", "id"),
            ("pledge", "id"),
            ("donation", "id"),
            ("participant", "id"),
        ):
            await w.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT MAX({key}) FROM {table}))"
            )
        await w.execute("ANALYZE")
    else:
        await w.execute("ANALYZE")
    timings["bulk insert"] = time.perf_counter() - t0
    await w.close()
    return timings


async def session_cookie(user_id: int) -> str:
    """A browser logged in as the benchmark's national admin: a server-side session row (as a
    login creates it) named by the signed cookie."""
    user = await User.get(id=user_id)
    key = await sessions.start(user=user, ip="127.0.0.1", user_agent="bench", max_age_seconds=3600)
    payload = base64.b64encode(json.dumps({"csrf": "x", sessions.COOKIE_KEY: key}).encode())
    return TimestampSigner(SECRET).sign(payload).decode()


async def timed(label: str, repeat: int, func: Any) -> float:
    await func()  # warm-up
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await func()
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    print(
        f"  {label:<48} median {median * 1000:8.1f} ms   (min {min(runs) * 1000:.1f}, max {max(runs) * 1000:.1f})"
    )
    return median


async def ensure_indexes(settings: Settings, create: bool) -> None:
    """The covering indexes of ``aggregates.DASHBOARD_INDEXES``: reported, and created when
    the schema lacks them (they belong in the money models; see the README)."""
    w = Writer(settings.database_url)
    await w.open()
    try:
        for table, columns in aggregates.DASHBOARD_INDEXES.items():
            name = f"bench_dashboard_{table}"
            if w.sqlite:
                indexes = [r[1] for r in await w.fetch(f"PRAGMA index_list({table})")]
                existing = {
                    tuple(c[2] for c in await w.fetch(f"PRAGMA index_info({idx})")): idx
                    for idx in indexes
                }
            else:
                rows = await w.fetch(
                    f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{table}'"
                )
                existing = {
                    tuple(c.strip() for c in r[1].split("(", 1)[1].rstrip(")").split(",")): r[0]
                    for r in rows
                }
            found = existing.get(tuple(columns))
            if found and found != name:
                print(f"index on {table}{columns}: in the schema ({found})")
            elif found and create:
                print(
                    f"index on {table}{columns}: not in the schema; kept from an earlier benchmark run"
                )
            elif create:
                started = time.perf_counter()
                await w.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"
                )
                await w.execute(f"ANALYZE {table}")
                print(
                    f"index on {table}{columns}: missing from the schema, created ({time.perf_counter() - started:.1f} s)"
                )
            else:
                await w.execute(f"DROP INDEX IF EXISTS {name}")
                print(f"index on {table}{columns}: absent (--without-indexes)")
    finally:
        await w.close()


async def measure(settings: Settings, args: argparse.Namespace) -> None:
    app = create_app(settings)
    year = args.year
    async with LifespanManager(app):
        counts = {}
        from tortoise import connections

        conn = connections.get("default")
        for table in ("need", "pledge", "donation", "region"):
            counts[table] = (await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {table}"))[
                0
            ]["n"]
        open_overdue = await conn.execute_query_dict(
            "SELECT COUNT(*) AS n FROM pledge WHERE state IN ('pledged', 'partially_paid') "
            + (
                "AND due_date < CURRENT_DATE"
                if conn.capabilities.dialect == "postgres"
                else "AND due_date < date('now')"
            )
        )
        counts["open pledges past due"] = open_overdue[0]["n"]
        print(f"rows: {counts}")
        pair_row = await conn.execute_query_dict(
            "SELECT pair_id, COUNT(*) AS n FROM pledge WHERE pair_id IS NOT NULL GROUP BY pair_id ORDER BY n DESC LIMIT 1"
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            cookies={"fupin_session": await session_cookie(ADMIN.user_id)},
        )

        async def page(path: str) -> None:
            response = await client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:500])

        print(f"timings (median of {args.repeat} after a warm-up):")
        await timed(
            f"national dashboard {year}: compute",
            args.repeat,
            lambda: dashboards.region_dashboard(actor=ADMIN, level="national", year=year),
        )
        await timed(
            f"national dashboard {year}: compute + render (HTTP)",
            args.repeat,
            lambda: page(f"/dashboards/national?year={year}"),
        )
        await timed(
            "national dashboard all years: compute + render",
            args.repeat,
            lambda: page("/dashboards/national?year=all"),
        )
        await timed(
            f"province 530000 {year}: compute + render",
            args.repeat,
            lambda: page(f"/dashboards/province/530000?year={year}"),
        )
        await timed(
            f"county 532627 {year}: compute + render",
            args.repeat,
            lambda: page(f"/dashboards/county/532627?year={year}"),
        )
        if pair_row:
            await timed(
                f"pair {pair_row[0]['pair_id']} {year}: compute + render",
                args.repeat,
                lambda: page(f"/dashboards/pairs/{pair_row[0]['pair_id']}?year={year}"),
            )
        await timed(
            f"pairs list {year}: compute + render",
            args.repeat,
            lambda: page(f"/dashboards/pairs?year={year}"),
        )
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=f"sqlite://{REPO_ROOT / 'var' / 'bench' / 'dashboard.sqlite3'}"
    )
    parser.add_argument("--reuse", action="store_true", help="time an existing benchmark database")
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--pledges", type=int, default=500_000)
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=3_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--from-sqlite",
        default=str(REPO_ROOT / "var" / "bench" / "dashboard.sqlite3"),
        help="PostgreSQL: copy the rows of this SQLite benchmark database",
    )
    parser.add_argument(
        "--unswept",
        action="store_true",
        help="leave open pledges past their due date open, as if the lapse sweep never ran",
    )
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="measure without the covering indexes of DASHBOARD_INDEXES",
    )
    args = parser.parse_args()
    settings = Settings(
        env="test",
        database_url=args.database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        var_dir=REPO_ROOT / "var" / "bench",
        search_worker=False,
    )
    print(
        f"Fupin dashboard benchmark · Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"{platform.machine()} · {args.database_url.split('://')[0]}"
    )
    if not args.reuse:
        if settings.is_sqlite:
            path = Path(args.database_url.removeprefix("sqlite://"))
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        else:
            asyncio.run(_reset_postgres(args.database_url))
        started = time.perf_counter()
        if settings.is_sqlite:
            timings = asyncio.run(build(settings, args))
        else:
            source = Path(args.from_sqlite)
            if not source.exists():
                raise SystemExit(f"{source} missing: build the SQLite benchmark database first")
            timings = asyncio.run(copy_from_sqlite(settings, source))
        for label, seconds in timings.items():
            print(f"  build: {label:<36} {seconds:7.1f} s")
        print(f"  build: total{'':<32} {time.perf_counter() - started:7.1f} s")
        started = time.perf_counter()
        counts = asyncio.run(build_rollups(settings))
        print(
            f"  build: money rollups (rebuild){'':<19} {time.perf_counter() - started:7.1f} s   {counts}"
        )
    asyncio.run(ensure_indexes(settings, create=not args.without_indexes))
    asyncio.run(measure(settings, args))


async def build_rollups(settings: Settings) -> dict[str, int]:
    """The bulk load bypassed the money services, so the dashboards' rollups are built the way
    ``fupin rollups rebuild`` builds them (and checked: ``fupin rollups verify``)."""
    await open_database(settings)
    try:
        return await money_rollups.rebuild()
    finally:
        await close_database()


async def _reset_postgres(url: str) -> None:
    import asyncpg

    base, name = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
