"""The outermost middleware: a request id for every request (taken from ``X-Request-ID`` when
the caller — a reverse proxy — sent a sane one, else made here, and returned in the same
header), the request count and latency per route template (core/metrics.py), and one JSON
access log line per request (core/logs.py: no path, query, address or user)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fupin.core import logs, metrics

log = logging.getLogger("fupin.access")

HEADER = "X-Request-ID"
#: What an incoming id may look like: short, printable, no spaces or separators a log reader
#: could be fooled by.
SANE_ID = re.compile(r"[A-Za-z0-9._:@-]{8,64}")
#: The label for requests no route matched (a bounded label set, whatever is asked for).
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE_ID.fullmatch(text) else None
    return None


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that answered (``/needs/{need_id:id}``; API routes with their
    mount prefix), not the path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    mount = scope.get("root_path", "")[len(root_path) :]
    return f"{mount}{path}"


class ObserveMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or uuid.uuid4().hex
        token = logs.request_id.set(rid)
        root_path = scope.get("root_path", "")
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope, root_path)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            logs.request_id.reset(token)
