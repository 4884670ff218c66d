"""Benchmark: the sharing platform on a generated database — the daily open-data snapshot, the
Atom feeds, and the webhook fan-out and claim.

Builds a throw-away SQLite database (migrations, one province and county, villages), inserts
``--needs`` published needs and ``--pledges`` pledges (a tenth anonymous) with ``bulk_create``,
then prints: the snapshot's time, rows and bytes; p50/max of building and writing the new-needs
feed (unfiltered and by county); and the time to publish ``--events`` need events to
``--endpoints`` endpoints (the scan and its deliveries) and to claim every delivery.

    .venv/bin/python bench/sharing.py --needs 20000 --pledges 40000

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

from fupin.accounts.models import Participant  # noqa: E402
from fupin.core import clock  # noqa: E402
from fupin.core.categories import CATEGORY_CODES  # noqa: E402
from fupin.db import close_database, open_database, run_migrations  # noqa: E402
from fupin.money.models import Pledge  # noqa: E402
from fupin.needs.models import Need, NeedEvent  # noqa: E402
from fupin.regions.models import Region  # noqa: E402
from fupin.settings import Settings  # noqa: E402
from fupin.sharing.models import WebhookEndpoint, WebhookScan  # noqa: E402
from fupin.sharing.rules.feeds import atom_bytes  # noqa: E402
from fupin.sharing.service import deliveries, opendata  # noqa: E402
from fupin.sharing.service.feeds import build_feed  # noqa: E402
from fupin.sharing.service.sources import FeedFilter  # noqa: E402

PROVINCE, COUNTY = "530000", "532627"


async def build(needs: int, pledges: int, villages: int = 200) -> None:
    await Region.create(code=PROVINCE, name="云南省", level="province", province_code=PROVINCE)
    await Region.create(
        code=COUNTY,
        name="广南县",
        level="county",
        parent_id=PROVINCE,
        province_code=PROVINCE,
        county_code=COUNTY,
        is_poverty_county=True,
    )
    codes = [f"{COUNTY}1{i:05d}" for i in range(villages)]
    await Region.bulk_create(
        [
            Region(
                code=c,
                name=f"村{i}",
                level="village",
                parent_id=COUNTY,
                province_code=PROVINCE,
                county_code=COUNTY,
                full_name=f"云南省广南县村{i}",
            )
            for i, c in enumerate(codes)
        ],
        batch_size=1000,
    )
    rng = random.Random(7)
    now = clock.now()
    today = clock.today_cn()
    await Need.bulk_create(
        [
            Need(
                region_id=rng.choice(codes),
                county_code=COUNTY,
                province_code=PROVINCE,
                category=rng.choice(CATEGORY_CODES),
                title=f"生成的需求 {i}",
                description="基准测试生成的需求说明。",
                target_fen=rng.randrange(10_000_00, 1_000_000_00),
                deadline=today + timedelta(days=rng.randrange(10, 300)),
                state="published",
                published_at=now - timedelta(minutes=i),
            )
            for i in range(needs)
        ],
        batch_size=1000,
    )
    donors = [await Participant.create(kind="enterprise", name=f"企业{i}") for i in range(50)]
    need_ids = list(await Need.all().values_list("id", flat=True))
    await Pledge.bulk_create(
        [
            Pledge(
                need_id=rng.choice(need_ids),
                participant_id=rng.choice(donors).id,
                amount_fen=rng.randrange(100_00, 100_000_00),
                anonymous=rng.random() < 0.1,
                due_date=today + timedelta(days=30),
            )
            for _ in range(pledges)
        ],
        batch_size=1000,
    )


def timed(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", database_url=f"sqlite://{tmp}/bench.sqlite3")
        await run_migrations(settings)
        await open_database(settings)
        try:
            started = time.perf_counter()
            await build(args.needs, args.pledges)
            print(
                f"built {args.needs} needs, {args.pledges} pledges in {time.perf_counter() - started:.1f} s"
            )

            started = time.perf_counter()
            path, _ = await opendata.generate(Path(tmp) / "open-data", "http://bench")
            took = time.perf_counter() - started
            manifest = opendata.read_manifest(Path(tmp) / "open-data", clock.today_cn())
            assert manifest is not None
            rows = sum(f["rows"] for f in manifest["files"] if f["format"] == "csv")
            size = sum(f["bytes"] for f in manifest["files"])
            print(
                f"open-data snapshot: {took:.2f} s, {rows} rows per format, {size / 1e6:.1f} MB in all"
            )

            for where, label in ((FeedFilter(), "all"), (FeedFilter(county=COUNTY), "county")):
                samples = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    atom_bytes(await build_feed("needs", where, "http://bench"))
                    samples.append(time.perf_counter() - started)
                print(f"needs.atom ({label}): {timed(samples)} over {args.repeat} runs")

            await deliveries.scan_events("http://bench")  # the scan starts from now
            await WebhookScan.filter(source="needs").update(
                scanned_until=clock.now() - timedelta(seconds=1)
            )
            await WebhookEndpoint.bulk_create(
                [
                    WebhookEndpoint(
                        owner_kind="office",
                        url="https://93.184.216.34/h",
                        event_types=["need.funded"],
                        secret="whsec_bench",
                    )
                    for _ in range(args.endpoints)
                ]
            )
            ids = list(await Need.all().limit(args.events).values_list("id", flat=True))
            await NeedEvent.bulk_create(
                [
                    NeedEvent(need_id=i, action="fund", from_state="published", to_state="funded")
                    for i in ids
                ]
            )
            started = time.perf_counter()
            events = await deliveries.scan_events("http://bench")
            took = time.perf_counter() - started
            print(f"webhook fan-out: {events} events × {args.endpoints} endpoints in {took:.2f} s")
            started = time.perf_counter()
            claimed = 0
            while batch := await deliveries.claim_due(100, lease_seconds=600):
                claimed += len(batch)
            took = time.perf_counter() - started
            print(
                f"claimed {claimed} deliveries in batches of 100: {took:.2f} s ({claimed / took:.0f}/s)"
            )
        finally:
            await close_database()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--pledges", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--endpoints", type=int, default=10)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
