"""Search through the REAL app's HTTP API at national scale.

Unlike bench/search.py (engine, and a minimal route), this measures what a client gets:

1. a fresh SQLite database with the real reference data (``load_all``: 34 provinces, 2,846
   counties, 41k townships) and N needs in generated villages under real townships of the 832
   poverty counties (texts from bench/search_corpus.py), in public and non-public states;
2. the index built the way ``fupin reindex`` builds it (``rebuild_index``: documents from the
   database by ``public_need_documents``, twin index, atomic swap) — timed;
3. the real app (``fupin.app:asgi``, every middleware, the session and locale layers, the
   database check of each page of hits) served by uvicorn on 127.0.0.1 in its own process;
4. the query mix of bench/search.py sent as ``GET /api/v1/needs?q=…&province=…&sort=…`` one at a
   time (2 passes after a warm-up; bounded), every response checked (200, JSON, a total).

    .venv/bin/python bench/search_api.py --needs 100000

Prints the command, the build figures and p50/p95/p99 overall and per kind of query. Not part
of the test suite; the figures go to search/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpus import generate_needs

from fupin import REPO_ROOT
from fupin.search.adapters import SearchQuery
from search import query_mix  # bench/search.py: the same query mix

#: Share of generated needs that are not public (drafts, under review, withdrawn): they must
#: cost nothing at query time (they are not in the index).
HIDDEN_SHARE = 0.1
HIDDEN_STATES = ("draft", "submitted", "withdrawn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples_ms: list[float]) -> str:
    qs = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {qs[49]:6.2f} ms   p95 {qs[94]:6.2f} ms   p99 {qs[98]:6.2f} ms   (n={len(samples_ms)})"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def build_database(settings: Any, n: int, seed: int = 42) -> None:
    """Reference data + villages + ``n`` needs, bulk-inserted (the demo importer's per-need use
    cases would take far longer at this scale; the rows are the same shape)."""
    from fupin.accounts.service.reference import load_all
    from fupin.core.clock import today_cn
    from fupin.db import close_database, open_database, run_migrations
    from fupin.needs.models import Need, NeedItem
    from fupin.regions.models import Region

    # Migrated as `fupin migrate` does: the app served below refuses an unmigrated database.
    await run_migrations(settings)
    await open_database(settings)
    try:
        started = time.perf_counter()
        await load_all(settings.data_dir)
        print(f"reference data: {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        townships: dict[tuple[str, str], Region] = {
            (t.county_code, t.name): t
            for t in await Region.filter(level="township", county_code__not="")
        }
        villages: dict[tuple[str, str], str] = {}  # (township code, name) -> village code
        per_township: dict[str, int] = {}
        new_villages: list[Region] = []
        rng = random.Random(seed)
        today = today_cn()
        rows: list[Need] = []
        items: list[NeedItem] = []
        for doc in generate_needs(n, seed=seed):
            # the item names are what search reads of the items (quantities are not searched)
            items.extend(
                NeedItem(need_id=doc["id"], name=name, quantity=1, unit="批", unit_value_fen=100)
                for name in doc["items"].split()
            )
            township = townships.get((doc["county_code"], doc["township"]))
            if township is None:  # a county without township rows: the county itself
                region_code = doc["county_code"]
            else:
                key = (township.code, doc["village"])
                if key not in villages:
                    # 9xx: numbers the national registry (already loaded) never uses
                    per_township[township.code] = per_township.get(township.code, 900) + 1
                    assert per_township[township.code] <= 999, "too many villages in a township"
                    code = f"{township.code}{per_township[township.code]:03d}"
                    villages[key] = code
                    new_villages.append(
                        Region(
                            code=code,
                            name=doc["village"],
                            level="village",
                            kind="村",
                            parent_id=township.code,
                            province_code=township.province_code,
                            prefecture_code=township.prefecture_code,
                            county_code=township.county_code,
                            full_name=f"{township.full_name} {doc['village']}",
                            is_poor_village=True,
                            is_generated=True,
                        )
                    )
                region_code = villages[key]
            state = doc["state"]
            if rng.random() < HIDDEN_SHARE:
                state = rng.choice(HIDDEN_STATES)
            published = datetime.fromtimestamp(doc["published_ts"], UTC)
            rows.append(
                Need(
                    id=doc["id"],
                    region_id=region_code,
                    county_code=doc["county_code"],
                    province_code=doc["province_code"],
                    category=doc["category"],
                    title=doc["title"],
                    description=doc["description"],
                    target_fen=doc["target_fen"],
                    pledged_fen=doc["pledged_fen"],
                    received_fen=doc["received_fen"],
                    beneficiary_households=doc["beneficiary_households"],
                    beneficiary_people=doc["beneficiary_people"],
                    # open needs end in the future, so none of them reads as expired
                    deadline=today + timedelta(days=rng.randint(7, 700)),
                    state=state,
                    published_at=published if state not in HIDDEN_STATES else None,
                    is_demo=True,
                    source="demo",
                )
            )
        await Region.bulk_create(new_villages, batch_size=2000)
        await Need.bulk_create(rows, batch_size=2000)
        await NeedItem.bulk_create(items, batch_size=5000)
        print(
            f"database: {n} needs in {len(new_villages)} generated villages "
            f"({time.perf_counter() - started:.1f} s)"
        )
    finally:
        await close_database()


async def build_index(settings: Any) -> None:
    from fupin.db import close_database, open_database
    from fupin.needs.service.search import open_service, rebuild_index

    await open_database(settings)
    service = await open_service(settings)
    try:
        started = time.perf_counter()
        report = await rebuild_index(service, batch_size=2000)
        elapsed = time.perf_counter() - started
        print(
            f"index build through `fupin reindex`'s path: {report.indexed} public needs in "
            f"{elapsed:.1f} s; index size {dir_size(settings.search_dir) / 1e6:.1f} MB"
        )
    finally:
        await service.close()
        await close_database()


def to_params(q: SearchQuery) -> list[tuple[str, str]]:
    params = [("q", q.text), ("sort", q.sort)]
    params += [(k, v) for k, vs in q.filters.items() for v in vs]
    return params


def server_cpu_ns(pid: int) -> int:
    """CPU time the server process has used, all threads (Linux /proc, nanoseconds). On a shared
    machine the wall-clock latency grows with other work; the CPU a request costs does not."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total


def measure(
    base: str, path: str, queries: list[tuple[str, SearchQuery]], passes: int, pid: int
) -> None:
    import httpx

    cpu_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:

        def run(q: SearchQuery) -> float:
            c0 = server_cpu_ns(pid)
            t0 = time.perf_counter()
            response = client.get(path, params=to_params(q))
            ms = (time.perf_counter() - t0) * 1000
            cpu_ms.append((server_cpu_ns(pid) - c0) / 1e6)
            if response.status_code != 200 or (
                path.startswith("/api") and "total" not in response.json()
            ):
                raise SystemExit(f"bad response {response.status_code}: {response.text[:300]}")
            return ms

        with_hits = 0
        for _, q in queries:  # warm-up, and a check that the answers are real search results
            run(q)
            if path.startswith("/api"):
                body = client.get(path, params=to_params(q)).json()
                with_hits += bool(body["items"]) and "facets" in body
        by_kind: dict[str, list[float]] = {}
        all_ms: list[float] = []
        cpu_ms.clear()  # the measured passes only
        for _ in range(passes):
            for kind, q in queries:
                ms = run(q)
                all_ms.append(ms)
                by_kind.setdefault(kind, []).append(ms)
    print(f"queries answered by search with hits: {with_hits}/{len(queries)}")
    print(f"api all      {percentiles(all_ms)}")
    print(f"server CPU per request (all threads) {percentiles(cpu_ms)}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")
    for kind, ms in sorted(by_kind.items()):
        print(f"    {kind:<8} {percentiles(ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--path", default="/api/v1/needs", help="the endpoint to measure")
    parser.add_argument("--dir", help="keep the database and index here (default: temporary)")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).as_posix(), *sys.argv]))
    print(f"machine: {os.cpu_count()} cores")

    from fupin.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(args.dir or tmp)
        settings = Settings(
            env="development",
            database_url=f"sqlite://{var / 'fupin.sqlite3'}",
            var_dir=var,
            search_worker=False,
        )
        if not (var / "fupin.sqlite3").exists():
            asyncio.run(build_database(settings, args.needs))
            asyncio.run(build_index(settings))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
        env.update(
            FUPIN_DATABASE_URL=settings.database_url,
            FUPIN_VAR_DIR=str(var),
            FUPIN_SEARCH_WORKER="false",
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "fupin.app:asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=env,
        )
        try:
            import httpx

            base = f"http://127.0.0.1:{port}"
            for _ in range(300):  # wait for the server, at most 30 s
                try:
                    httpx.get(f"{base}/api/v1/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            print("server: uvicorn, 1 process, the real app (fupin.app:asgi)")
            measure(base, args.path, query_mix(args.queries), args.passes, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main()
