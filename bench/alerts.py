"""Supervision alert lists benchmark: the five lists of ``disclosure.service.alerts`` over the
dashboard benchmark's database (bench/dashboard.py builds it: real regions, needs, pledges and
donations by bulk insert), with live receipts added for a share of the confirmed donations — a
platform issues most receipts at once, so "donations without a receipt after N days" is a short
list found among very many. Times each list (national, province, county) and prints the query
plan of the donations list.

    .venv/bin/python bench/alerts.py --donations 300000          # build, then time
    .venv/bin/python bench/alerts.py --reuse                     # time again

SQLite only (the PostgreSQL plan is read with EXPLAIN on a copy; see the README). Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from fupin import REPO_ROOT
from fupin.core.clock import today_cn
from fupin.db import close_database, open_database, run_migrations
from fupin.disclosure.rules.alerts import ALERTS
from fupin.disclosure.service import alerts
from fupin.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
import dashboard

SECRET = dashboard.SECRET


def add_receipts(path: Path, share: float) -> int:
    """Live receipts for ``share`` of the confirmed donations, as the one-click receipt
    leaves them."""
    rng = random.Random(20160901)
    conn = sqlite3.connect(path)
    try:
        conn.execute("DELETE FROM receipt")
        rows = conn.execute(
            "SELECT id, recipient_id, amount_fen, received_on FROM donation "
            "WHERE state = 'confirmed' ORDER BY id"
        ).fetchall()
        batch = []
        serial = 0
        for donation_id, recipient_id, amount, received_on in rows:
            if rng.random() >= share:
                continue
            serial += 1
            year = int(str(received_on)[:4])
            batch.append(
                (
                    recipient_id, year, serial, f"B-{year}-{serial}", donation_id, donation_id,
                    "issued", amount, "捐赠人", "P", "项目", "[]", received_on,
                )
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO receipt (issuer_id, year, serial, number, donation_id, live_for_id, "
            "state, amount_fen, payer_name, project_code, project_name, items, issued_on, "
            "payer_identifier, area_text, remarks, issued_by_label, void_reason, print_count, "
            "issued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','','',0,CURRENT_TIMESTAMP)",
            batch,
        )
        conn.execute("ANALYZE")
        conn.commit()
        return len(batch)
    finally:
        conn.close()


async def measure(settings: Settings, repeat: int) -> None:
    await run_migrations(settings)  # a database built before the alert indexes gets them
    await open_database(settings)
    try:
        from tortoise import connections

        conn = connections.get("default")
        counts = {
            table: (await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"]
            for table in ("need", "donation", "receipt")
        }
        print(f"rows: {counts}")
        areas = [
            alerts.Area("national", "", "全国"),
            alerts.Area("province", "530000", "云南省"),
            alerts.Area("county", "532627", "广南县"),
        ]
        for code in ALERTS:
            for area in areas:
                runs = []
                found = await alerts.alert_list(area, code)
                for _ in range(repeat):
                    started = time.perf_counter()
                    found = await alerts.alert_list(area, code)
                    runs.append(time.perf_counter() - started)
                print(
                    f"  {code:<36} {area.level:<9} count {found.total:>8}   "
                    f"median {statistics.median(runs) * 1000:8.1f} ms"
                )
        for label, sql, params in alerts.explain_donations_without_receipt(areas[0], 7):
            plan = await conn.execute_query(f"EXPLAIN QUERY PLAN {sql}", params)
            print(f"plan ({label}):")
            for row in plan[1]:
                print(f"    {row[3]}")
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=f"sqlite://{REPO_ROOT / 'var' / 'bench' / 'alerts.sqlite3'}"
    )
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--pledges", type=int, default=500_000)
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=3_000)
    parser.add_argument("--year", type=int, default=today_cn().year)
    parser.add_argument("--receipted", type=float, default=0.97, help="share with a receipt")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unswept", action="store_true")
    args = parser.parse_args()
    settings = Settings(
        env="test",
        database_url=args.database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        var_dir=REPO_ROOT / "var" / "bench",
        search_worker=False,
    )
    if not settings.is_sqlite:
        raise SystemExit("SQLite only: see the module docstring")
    path = Path(args.database_url.removeprefix("sqlite://"))
    if not args.reuse:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        asyncio.run(dashboard.build(settings, args))
        print(f"build: {time.perf_counter() - started:.1f} s")
        print(f"receipts: {add_receipts(path, args.receipted)}")
    asyncio.run(measure(settings, args.repeat))


if __name__ == "__main__":
    main()
