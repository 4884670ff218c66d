"""`/metrics` for Prometheus and `/readyz` for load balancers and orchestrators.

``/healthz`` (fupin.site) stays the cheap liveness answer: the process serves. ``/readyz``
asks the database and the search engine, so a balancer sends no traffic to a process that
cannot answer pages. ``/metrics`` reads the queue lags and the pool from the database at
each scrape (a handful of indexed counts) and is not for everyone: with ``FUPIN_METRICS_TOKEN``
set it wants that bearer token, without it only loopback and private addresses are answered
(docs/operations.md).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from tortoise import connections

from fupin.core import metrics
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import client_ip
from fupin.ops import queues

log = logging.getLogger(__name__)


def metrics_allowed(request: Request) -> bool:
    token = str(request.app.state.settings.metrics_token)
    if token:
        sent = request.headers.get("authorization", "")
        return sent.lower().startswith("bearer ") and hmac.compare_digest(
            sent[7:].strip().encode(), token.encode()
        )
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def pool_use() -> dict[str, int]:
    """This process's database connections: asyncpg's pool, or SQLite's one connection."""
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if pool is not None and hasattr(pool, "get_size"):
        size, idle = pool.get_size(), pool.get_idle_size()
        return {"in_use": size - idle, "idle": idle, "max": pool.get_max_size()}
    return {"in_use": 0, "idle": 1, "max": 1}


async def metrics_page(request: Request) -> Response:
    if not metrics_allowed(request):
        return PlainTextResponse("not found", status_code=404)
    try:
        for name, (pending, age) in (await queues.lags()).items():
            metrics.QUEUE_PENDING.labels(name).set(pending)
            metrics.QUEUE_OLDEST_AGE.labels(name).set(age)
        metrics.UP.labels("database").set(1)
    except Exception:  # the scrape still answers: the database being down is the news
        log.exception("metrics: could not read the queues")
        metrics.UP.labels("database").set(0)
    for state, value in pool_use().items():
        metrics.DB_POOL.labels(state).set(value)
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def database_ok() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        log.exception("readyz: the database does not answer")
        return False
    return True


async def search_ok(request: Request) -> bool:
    service = getattr(request.app.state, "search", None)
    try:
        return service is not None and bool(await service.health())
    except Exception:
        log.exception("readyz: the search engine does not answer")
        return False


async def readyz(request: Request) -> Response:
    checks = {"database": await database_ok(), "search": await search_ok(request)}
    for name, ok in checks.items():
        metrics.UP.labels(name).set(1 if ok else 0)
    ready = all(checks.values())
    return JSONResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {k: "ok" if v else "failed" for k, v in checks.items()},
        },
        status_code=200 if ready else 503,
    )


routes = [
    page("/readyz", readyz, name="readyz", action=PUBLIC),
    page("/metrics", metrics_page, name="metrics", action=PUBLIC),
]
