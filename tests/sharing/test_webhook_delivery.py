"""Webhook deliveries with real receivers on 127.0.0.1: one that accepts (docs/webhooks.md's
standard-library example, run as written), one that fails with 500, one that hangs past the
timeout. Signed deliveries, the log, backoff, give-up, disabling with a notice, redelivery by
hand; the example refuses a replayed, a tampered and a stale delivery; the queue is claimed
once by concurrent workers and outlives the process that queued it (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fupin import REPO_ROOT
from fupin.core import clock
from fupin.core.models import AuditLog
from fupin.notify.models import Notification
from fupin.settings import Settings
from fupin.sharing.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fupin.sharing.rules import events as rules
from fupin.sharing.service import deliveries
from fupin.sharing.service import endpoints as webhooks
from tests.money.support import actor
from tests.sharing.receivers import serve
from tests.sharing.support import published_need

TIMEOUT = 1.0
#: The hanging receiver answers only after this long.
HANG_SECONDS = 10.0


async def _endpoint(world: Any, url: str, **options: Any) -> tuple[WebhookEndpoint, str]:
    officer = await actor(world, "county_officer")
    data = webhooks.EndpointInput(
        url, "", options.pop("event_types", ["need.published"]), **options
    )
    return await webhooks.create(officer, data, allow_loopback=True)


async def _send(db: Settings) -> int:
    await deliveries.scan_events(db.base_url)
    return await deliveries.deliver_due(timeout=TIMEOUT, allow_loopback=True)


@pytest.mark.both_databases
async def test_real_receivers_one_accepts_one_fails_one_hangs(world: Any, db: Settings) -> None:
    await deliveries.scan_events(db.base_url)  # the scan starts from now
    with serve("fail") as failing, serve("hang", hang_seconds=HANG_SECONDS) as hanging:
        ok_endpoint, secret = await _endpoint(world, "http://127.0.0.1:1/placeholder")
        with serve("example", secret=secret) as good:
            await WebhookEndpoint.filter(id=ok_endpoint.id).update(url=good.url)
            bad_endpoint, _ = await _endpoint(world, failing.url)
            slow_endpoint, _ = await _endpoint(world, hanging.url)
            elsewhere, _ = await _endpoint(world, good.url, place_code="513431")
            need = await published_need(world, "石门村饮水工程")
            assert await _send(db) == 3, "one delivery per interested endpoint"

            # The example accepted it: signed, the documented headers, the event inside.
            [got] = good.requests
            assert got.status == 204
            assert got.headers["Fupin-Event"] == "need.published"
            assert got.headers["Content-Type"] == "application/json; charset=utf-8"
            [event] = good.events
            assert event["type"] == "need.published" and event["data"]["need"]["id"] == need.id
            assert event["data"]["need"]["url"].endswith(f"/needs/{need.id}")
            assert json.loads(got.body) == event
            delivered = await WebhookDelivery.get(endpoint_id=ok_endpoint.id)
            assert delivered.state == "delivered" and delivered.last_status_code == 204
            assert got.headers["Fupin-Delivery"] == str(delivered.id)
            assert not await WebhookDelivery.exists(endpoint_id=elsewhere.id), "place filter"

            # The failing and the hanging one wait for their backoff, logged.
            now = clock.now()
            for endpoint, status, error in (
                (bad_endpoint, 500, "500"),
                (slow_endpoint, None, "超时"),
            ):
                row = await WebhookDelivery.get(endpoint_id=endpoint.id)
                assert row.state == "pending" and row.attempts == 1
                assert row.last_status_code == status and error in row.last_error
                wait = (row.next_attempt_at - now).total_seconds()
                assert rules.BACKOFF_BASE_SECONDS - 5 < wait <= rules.BACKOFF_BASE_SECONDS
                [log] = await WebhookAttempt.filter(delivery_id=row.id)
                assert log.status_code == status and error in log.error
            assert len(failing.requests) == 1 and len(hanging.requests) == 1
            slow_log = await WebhookAttempt.get(delivery__endpoint_id=slow_endpoint.id)
            # given up at the timeout, long before the receiver would have answered
            assert TIMEOUT * 1000 * 0.9 <= slow_log.duration_ms < HANG_SECONDS * 1000 * 0.8

            # Nothing is sent twice: the failures are not due yet, the success is done.
            assert await _send(db) == 0
            assert len(good.requests) == 1

            # Replayed as it was: the example refuses it. Tampered: refused. Stale: refused.
            async with httpx.AsyncClient() as http:
                replay = await http.post(good.url, content=got.body, headers=got.resent_headers())
                assert replay.status_code == 400 and "replayed" in replay.text
                tampered_body = got.body.replace(b"need.published", b"need.funded")
                tampered = await http.post(
                    good.url, content=tampered_body, headers=got.resent_headers()
                )
                assert tampered.status_code == 400 and "signature" in tampered.text
            assert len(good.events) == 1, "nothing refused reached the receiver's work"
            from tests.sharing.receivers import receiver_example

            example = receiver_example()
            stamp = int(got.headers["Fupin-Signature"].split(",")[0].removeprefix("t="))
            with pytest.raises(example.Refused, match="too old"):
                example.verify(secret, got.headers["Fupin-Signature"], got.body, now=stamp + 301)

            # Redelivery by hand: signed anew, so the example takes it (same event id). The
            # signature's timestamp is in whole seconds: a redelivery in the very second of the
            # first delivery would carry the same signature, which the example rightly refuses
            # as a replay — a person's redelivery is never that fast, this test can be.
            while int(clock.now().timestamp()) <= stamp:
                await asyncio.sleep(0.05)
            officer = await actor(world, "county_officer")
            await webhooks.redeliver(officer, ok_endpoint.id, delivered.id)
            assert await _send(db) == 1
            assert [e["id"] for e in good.events] == [event["id"], event["id"]]
            assert good.requests[-1].headers["Fupin-Signature"] != got.headers["Fupin-Signature"]
            assert await AuditLog.exists(action="webhook.redeliver", object_id=str(delivered.id))
            from fupin.errors import Conflict

            await WebhookDelivery.filter(id=delivered.id).update(state="pending")
            with pytest.raises(Conflict):
                await webhooks.redeliver(officer, ok_endpoint.id, delivered.id)


@pytest.mark.both_databases
async def test_a_delivery_is_given_up_after_its_tries_and_an_endpoint_failing_on_is_disabled(
    world: Any, db: Settings
) -> None:
    await deliveries.scan_events(db.base_url)
    with serve("fail") as failing:
        endpoint, _ = await _endpoint(world, failing.url)
        await published_need(world, "石门村饮水工程")
        await published_need(world, "石门村道路工程", category="roads")
        assert await _send(db) == 2
        first, second = await WebhookDelivery.filter(endpoint_id=endpoint.id).order_by("id")
        # the last try of the first delivery: given up
        await WebhookDelivery.filter(id=first.id).update(
            attempts=rules.MAX_ATTEMPTS - 1, next_attempt_at=None
        )
        assert await deliveries.deliver_due(timeout=TIMEOUT, allow_loopback=True) == 1
        assert (await WebhookDelivery.get(id=first.id)).state == "failed"
        # the endpoint's failures in a row reach the limit: disabled, with a notice
        await WebhookEndpoint.filter(id=endpoint.id).update(
            consecutive_failures=rules.DISABLE_AFTER_FAILURES - 1
        )
        await WebhookDelivery.filter(id=second.id).update(next_attempt_at=None)
        assert await deliveries.deliver_due(timeout=TIMEOUT, allow_loopback=True) == 1
        disabled = await WebhookEndpoint.get(id=endpoint.id)
        assert not disabled.active and disabled.disabled_at is not None
        assert "停用" in disabled.disabled_reason and "500" in disabled.disabled_reason
        assert await AuditLog.exists(action="webhook.disable", object_id=str(endpoint.id))
        # the owner (the county office) is told, with a link to the endpoint
        [notice] = await Notification.filter(kind="webhook_disabled")
        assert notice.user_id == world.users["county_officer"].id
        assert notice.link == f"/webhooks/{endpoint.id}" and failing.url in notice.params["url"]
        # its waiting deliveries are not sent while it is disabled ...
        await WebhookDelivery.filter(id=second.id).update(next_attempt_at=None)
        assert await deliveries.deliver_due(timeout=TIMEOUT, allow_loopback=True) == 0
        # ... and go out again when its owner resumes it
        officer = await actor(world, "county_officer")
        resumed = await webhooks.set_active(officer, endpoint.id, True)
        assert resumed.consecutive_failures == 0 and resumed.disabled_reason == ""
        assert await deliveries.deliver_due(timeout=TIMEOUT, allow_loopback=True) == 1


async def test_the_owner_reads_the_notice_and_the_log_on_the_page(
    client_as: Any, world: Any, db: Settings
) -> None:
    await deliveries.scan_events(db.base_url)
    with serve("fail") as failing:
        endpoint, _ = await _endpoint(world, failing.url)
        await WebhookEndpoint.filter(id=endpoint.id).update(
            consecutive_failures=rules.DISABLE_AFTER_FAILURES - 1
        )
        await published_need(world, "石门村饮水工程")
        await _send(db)
    page = await client_as("county_officer").get(f"/webhooks/{endpoint.id}")
    assert page.status_code == 200
    assert "平台已停用此接收地址" in page.text
    delivery = await WebhookDelivery.get(endpoint_id=endpoint.id)
    log = await client_as("county_officer").get(
        f"/api/v1/webhooks/{endpoint.id}/deliveries/{delivery.id}"
    )
    assert log.status_code == 200
    assert log.json()["log"][0]["status_code"] == 500
    listed = await client_as("county_officer").get(f"/api/v1/webhooks/{endpoint.id}/deliveries")
    assert listed.json()["items"][0]["event_type"] == "need.published"
    shown = await client_as("county_officer").get(f"/api/v1/webhooks/{endpoint.id}")
    assert shown.json()["active"] is False and shown.json()["disabled_reason"]


async def _queue(endpoint_id: int, n: int) -> None:
    for i in range(n):
        event = await WebhookEvent.create(
            key=f"test:{i}", type="need.published", occurred_at=clock.now()
        )
        await WebhookDelivery.create(endpoint_id=endpoint_id, event_id=event.id)


@pytest.mark.both_databases
async def test_concurrent_workers_never_claim_one_delivery_twice(world: Any, db: Settings) -> None:
    endpoint, _ = await _endpoint(world, "http://127.0.0.1:9/x")
    await _queue(endpoint.id, 60)
    claimed: list[int] = []

    async def worker() -> None:
        for _ in range(40):
            rows = await deliveries.claim_due(7, lease_seconds=60)
            if not rows:
                return
            claimed.extend(r.id for r in rows)

    await asyncio.gather(*(worker() for _ in range(4)))
    assert len(claimed) == 60 and len(set(claimed)) == 60, "a delivery was claimed twice"
    assert await deliveries.claim_due(10, lease_seconds=60) == []


@pytest.mark.both_databases
async def test_a_worker_that_died_leaves_its_deliveries_to_the_next(
    world: Any, db: Settings
) -> None:
    endpoint, _ = await _endpoint(world, "http://127.0.0.1:9/x")
    await _queue(endpoint.id, 3)
    first = await deliveries.claim_due(10, lease_seconds=0.3)
    assert len(first) == 3
    assert await deliveries.claim_due(10, lease_seconds=60) == [], "leased"
    await asyncio.sleep(0.4)
    again = await deliveries.claim_due(10, lease_seconds=60)
    assert [r.id for r in again] == [r.id for r in first]


FUPIN = str(Path(sys.executable).parent / "fupin")


@pytest.mark.both_databases
async def test_queued_deliveries_are_sent_by_another_process(world: Any, db: Settings) -> None:
    """What one process queued, `fupin webhooks send` in another one sends (the queue is the
    database, not memory)."""
    await deliveries.scan_events(db.base_url)
    endpoint, secret = await _endpoint(world, "http://127.0.0.1:1/placeholder")
    with serve("example", secret=secret) as good:
        await WebhookEndpoint.filter(id=endpoint.id).update(url=good.url)
        await published_need(world, "石门村饮水工程")
        assert await deliveries.scan_events(db.base_url) == 1  # queued here, not sent
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
        env.update(
            {
                "FUPIN_DATABASE_URL": db.database_url,
                "FUPIN_VAR_DIR": str(db.var_dir),
                "FUPIN_ENV": "test",
                "FUPIN_WEBHOOK_ALLOW_LOOPBACK": "true",
                "PYTHONPATH": str(REPO_ROOT / "platform"),
            }
        )
        result = await asyncio.to_thread(
            subprocess.run,
            [FUPIN, "webhooks", "send"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 deliveries tried" in result.stdout
        assert [e["type"] for e in good.events] == ["need.published"]
    assert (await WebhookDelivery.get(endpoint_id=endpoint.id)).state == "delivered"


async def test_old_deliveries_and_events_are_purged(world: Any, db: Settings) -> None:
    endpoint, _ = await _endpoint(world, "http://127.0.0.1:9/x")
    await _queue(endpoint.id, 2)
    old = clock.now() - deliveries.KEEP_DONE - timedelta(days=1)
    first = await WebhookDelivery.filter(endpoint_id=endpoint.id).order_by("id").first()
    assert first is not None
    await WebhookDelivery.filter(id=first.id).update(state="delivered", created_at=old)
    await WebhookEvent.all().update(created_at=old)
    assert await deliveries.purge_old() == 1
    assert await WebhookDelivery.all().count() == 1
    assert await WebhookEvent.all().count() == 1, "the event still waited for is kept"
