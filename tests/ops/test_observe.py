"""Request ids, the access log, /metrics and /readyz (docs/operations.md)."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from fupin.app import create_app
from fupin.core.logs import JsonFormatter
from fupin.money.service import pledges
from tests.money.support import build_money, due


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


async def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(client) -> None:
    made = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    for bad in (
        b"short",
        b"has space in it",
        b"x" * 65,
        b"evil\xc3\xa9value123",
        b"a\x00bcdefghij",
    ):
        replaced = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["X-Request-ID"]


async def test_the_access_log_is_json_with_the_route_template_and_nothing_personal(client) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fupin.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        answer = await client.get("/api/v1/needs", params={"q": "张三 13800000000"})
        await client.get("/regions/532627")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0] == {
        **lines[0],
        "msg": "request",
        "method": "GET",
        "route": "/api/v1/needs",
        "status": answer.status_code,
        "request_id": answer.headers["X-Request-ID"],
    }
    assert lines[1]["route"] == "/regions/{code:region}"
    assert "张三" not in stream.getvalue() and "138000" not in stream.getvalue()


async def test_metrics_count_routes_money_and_queues(client, world) -> None:
    m = await build_money(world)
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=100, due_date=due())
    await client.get(f"/needs/{m.need.id}")
    text = (await client.get("/metrics")).text
    assert _sample(
        text, "fupin_http_requests_total", method="GET", route="/needs/{need_id:id}", status="200"
    )
    assert _sample(text, "fupin_http_request_duration_seconds_count", route="/needs/{need_id:id}")
    assert _sample(text, "fupin_money_events_total", kind="pledge_made")
    # the need's change waits in the search outbox (no worker runs in tests)
    assert _sample(text, "fupin_queue_pending", queue="search") >= 1
    assert _sample(text, "fupin_queue_pending", queue="notifications") == 0
    assert _sample(text, "fupin_queue_oldest_age_seconds", queue="search") >= 0
    assert _sample(text, "fupin_db_pool_connections", state="max") >= 1
    assert "/needs/" + str(m.need.id) not in text  # templates, never paths


async def test_metrics_are_not_for_everyone(db) -> None:
    async def get(app, client_host: str, **headers: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return (await c.get("/metrics", headers=headers)).status_code

    app = create_app(db, manage_database=False)
    async with LifespanManager(app):
        assert await get(app, "127.0.0.1") == 200
        assert await get(app, "10.1.2.3") == 200  # the compose network, a Prometheus beside it
        assert await get(app, "8.8.8.8") == 404
    secured = create_app(db.replace(metrics_token="m" * 40), manage_database=False)
    async with LifespanManager(secured):
        assert await get(secured, "127.0.0.1") == 404
        assert await get(secured, "8.8.8.8", authorization="Bearer wrong") == 404
        assert await get(secured, "8.8.8.8", authorization="Bearer " + "m" * 40) == 200


@pytest.mark.both_databases
async def test_readyz_checks_the_database_and_the_search_engine(app, client) -> None:
    ok = await client.get("/readyz")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok", "checks": {"database": "ok", "search": "ok"}}
    search = app.state.search
    app.state.search = None
    try:
        down = await client.get("/readyz")
    finally:
        app.state.search = search
    assert down.status_code == 503
    assert down.json()["checks"] == {"database": "ok", "search": "failed"}
    assert (await client.get("/healthz")).json() == {"status": "ok"}
