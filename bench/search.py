"""Search benchmark: index N generated needs, then measure query latency.

Reports index time, index size and p50/p95/p99 latency of a query mix (2- and 4-character words,
county and prefecture names, multi-word queries, facet filters, sorts; every query also counts
all six facets, as the search page does):

* ``engine``  - EmbeddedBackend.search() called directly (what the engine costs);
* ``http``    - GET requests through a minimal Starlette route served by uvicorn in a separate
                process (JSON of hits, highlights and facets included), or through any running
                API given with ``--http-url`` (e.g. the real app's ``/api/v1/needs``);
* ``fts5``    - with ``--fts5``: the SQLite FTS5 alternative over the same bigrams (comparison
                only, see bench/search_fts5.py and search/README.md).

    .venv/bin/python bench/search.py --needs 100000 --fts5
    .venv/bin/python bench/search.py --needs 100000 --http-url http://127.0.0.1:8000/api/v1/needs

Not part of the test suite; numbers go to search/README.md and the README.
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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpus import generate_needs, load_regions

from fupin.search.adapters import SearchQuery
from fupin.search.adapters.embedded import EmbeddedBackend
from fupin.search.rules.settings_data import default_settings

FACETS = ["province", "county", "category", "state", "contiguous_area", "amount_band"]
TWO_CHAR = [
    "饮水",
    "道路",
    "学校",
    "危房",
    "医疗",
    "光伏",
    "卫生",
    "教室",
    "水窖",
    "培训",
    "药品",
    "书屋",
    "搬迁",
    "垃圾",
    "留守",
    "冷链",
    "养殖",
    "宽带",
    "茶叶",
    "民宿",
]
FOUR_CHAR = [
    "饮水安全",
    "道路硬化",
    "危房改造",
    "小学食堂",
    "高标准农",
    "东西部协",
    "乡村旅游",
    "农家书屋",
    "冷链仓储",
    "技能培训",
]
MULTI = [
    "小学 食堂",
    "凉山 饮水",
    "贵州 危房",
    "养殖 合作社",
    "道路 硬化 四川",
    "凉山小学",
    "甘孜 光伏",
    "怒江 道路",
    "饮用水 工程",
    "留守儿童 之家",
    "我们公司想资助云南的小学",
    "想给凉山的孩子捐一些课桌椅",
    "小学 食堂 体育馆",  # no need holds all three: the most-words fallback
    "医疗 设备",
]
PREFECTURES = ["凉山", "黔东南", "甘孜", "怒江", "临夏", "恩施", "湘西", "文山"]
CATEGORIES = ["roads", "drinking_water", "housing", "education", "health", "industry"]


def query_mix(n: int = 200, seed: int = 7) -> list[tuple[str, SearchQuery]]:
    """(kind, query) pairs, deterministic for a seed."""
    rng = random.Random(seed)
    counties, _ = load_regions()
    provinces = sorted({c["province"] for c in counties})
    out: list[tuple[str, SearchQuery]] = []
    while len(out) < n:
        kind = rng.choice(
            ["2char", "2char", "4char", "4char", "county", "multi", "region", "browse", "nofilter"]
        )
        sort = rng.choice(["relevance"] * 5 + ["deadline", "open_amount", "newest"])
        if kind == "2char":
            q = SearchQuery(rng.choice(TWO_CHAR), {"province": [rng.choice(provinces)]}, sort)
        elif kind == "4char":
            filt = rng.choice(
                [{"province": [rng.choice(provinces)]}, {"category": [rng.choice(CATEGORIES)]}]
            )
            q = SearchQuery(rng.choice(FOUR_CHAR), filt, sort)
        elif kind == "county":
            q = SearchQuery(
                rng.choice(counties)["name"], {"category": [rng.choice(CATEGORIES)]}, sort
            )
        elif kind == "multi":
            q = SearchQuery(rng.choice(MULTI), {}, sort)
        elif kind == "region":
            q = SearchQuery(rng.choice(PREFECTURES), {"state": ["published"]}, sort)
        elif kind == "nofilter":  # the worst case: a common word over all 100k needs
            q = SearchQuery(rng.choice(TWO_CHAR), {}, sort)
        else:
            q = SearchQuery("", {"province": [rng.choice(provinces)]}, "deadline")
        out.append((kind, SearchQuery(q.text, q.filters, q.sort, facets=FACETS)))
    return out


def percentiles(samples_ms: Sequence[float]) -> str:
    qs = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {qs[49]:6.2f} ms   p95 {qs[94]:6.2f} ms   p99 {qs[98]:6.2f} ms   (n={len(samples_ms)})"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def build_index(
    directory: Path, docs: list[dict[str, Any]], batch: int = 5000
) -> EmbeddedBackend:
    backend = EmbeddedBackend(directory)
    await backend.open()
    await backend.ensure_index()
    started = time.perf_counter()
    token = await backend.start_rebuild()  # the path `fupin reindex` takes
    for i in range(0, len(docs), batch):
        await backend.rebuild_add(token, docs[i : i + batch])
    await backend.finish_rebuild(token)
    elapsed = time.perf_counter() - started
    print(f"index build ({len(docs)} needs, rebuild + swap): {elapsed:.1f} s")
    print(f"index size on disk: {dir_size(directory) / 1e6:.1f} MB")
    started = time.perf_counter()
    for doc in generate_needs(20):  # what the outbox worker pays per change: upsert + commit
        await backend.upsert([doc], wait=True)  # (same content: totals stay comparable)
    print(
        f"single-document upsert (commit, visible): {(time.perf_counter() - started) / 20 * 1000:.1f} ms"
    )
    return backend


async def measure(
    run: Callable[[SearchQuery], Any], queries: list[tuple[str, SearchQuery]], label: str
) -> None:
    for _, q in queries:  # warm-up pass
        await run(q)
    by_kind: dict[str, list[float]] = {}
    all_ms: list[float] = []
    for _ in range(2):
        for kind, q in queries:
            t0 = time.perf_counter()
            await run(q)
            ms = (time.perf_counter() - t0) * 1000
            all_ms.append(ms)
            by_kind.setdefault(kind, []).append(ms)
    print(f"{label:>8} all      {percentiles(all_ms)}")
    for kind, ms in sorted(by_kind.items()):
        print(f"{'':>8} {kind:<8} {percentiles(ms)}")


# ---- through HTTP --------------------------------------------------------------------------


def make_app(index_dir: str):
    """A minimal JSON route over the backend: the lower bound of what the real API costs."""
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    backend = EmbeddedBackend(index_dir)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with backend:
            yield

    async def needs(request: Request) -> JSONResponse:
        params = request.query_params
        filters = {f: params.getlist(f) for f in FACETS if f in params}
        result = await backend.search(
            SearchQuery(
                text=params.get("q", ""),
                filters=filters,
                sort=params.get("sort", "relevance"),
                facets=params.getlist("facet"),
            )
        )
        hits = [
            {**h, "_highlight": {k: str(v) for k, v in h["_highlight"].items()}}
            for h in result.hits
        ]
        return JSONResponse({"hits": hits, "total": result.total, "facets": result.facets})

    return Starlette(routes=[Route("/api/v1/needs", needs)], lifespan=lifespan)


def to_params(q: SearchQuery) -> list[tuple[str, str]]:
    params = [("q", q.text), ("sort", q.sort)]
    params += [(k, v) for k, vs in q.filters.items() for v in vs]
    params += [("facet", f) for f in q.facets]
    return params


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def measure_http(url: str, queries: list[tuple[str, SearchQuery]]) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:

        async def run(q: SearchQuery) -> None:
            response = await client.get(url, params=to_params(q))
            response.raise_for_status()

        await measure(run, queries, "http")


def serve(index_dir: str, port: int) -> None:
    import uvicorn

    uvicorn.run(make_app(index_dir), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", help="index directory (default: a temporary one)")
    parser.add_argument("--fts5", action="store_true", help="also measure SQLite FTS5 bigrams")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--http-url", help="measure this running API instead of the built-in route")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    print("command:", " ".join([Path(sys.executable).as_posix(), *sys.argv]))
    print(
        f"machine: {os.cpu_count()} cores; settings from {default_settings().index_uid!r} in search/"
    )
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(args.dir or tmp) / "index"
        started = time.perf_counter()
        docs = list(generate_needs(args.needs))
        print(f"generate {args.needs} needs: {time.perf_counter() - started:.1f} s (not indexing)")
        backend = await build_index(index_dir, docs)
        queries = query_mix(args.queries)
        await measure(backend.search, queries, "engine")
        await backend.close()

        if not args.no_http:
            if args.http_url:
                await measure_http(args.http_url, queries)
            else:
                port = free_port()
                proc = subprocess.Popen(
                    [sys.executable, __file__, "--serve", str(index_dir), "--port", str(port)]
                )
                try:
                    import httpx

                    for _ in range(100):  # wait for the server, at most 10 s
                        try:
                            httpx.get(f"http://127.0.0.1:{port}/api/v1/needs", timeout=1)
                            break
                        except httpx.TransportError:
                            time.sleep(0.1)
                    await measure_http(f"http://127.0.0.1:{port}/api/v1/needs", queries)
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)

        if args.fts5:
            from search_fts5 import Fts5Bigram

            fts = Fts5Bigram(Path(tmp) / "fts5.sqlite")
            started = time.perf_counter()
            fts.build(docs)
            print(
                f"fts5 index build ({args.needs}): {time.perf_counter() - started:.1f} s, "
                f"{(Path(tmp) / 'fts5.sqlite').stat().st_size / 1e6:.1f} MB"
            )

            async def run_fts(q: SearchQuery) -> None:
                fts.search(q)

            await measure(run_fts, queries, "fts5")
            # Same semantics, so the same totals: a cross-check of both implementations.
            async with EmbeddedBackend(index_dir) as again:
                differ = [
                    q.text
                    for _, q in queries
                    if (await again.search(q)).total != fts.search(q)["total"]
                ]
            print(
                f"fts5 vs embedded: {len(queries) - len(differ)}/{len(queries)} queries with equal totals"
                + (f"; differ: {differ[:5]}" if differ else "")
            )


if __name__ == "__main__":
    main()
