"""The public participant, pair and need pages over a demo database: the participant whose
named giving is largest, the pair with the most money, the need with the most progress
updates — each page through the real app over ASGI, a warm-up then N timed requests.

    FUPIN_DATABASE_URL=sqlite:///path/to/demo.sqlite3 \\
        PYTHONPATH=platform .venv/bin/python bench/public_pages.py --requests 20

(after ``fupin migrate``, ``fupin data load`` and ``fupin demo`` on that database). Not part of
the test suite; it prints p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from asgi_lifespan import LifespanManager

from fupin.app import create_app
from fupin.core.sql import rows
from fupin.db import close_database, open_database
from fupin.settings import Settings


async def _targets() -> dict[str, str]:
    giver = await rows(
        "SELECT participant_id AS p, COUNT(*) AS k FROM pledge WHERE anonymous = ? "
        "GROUP BY participant_id ORDER BY k DESC LIMIT 1",
        [False],
    )
    pair = await rows(
        "SELECT pair_id AS p, SUM(received_fen) AS k FROM rollup_pair_money "
        "WHERE pair_id > 0 GROUP BY pair_id ORDER BY k DESC LIMIT 1",
        [],
    )
    need = await rows(
        "SELECT need_id AS p, COUNT(*) AS k FROM need_update GROUP BY need_id "
        "ORDER BY k DESC LIMIT 1",
        [],
    )
    found = {}
    for name, path, row in (
        ("participant", "/participants/{}", giver),
        ("pair", "/pairs/{}", pair),
        ("need with updates", "/needs/{}", need),
    ):
        if row:
            found[f"{name} ({row[0]['k']})"] = path.format(row[0]["p"])
    return found


async def main(requests: int) -> None:
    settings = Settings.from_env()
    await open_database(settings)
    try:
        targets = await _targets()
    finally:
        await close_database()
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client,
    ):
        for name, path in targets.items():
            assert (await client.get(path)).status_code == 200, path
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = statistics.quantiles(times, n=100)[94] if len(times) > 1 else times[0]
            print(
                f"{path:<22} {name:<28} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main(parser.parse_args().requests))
