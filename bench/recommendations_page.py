"""Benchmark: the first load of "needs for you" (``/me/recommendations``) after login, on the demo
data (target < 300 ms).

Needs a demo database (``fupin migrate && fupin data load && fupin demo``, the README's first
run); point ``FUPIN_VAR_DIR`` / ``FUPIN_DATABASE_URL`` at it as for ``fupin serve``::

    FUPIN_VAR_DIR=var .venv/bin/python bench/recommendations_page.py --rounds 5

Each round starts the real app in this process (its lifespan, as ``fupin serve`` does, with the
background loops), waits ``--settle`` seconds (a server is up a while before anyone logs in),
logs the demo donor in through the login form (GET /login, POST /login) and times the first
GET /me/recommendations, then ``--repeat`` more. Printed: the first load of each round and its
median, the later loads' median, and where the time of a first load goes (the service's own
timings: profile, snapshot, candidates, ranking, exact figures; the rest is the page).
``--profile`` runs cProfile over one first load and prints the top functions. Not part of the
test suite; the figures go to docs/matching.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import statistics
import sys
import time

import httpx
from asgi_lifespan import LifespanManager

from fupin.app import create_app
from fupin.demo.service.accounts import DEMO_PASSWORD
from fupin.matching.service import recommendations, snapshot
from fupin.settings import Settings

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def one_round(
    settings: Settings, *, settle: float, repeat: int, profile: bool
) -> tuple[float, list[float], dict[str, float]]:
    snapshot.forget_snapshot()  # a freshly started process: nothing cached
    app = create_app(settings)
    timings: dict[str, float] = {}
    original = recommendations.recommendations_for

    async def traced(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await original(*args, **kwargs)
        if not timings:
            timings.update(result.timings_ms)
        return result

    recommendations.recommendations_for = traced  # type: ignore[assignment]
    try:
        async with LifespanManager(app, startup_timeout=120):
            await asyncio.sleep(settle)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as client:
                form = await client.get("/login")
                token = CSRF_FIELD.search(form.text)
                assert token, "no CSRF token on the login form"
                response = await client.post(
                    "/login",
                    data={
                        "username": "donor",
                        "password": DEMO_PASSWORD,
                        "csrf_token": token.group(1),
                        "next": "/me/recommendations",
                    },
                )
                assert response.status_code in (302, 303), response.text[:300]
                profiler = cProfile.Profile() if profile else None
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                page = await client.get("/me/recommendations")
                if profiler:
                    profiler.disable()
                first = time.perf_counter() - started
                assert page.status_code == 200 and 'class="card rec"' in page.text, page.text[:300]
                if profiler:
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                later = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    page = await client.get("/me/recommendations")
                    later.append(time.perf_counter() - started)
                    assert page.status_code == 200
    finally:
        recommendations.recommendations_for = original  # type: ignore[assignment]
    return first, later, timings


async def main_async(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    firsts: list[float] = []
    later: list[float] = []
    for i in range(args.rounds):
        first, more, timings = await one_round(
            settings, settle=args.settle, repeat=args.repeat, profile=args.profile and i == 0
        )
        firsts.append(first)
        later.extend(more)
        parts = ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
        print(f"round {i + 1}: first load {first * 1000:.0f} ms (service, ms: {parts})")
    print(
        f"first load after login: median {statistics.median(firsts) * 1000:.0f} ms "
        f"(min {min(firsts) * 1000:.0f}, max {max(firsts) * 1000:.0f}, {len(firsts)} rounds)"
    )
    if later:
        print(
            f"later loads: median {statistics.median(later) * 1000:.0f} ms "
            f"(max {max(later) * 1000:.0f}, {len(later)} loads)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh app starts")
    parser.add_argument("--repeat", type=int, default=5, help="loads after the first, per round")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds between start-up and the login"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the first first load")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
