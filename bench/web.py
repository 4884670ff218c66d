"""Fupin's public pages against their baselines, in one run, alternating.

1. a SQLite database with the real reference data and N needs (``bench/search_api.py``'s
   builder: real counties and townships, 10 % of the needs not public), kept in ``--dir``;
2. the real app (``create_app``: every middleware, the session and locale layers) served
   in-process through httpx's ASGI transport, next to a **baseline**: a bare Starlette app with
   one route that renders the same template (``needs/list.html``) with the same context held in
   memory (taken from one real request), so the difference is what Fupin does around the
   template — database reads, middleware, session;
3. the **indexed SQL read**: the page's rows read with the standard library's sqlite3 from the
   same file (page 1 of the public list, 20 rows by ``published_at DESC, id DESC``).

Rounds alternate (baseline, Fupin, baseline, …) so a change in machine load hits both; the
median over rounds is printed, with Fupin / baseline as a ratio of requests per second.

    PYTHONPATH=platform .venv/bin/python bench/web.py --needs 2000
    PYTHONPATH=platform .venv/bin/python bench/web.py --needs 100000 --dir /tmp/web100k

``--dashboard`` adds ``GET /dashboards/national`` as a signed-in national administrator (a
user and a server-side session made in the database, as a login makes them): the needs-side
figures (needs by province × category × state, villages asking, the unfunded list) over the
same N needs; the money figures read the rollups, which this database leaves empty
(``bench/dashboard.py`` builds a million donations for those). Timed twice: as reloaded (the
figures kept since no write came in between: ``fupin.core.cache``) and **cold** (the caches of
the figures and of the supervision counts emptied before every load, as if a pledge came in
between every two loads).

It then measures **search throughput while an administrator reloads the national dashboard**:
the public search (``SEARCHES``, anonymous, c=1) for ``--requests`` requests alone, and again
while a second client reloads the dashboard in a loop (warm, then cold), rounds alternating;
the admin's loop stops when the searches are done, so every round is bounded.

Not part of the test suite; the figures go to the README's Figures table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_api import build_database  # the same generated needs

#: The pages measured: (label, path). Anonymous, as a visitor or a crawler sees them.
PAGES = [
    ("needs p1", "/needs"),
    ("needs p50", "/needs?page=50"),
    ("needs province", "/needs?province=530000"),
    ("need page", "/needs/{id}"),
    ("api needs", "/api/v1/needs"),
]

#: The public search measured against the dashboard's reloads: the needs list narrowed the way
#: a visitor searches it (province, category), read from the database like every list.
SEARCHES = ["/needs?province=530000", "/needs?category=roads", "/needs?province=510000&page=2"]

Fetch = Callable[[], Awaitable[None]]


def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def timed(fetch: Fetch, requests: int) -> list[float]:
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        await fetch()
        out.append((time.perf_counter() - started) * 1000)
    return out


def sql_read(path: Path) -> Fetch:
    """Page 1 of the public list straight from the file: the 20 newest needs still raising
    money, walked in the index (no sort), then the card's columns of those 20 rows."""
    conn = sqlite3.connect(path)

    async def fetch() -> None:
        today = time.strftime("%Y-%m-%d")
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM need WHERE state = 'published' AND +deadline >= ?"
                " AND pledged_fen < target_fen ORDER BY published_at DESC, id DESC LIMIT 20",
                (today,),
            )
        ]
        marks = ",".join("?" * len(ids))
        conn.execute(
            "SELECT n.id, n.title, n.category, n.state, n.deadline, n.target_fen, n.pledged_fen,"
            " n.received_fen, n.beneficiary_people, n.is_demo, r.full_name FROM need n"
            f" JOIN region r ON r.code = n.region_id WHERE n.id IN ({marks})",
            ids,
        ).fetchall()

    return fetch


async def admin_cookie(settings: Any) -> str:
    """A browser signed in as a national administrator: the user and a server-side session row
    (as a login makes them), named by the signed cookie."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    from fupin.accounts.models import User
    from fupin.accounts.service import sessions

    user = await User.get_or_none(username="bench-admin")
    if user is None:
        user = await User.create(
            username="bench-admin", display_name="bench", password_hash="x", role="national_admin"
        )
    key = await sessions.start(user=user, ip="127.0.0.1", user_agent="bench", max_age_seconds=3600)
    payload = base64.b64encode(json.dumps({"csrf": "x", sessions.COOKIE_KEY: key}).encode())
    return TimestampSigner(str(settings.secret_key)).sign(payload).decode()


async def measure(settings: Any, args: argparse.Namespace) -> None:
    import httpx
    from asgi_lifespan import LifespanManager
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from fupin.app import create_app
    from fupin.core.templating import make_templates

    app = create_app(settings)
    captured: dict[str, Any] = {}
    real = app.state.templates.TemplateResponse

    def capture(request: Request, name: str, context: dict[str, Any], **kw: Any) -> Response:
        captured.setdefault(name, dict(context))
        return real(request, name, context, **kw)

    baseline_templates = make_templates()
    baseline_templates.env.auto_reload = False

    async def baseline_page(request: Request) -> Response:
        context = dict(captured["needs/list.html"])
        context.pop("request", None)
        return baseline_templates.TemplateResponse(request, "needs/list.html", context)

    baseline = Starlette(routes=[Route("/needs", baseline_page)])

    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://fupin") as client:
            app.state.templates.TemplateResponse = capture
            first = await client.get("/needs")
            app.state.templates.TemplateResponse = real
            assert first.status_code == 200, first.text[:300]
            need_id = (await client.get("/api/v1/needs?per_page=1")).json()["items"][0]["id"]
            size = len(first.content)
            print(
                f"/needs page 1: {size / 1024:.1f} KB; "
                f"set-cookie: {'yes' if 'set-cookie' in first.headers else 'no'}; "
                f"cache-control: {first.headers.get('cache-control', '-')}"
            )

            signed_in = (
                {"cookie": f"fupin_session={await admin_cookie(settings)}"}
                if args.dashboard
                else {}
            )

            def page(path: str) -> Fetch:
                async def fetch() -> None:
                    response = await client.get(
                        path, headers=signed_in if "dashboard" in path else None
                    )
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")

                return fetch

            base_transport = httpx.ASGITransport(app=baseline)
            async with httpx.AsyncClient(transport=base_transport, base_url="http://b") as bare:

                async def bare_fetch() -> None:
                    response = await bare.get("/needs")
                    assert response.status_code == 200

                kinds: dict[str, Fetch] = {
                    "baseline": bare_fetch,
                    "sql read": sql_read(settings.var_dir / "fupin.sqlite3"),
                }
                for label, path in PAGES:
                    kinds[label] = page(path.format(id=need_id))
                if args.dashboard:
                    kinds["dashboard"] = page("/dashboards/national")
                    kinds["dashboard cold"] = cold(page("/dashboards/national"))
                for fetch in kinds.values():  # warm-up
                    await timed(fetch, 5)
                samples: dict[str, list[list[float]]] = {k: [] for k in kinds}
                for _ in range(args.rounds):
                    for label, fetch in kinds.items():
                        samples[label].append(await timed(fetch, args.requests))
                if args.dashboard:
                    contention = await search_under_reloads(
                        client, kinds["dashboard"], kinds["dashboard cold"], args
                    )
    print(
        f"{'what':<16} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}   "
        f"(median of {args.rounds} alternating rounds of {args.requests} requests, c=1)"
    )
    rates: dict[str, float] = {}
    for label, rounds in samples.items():
        rate = statistics.median(len(r) / (sum(r) / 1000) for r in rounds)
        rates[label] = rate
        p50 = statistics.median(pct(r, 50) for r in rounds)
        p95 = statistics.median(pct(r, 95) for r in rounds)
        print(f"{label:<16} {rate:8.0f} {p50:8.2f} {p95:8.2f}")
    print(
        f"ratio /needs page 1 : baseline (same page from memory) = "
        f"{rates['needs p1'] / rates['baseline'] * 100:.1f} %"
    )
    if args.dashboard:
        print_contention(contention, args)


def cold(fetch: Fetch) -> Fetch:
    """The dashboard as its first load after a write: the process's caches emptied first —
    the figures and the supervision counts beside them, which a write empties alike."""
    from fupin.disclosure.service import alerts
    from fupin.pairs.service import dashboards

    # absent before the caches (to compare with)
    caches = [c for c in (getattr(dashboards, "CACHE", None), getattr(alerts, "COUNTS", None)) if c]

    async def fetch_cold() -> None:
        for cache in caches:
            cache.clear()
        await fetch()

    return fetch_cold


async def search_under_reloads(
    client: Any, warm: Fetch, cold_fetch: Fetch, args: argparse.Namespace
) -> dict[str, list[tuple[float, int]]]:
    """Search req/s alone, then while an admin reloads the dashboard (warm, cold), alternating
    by round: ``(searches per second, dashboard loads meanwhile)`` per round and kind."""
    searches = [SEARCHES[i % len(SEARCHES)] for i in range(args.requests * 3)]

    async def search_run() -> float:
        started = time.perf_counter()
        for path in searches:
            response = await client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        return len(searches) / (time.perf_counter() - started)

    async def with_admin(reload: Fetch | None) -> tuple[float, int]:
        if reload is None:
            return await search_run(), 0
        done = asyncio.Event()
        loads = 0

        async def admin() -> None:
            nonlocal loads
            while not done.is_set():
                await reload()
                loads += 1

        task = asyncio.create_task(admin())
        await asyncio.sleep(0)  # the admin's first load is under way
        try:
            rate = await search_run()
        finally:
            done.set()
            await task
        return rate, loads

    out: dict[str, list[tuple[float, int]]] = {"alone": [], "warm": [], "cold": []}
    for _ in range(args.rounds):
        out["alone"].append(await with_admin(None))
        out["warm"].append(await with_admin(warm))
        out["cold"].append(await with_admin(cold_fetch))
    return out


def print_contention(found: dict[str, list[tuple[float, int]]], args: argparse.Namespace) -> None:
    alone = statistics.median(rate for rate, _ in found["alone"])
    print(
        f"search throughput while an admin reloads /dashboards/national "
        f"({args.requests * 3} searches {', '.join(SEARCHES)} per round, c=1 each; "
        f"median of {args.rounds} alternating rounds):"
    )
    print(f"  {'alone':<32} {alone:8.1f} req/s")
    for kind, label in (("warm", "with reloads (cached figures)"), ("cold", "with cold reloads")):
        rate = statistics.median(r for r, _ in found[kind])
        loads = statistics.median(n for _, n in found[kind])
        print(
            f"  {label:<32} {rate:8.1f} req/s  {(rate / alone - 1) * 100:+6.1f} %  "
            f"({loads:.0f} dashboard loads per round)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per kind and round")
    parser.add_argument("--dir", help="keep the database here (default: temporary)")
    parser.add_argument(
        "--dashboard", action="store_true", help="also GET /dashboards/national as an admin"
    )
    parser.add_argument(
        "--env", default="production", help="FUPIN_ENV of the measured app (production)"
    )
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).as_posix(), *sys.argv]))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    from fupin.settings import Secret, Settings

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(args.dir or tmp)
        var.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            env=args.env,
            database_url=f"sqlite://{var / 'fupin.sqlite3'}",
            var_dir=var,
            search_worker=False,
            secret_key=Secret("bench-" + "k3y-Zq8w" * 6),
        )
        if not (var / "fupin.sqlite3").exists():
            asyncio.run(build_database(settings, args.needs))
        else:  # a database kept from an earlier run: brought up to the code's migrations
            from fupin.db import run_migrations

            asyncio.run(run_migrations(settings))
        asyncio.run(measure(settings, args))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
