"""The village picker at the API over the full registry on SQLite: p50/p95 of
``GET /api/v1/regions?level=village&q=…`` and ``GET /api/v1/regions?q=…``.

1. a fresh SQLite database, migrated, with the whole reference data (``load_all``: 620,573
   villages) — the load is timed too;
2. the real app (``fupin.app.create_app``, every middleware) over ASGI in this process;
3. queries: the first one, two or three characters of real village names drawn at random
   (seeded), anonymous (the national scope, the widest), a warm-up then N timed requests, each
   checked (200, JSON).

    PYTHONPATH=platform .venv/bin/python bench/village_picker.py --requests 300

Not part of the test suite; the figure goes to README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from fupin.accounts.service.reference import load_all, read_villages
from fupin.app import create_app
from fupin.db import close_database, open_database, run_migrations
from fupin.regions.rules import display_name
from fupin.settings import Settings


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main(requests: int, database: Path | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="fupin-picker-"))
    path = database or work / "picker.sqlite3"
    settings = Settings(
        env="test", database_url=f"sqlite://{path}", var_dir=work, secret_key="x" * 48
    )
    if database is None:
        await run_migrations(settings)
        await open_database(settings)
        started = time.perf_counter()
        counts = await load_all(settings.data_dir)
        print(f"load: {counts.villages_created} villages in {time.perf_counter() - started:.1f} s")
        await close_database()
    print(f"database size: {path.stat().st_size / 2**20:.0f} MiB")
    rng = random.Random(2014)
    names = [display_name(r["name"]) for r in read_villages(settings.data_dir / "villages.csv.gz")]
    queries = [rng.choice(names)[: rng.choice((1, 2, 2, 3))] for _ in range(requests)]
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for label, extra in (("level=village&q=", {"level": "village"}), ("q=", {})):
                times: list[float] = []
                for i, q in enumerate(queries[:20] + queries):
                    t = time.perf_counter()
                    response = await client.get("/api/v1/regions", params={**extra, "q": q})
                    elapsed = (time.perf_counter() - t) * 1000
                    assert response.status_code == 200, response.text[:200]
                    response.json()
                    if i >= 20:
                        times.append(elapsed)
                print(
                    f"GET /api/v1/regions?{label}: n={len(times)} p50 {_p(times, 50):.1f} ms,"
                    f" p95 {_p(times, 95):.1f} ms, max {max(times):.1f} ms"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", type=Path, default=None, help="an already loaded SQLite file")
    args = parser.parse_args()
    asyncio.run(main(min(args.requests, 5000), args.database))
