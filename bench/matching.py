"""Benchmark: "needs for you" for one donor at 100,000 needs (target < 100 ms).

Builds a throw-away database (SQLite in a temporary directory by default, or a PostgreSQL
database created and dropped through ``--postgres-admin-url``), loads the real reference data (regions and
cooperation pairs), generates villages, needs, donors, pledges and donations with
``bulk_create``, then times :func:`fupin.matching.service.recommendations.recommendations_for` (profile
from the database, candidate generation, aggregates, ranking, reasons) for a bounded number of
donors of every kind, and prints p50/p95/max plus the candidate counts.

    .venv/bin/python bench/matching.py --needs 100000 --donors 50
    .venv/bin/python bench/matching.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/test

``--database-url`` takes an existing EMPTY PostgreSQL database instead (its schema is
generated). ``--recall N`` also ranks every open need for N donors and reports how many of the
top 20 the bounded candidate generation found. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

from tortoise import Tortoise  # noqa: E402

from fupin.accounts.models import Participant  # noqa: E402
from fupin.accounts.service.reference import load_all  # noqa: E402
from fupin.core.categories import CATEGORY_CODES  # noqa: E402
from fupin.core.clock import today_cn  # noqa: E402
from fupin.db import close_database, open_database, run_migrations  # noqa: E402
from fupin.matching.service import recommendations, snapshot  # noqa: E402
from fupin.money.models import Donation, Pledge, RecipientOrg  # noqa: E402
from fupin.needs.models import Need  # noqa: E402
from fupin.regions.models import Region  # noqa: E402
from fupin.settings import Settings  # noqa: E402

#: Category mix of the generated needs (the ten key tasks + other), as in bench/matching_sim.py.
CATEGORY_MIX = {
    "roads": 14,
    "drinking_water": 12,
    "electricity": 5,
    "housing": 12,
    "industry": 16,
    "tourism": 6,
    "education": 12,
    "health": 9,
    "culture": 5,
    "informatization": 5,
    "other": 4,
}
#: kind -> share of generated donors
DONOR_KINDS = {
    "enterprise": 0.40,
    "individual": 0.28,
    "social_org": 0.12,
    "central_unit": 0.10,
    "east_partner": 0.06,
    "democratic_party": 0.02,
    "military": 0.02,
}
#: state -> share of generated needs (most are open: the hard case for candidate generation)
STATE_MIX = {
    "published": 0.78,
    "funded": 0.07,
    "in_progress": 0.03,
    "completed": 0.03,
    "draft": 0.04,
    "submitted": 0.02,
    "withdrawn": 0.01,
    "expired": 0.02,
}
BATCH = 2000


def _pick(rng: random.Random, mix: dict[str, float] | dict[str, int]) -> str:
    keys = list(mix)
    return rng.choices(keys, weights=[float(mix[k]) for k in keys])[0]


async def build(needs: int, donors: int, villages: int, seed: int) -> dict[str, int]:
    """Fill the open database; returns counts. Deterministic for a seed."""
    rng = random.Random(seed)
    started = time.perf_counter()
    await load_all(REPO_ROOT / "data")
    print(f"reference data loaded in {time.perf_counter() - started:.1f} s", flush=True)

    counties = {
        r["code"]: r
        for r in await Region.filter(level="county").values(
            "code", "name", "province_code", "prefecture_code", "is_poverty_county", "full_name"
        )
        if not r["name"].endswith("区") or r["is_poverty_county"]
    }
    townships = [
        t
        for t in await Region.filter(level="township").values(
            "code", "name", "county_code", "province_code", "prefecture_code", "full_name"
        )
        if t["county_code"] in counties
    ]
    rng.shuffle(townships)
    # Generated villages under real townships, on 9xx codes the national registry (loaded with
    # the reference data) never uses: poverty counties get more of them, as they publish most
    # needs.
    poverty_townships = [t for t in townships if counties[t["county_code"]]["is_poverty_county"]]
    other_townships = [t for t in townships if not counties[t["county_code"]]["is_poverty_county"]]
    chosen = (
        poverty_townships[: int(villages * 0.7)] + other_townships[: villages - int(villages * 0.7)]
    )
    village_rows = []
    for i, t in enumerate(chosen):
        village_rows.append(
            Region(
                code=t["code"] + "901",
                name=f"第{i % 97 + 1}村",
                level="village",
                kind="村",
                parent_id=t["code"],
                province_code=t["province_code"],
                prefecture_code=t["prefecture_code"],
                county_code=t["county_code"],
                full_name=f"{t['full_name']} 第{i % 97 + 1}村",
                is_poor_village=rng.random() < 0.6,
                is_generated=True,
            )
        )
    for start in range(0, len(village_rows), BATCH):
        await Region.bulk_create(village_rows[start : start + BATCH])
    village_codes = [v.code for v in village_rows]
    village_county = {v.code: v.county_code for v in village_rows}
    famous = village_codes[:6]  # a few villages that attract money whatever their need
    print(f"{len(village_rows)} villages in {time.perf_counter() - started:.1f} s", flush=True)

    today = today_cn()
    now = datetime.now(UTC)
    county_codes = list({v.county_code for v in village_rows})
    state_counts: Counter[str] = Counter()
    rows: list[Need] = []
    need_ids_open: list[int] = []
    total = 0
    for i in range(needs):
        if rng.random() < 0.02:
            region = rng.choice(famous)
        elif rng.random() < 0.1:
            region = rng.choice(county_codes)  # county-wide project
        else:
            region = rng.choice(village_codes)
        county = village_county.get(region, region)
        state = _pick(rng, STATE_MIX)
        state_counts[state] += 1
        target = int(min(max(rng.lognormvariate(math.log(8_000_000), 0.9), 500_000), 150_000_000))
        pledged = received = 0
        if state == "published":
            if rng.random() < 0.45:
                pledged = int(target * rng.uniform(0.05, 0.95))
                received = int(pledged * rng.uniform(0, 1)) if rng.random() < 0.5 else 0
        elif state in ("funded", "in_progress"):
            pledged = target
            received = int(target * rng.uniform(0.2, 1))
        elif state == "completed":
            pledged = received = target
        if region in famous and state != "draft":
            received = max(received, target)
            pledged = max(pledged, received)
        published = state not in ("draft", "submitted")
        deadline = today + timedelta(days=rng.randint(-5 if state == "expired" else 1, 120))
        if state == "expired":
            deadline = today - timedelta(days=rng.randint(1, 60))
        rows.append(
            Need(
                region_id=region,
                county_code=county,
                province_code=counties[county]["province_code"],
                category=_pick(rng, CATEGORY_MIX),
                title=f"项目{i}",
                description="基准测试生成的需求。",
                target_fen=target,
                beneficiary_households=rng.randint(5, 400),
                beneficiary_people=rng.randint(10, 3000),
                deadline=deadline,
                state=state,
                published_at=now - timedelta(days=rng.uniform(0, 60)) if published else None,
                pledged_fen=pledged,
                received_fen=received,
                is_demo=True,
                source="demo",
            )
        )
        if len(rows) >= BATCH:
            await Need.bulk_create(rows)
            total += len(rows)
            rows = []
    if rows:
        await Need.bulk_create(rows)
        total += len(rows)
    print(f"{total} needs in {time.perf_counter() - started:.1f} s", flush=True)

    # Donors: stated categories (1-3), half state 1-2 provinces or counties.
    province_codes = sorted({c["province_code"] for c in counties.values()})
    donor_rows = []
    for i in range(donors):
        kind = _pick(rng, DONOR_KINDS)
        regions: list[str] = []
        if rng.random() < 0.5:
            regions = [rng.choice(province_codes)]
            if rng.random() < 0.4:
                regions.append(rng.choice(county_codes))
        donor_rows.append(
            Participant(
                kind=kind,
                name=f"基准捐赠方{i}",
                stated_categories=rng.sample(CATEGORY_CODES, rng.randint(1, 3)),
                stated_region_codes=regions,
                is_demo=True,
            )
        )
    await Participant.bulk_create(donor_rows)
    donor_ids = [
        p["id"] for p in await Participant.filter(name__startswith="基准捐赠方").values("id")
    ]
    pledge_need_ids = [r["id"] for r in await Need.filter(pledged_fen__gt=0).values("id")]
    need_ids_open = pledge_need_ids
    # Pledges and confirmed donations: about 60 % of donors have a history.
    org = await RecipientOrg.create(kind="qualified_org", name="基准基金会", code="BENCH0001")
    pledges: list[Pledge] = []
    history = rng.sample(donor_ids, int(len(donor_ids) * 0.6))
    for pid in history:
        for _ in range(rng.randint(1, 12)):
            amount = int(rng.lognormvariate(math.log(2_000_000), 1.0)) + 100
            state = rng.choices(
                ["pledged", "partially_paid", "honoured", "withdrawn", "lapsed"], [3, 1, 5, 1, 1]
            )[0]
            paid = (
                amount if state == "honoured" else amount // 2 if state == "partially_paid" else 0
            )
            pledges.append(
                Pledge(
                    need_id=rng.choice(need_ids_open),
                    participant_id=pid,
                    amount_fen=amount,
                    paid_fen=paid,
                    committed_fen=paid if state in ("withdrawn", "lapsed") else amount,
                    due_date=today + timedelta(days=rng.randint(-90, 60)),
                    state=state,
                    is_demo=True,
                )
            )
    for start in range(0, len(pledges), BATCH):
        await Pledge.bulk_create(pledges[start : start + BATCH])
    donations = [
        Donation(
            need_id=p.need_id,
            recipient_id=org.id,
            donor_id=p.participant_id,
            amount_fen=p.paid_fen,
            received_on=today - timedelta(days=rng.randint(0, 90)),
            state="confirmed",
            is_demo=True,
        )
        for p in pledges
        if p.paid_fen > 0
    ]
    for start in range(0, len(donations), BATCH):
        await Donation.bulk_create(donations[start : start + BATCH])
    print(
        f"{len(donor_ids)} donors, {len(pledges)} pledges, {len(donations)} donations "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {
        "needs": total,
        "open": state_counts["published"],
        "villages": len(village_rows),
        "donors": len(donor_ids),
        "pledges": len(pledges),
        "donations": len(donations),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


async def measure(sample: int, seed: int, repeat: int, recall: int = 0) -> None:
    rng = random.Random(seed)
    # The donors to time: every kind, pair helpers included (their candidates are the largest).
    helpers = [
        r["helper_id"]
        for r in await __import__("fupin.accounts.models", fromlist=["Pair"])
        .Pair.filter(end_year=None)
        .values("helper_id")
    ]
    generated = [
        p["id"] for p in await Participant.filter(name__startswith="基准捐赠方").values("id")
    ]
    chosen = sorted(set(rng.sample(generated, min(sample, len(generated)))))
    chosen += sorted(set(helpers))[: max(1, sample // 5)]
    today = today_cn()
    # The open-needs snapshot: built once per process and rebuilt in the background every
    # SNAPSHOT_MAX_AGE seconds (the old one serves meanwhile). Timed here, not in the calls.
    builds = []
    for _ in range(2):
        snapshot.forget_snapshot()
        t0 = time.perf_counter()
        snap = await snapshot.snapshot(today)
        builds.append((time.perf_counter() - t0) * 1000)
    print(
        f"snapshot of {len(snap.needs)} open needs built in {min(builds):.0f} ms "
        f"(best of {len(builds)}; once per {snapshot.SNAPSHOT_MAX_AGE:.0f} s per process)"
    )
    # Warm-up (imports, prepared statements): not counted.
    await recommendations.recommendations_for(chosen[0], today=today)
    times: list[float] = []
    candidate_counts: list[int] = []
    stage_totals: Counter[str] = Counter()
    for pid in chosen:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = await recommendations.recommendations_for(pid, today=today)
            times.append((time.perf_counter() - t0) * 1000)
            candidate_counts.append(result.candidate_count)
            for stage, ms in result.timings_ms.items():
                stage_totals[stage] += ms
    n = len(times)
    print(f"machine load average while timing: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    print(
        f"recommendations_for: {n} calls over {len(chosen)} donors: "
        f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    print(
        f"candidates handed to the ranking: median {statistics.median(candidate_counts):.0f}, "
        f"max {max(candidate_counts)}"
    )
    print(
        "mean per stage: "
        + ", ".join(f"{stage} {total / n:.1f} ms" for stage, total in stage_totals.items())
    )
    if recall:
        # How much does bounded candidate generation lose? Compare with ranking every open need.
        overlaps = []
        for pid in chosen[:recall]:
            ours = [
                i.need.id
                for i in (await recommendations.recommendations_for(pid, today=today)).items
            ]
            reference = await recommendations.reference_ranking(pid, today=today, limit=len(ours))
            if reference:
                overlaps.append(len(set(ours) & set(reference)) / len(reference))
        if overlaps:
            print(
                f"top-20 overlap with ranking ALL open needs ({len(overlaps)} donors): "
                f"mean {statistics.mean(overlaps):.0%}, min {min(overlaps):.0%}"
            )


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    throwaway = ""
    with tempfile.TemporaryDirectory(prefix="fupin-bench-matching-") as tmp:
        if args.postgres_admin_url:
            # A throw-away PostgreSQL database, created here and dropped at the end.
            throwaway = f"fupin_bench_matching_{os.getpid()}"
            await _admin(args.postgres_admin_url, f'CREATE DATABASE "{throwaway}"')
            base = args.postgres_admin_url.rsplit("/", 1)[0]
            url = f"{base}/{throwaway}".replace("postgresql://", "postgres://")
        elif args.database_url:
            url = args.database_url
        else:
            path = Path(args.sqlite_path) if args.sqlite_path else Path(tmp) / "bench.sqlite3"
            url = f"sqlite://{path}"
        settings = Settings(env="test", database_url=url, var_dir=Path(tmp) / "var")
        try:
            await run_migrations(settings)  # the schema as `fupin migrate` makes it
            await open_database(settings)
            try:
                if await Need.exists():
                    if not args.reuse:
                        print("the database is not empty (use --reuse to time it)", file=sys.stderr)
                        return 2
                    print(f"reusing {await Need.all().count()} needs")
                else:
                    counts = await build(
                        args.needs, args.donors_generated, args.villages, args.seed
                    )
                    print("generated:", ", ".join(f"{k} {v}" for k, v in counts.items()))
                    if url.startswith("postgres"):
                        await Tortoise.get_connection("default").execute_script("ANALYZE")
                print(f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
                await measure(args.donors, args.seed, args.repeat, args.recall)
            finally:
                await close_database()
        finally:
            if throwaway:
                await _admin(
                    args.postgres_admin_url, f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)'
                )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--donors-generated", type=int, default=2_000)
    parser.add_argument("--donors", type=int, default=50, help="donors timed (bounded)")
    parser.add_argument("--repeat", type=int, default=2, help="calls per timed donor")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--recall", type=int, default=10, help="donors compared with ranking every open need"
    )
    parser.add_argument("--database-url", default="", help="an EMPTY PostgreSQL database")
    parser.add_argument(
        "--postgres-admin-url",
        default="",
        help="create (and drop) a throw-away PostgreSQL database through this admin URL",
    )
    parser.add_argument("--sqlite-path", default="", help="keep the SQLite file here")
    parser.add_argument("--reuse", action="store_true", help="time an already generated DB")
    args = parser.parse_args(argv)
    args.donors = max(1, min(args.donors, 500))
    args.repeat = max(1, min(args.repeat, 10))
    args.recall = max(0, min(args.recall, 50))
    return args


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
