"""The notification outbox drained by real `fupin worker` processes against a real SMTP server
on loopback: two workers share a queue without sending anything twice; a worker killed
mid-batch sends nothing twice and its unstarted claim goes back after the lease; a worker told
to stop (SIGTERM) finishes the message in hand and gives the rest back at once."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from fupin.core import clock
from fupin.db import transaction
from fupin.notify.models import DeliveryAttempt, NotificationDelivery, NotificationPreference
from fupin.notify.service import inbox as notifications
from fupin.notify.service.outbox import drain_once
from tests.notify.test_notifications import mailer
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = [pytest.mark.both_databases, pytest.mark.slow]

FUPIN = str(Path(sys.executable).parent / "fupin")


def worker_env(settings, server: SmtpServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_SECRET_KEY="worker-test-secret-key-0123456789-abcdefghijkl",
        FUPIN_VAR_DIR=str(settings.var_dir),
        FUPIN_BASE_URL="https://fupin.example",
        **server.env(),
    )
    return env


def start_worker(settings, server: SmtpServer) -> subprocess.Popen[bytes]:
    """A `fupin worker`, returned once its loops run."""
    process = subprocess.Popen(
        [FUPIN, "worker"],
        cwd=REPO_ROOT,
        env=worker_env(settings, server),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    while b"worker running" not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            line = process.stderr.readline()
            assert line, f"worker exited: {seen.decode(errors='replace')}"
            seen += line
    return process


async def queue(world, n: int) -> list[int]:
    """``n`` notifications for one user who wants e-mail, committed at once."""
    user = world.users["participant_member"]
    await NotificationPreference.create(user_id=user.id, email="donor@example.org")
    async with transaction():
        for i in range(n):
            await notifications.notify(
                "complaint_status",
                user_ids=[user.id],
                params={"subject": f"第 {i} 件", "status": "已办结"},
            )
    return list(await NotificationDelivery.all().order_by("id").values_list("id", flat=True))


async def wait_for(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def received_ids(server: SmtpServer) -> Counter[int]:
    """Delivery id of each message the server took (from its Message-ID)."""
    return Counter(
        int(r.message_id.split("fupin-delivery-")[1].split("@")[0]) for r in server.received
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


async def test_two_workers_share_the_queue_and_send_each_message_once(db, world) -> None:
    with smtp_server(delay=0.2) as server:
        workers = [start_worker(db, server), start_worker(db, server)]
        try:
            ids = await queue(world, 30)
            await wait_for(lambda: server.count() >= 30)
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
        finally:
            codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    assert received_ids(server) == Counter(ids)  # every one, once
    assert set(await NotificationDelivery.all().values_list("state", flat=True)) == {"sent"}
    by_worker = Counter(await DeliveryAttempt.all().values_list("worker", flat=True))
    assert len(by_worker) == 2, by_worker  # both took part


async def test_a_killed_worker_sends_nothing_twice_and_its_claim_comes_back(db, world) -> None:
    with smtp_server(delay=0.5) as server:
        ids = await queue(world, 10)
        worker = start_worker(db, server)
        await wait_for(lambda: server.count() >= 3)
        worker.kill()  # SIGKILL: no chance to tidy up
        worker.wait(timeout=30)
        taken = server.count()
        rows = await NotificationDelivery.all()
        assert {r.state for r in rows} <= {"sent", "sending", "pending"}
        assert sum(r.state == "pending" for r in rows) >= len(ids) - taken - 1
        # the dead worker's claim holds until its lease runs out ...
        assert await drain_once("other", mailer(db, server), base_url="https://x") == 0
        # ... after which another worker sends the rest
        await NotificationDelivery.filter(lease_until__isnull=False).update(
            lease_until=clock.now() - timedelta(seconds=1)
        )
        while await drain_once("other", mailer(db, server), base_url="https://x"):
            pass
    got = received_ids(server)
    assert max(got.values()) == 1  # nothing twice
    rows = {r.id: r for r in await NotificationDelivery.all()}
    interrupted = [i for i, r in rows.items() if r.state == "failed"]
    assert len(interrupted) <= 1  # at most the one message in hand when it died
    assert all(rows[i].state == "sent" for i in ids if i not in interrupted)
    assert {i for i in ids if rows[i].state == "sent"} <= set(got)
    if interrupted:
        outcomes = await DeliveryAttempt.filter(delivery_id=interrupted[0]).values_list(
            "outcome", flat=True
        )
        assert outcomes == ["interrupted"]


async def test_sigterm_finishes_the_message_in_hand_and_releases_the_rest(db, world) -> None:
    with smtp_server(delay=0.5) as server:
        ids = await queue(world, 10)
        worker = start_worker(db, server)
        await wait_for(lambda: server.count() >= 2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        taken = server.count()
        rows = await NotificationDelivery.all()
        assert sum(r.state == "sent" for r in rows) == taken  # the one in hand was finished
        assert not [r for r in rows if r.state == "sending"]
        # the rest were given back at once: no lease to wait for
        assert all(r.lease_until is None for r in rows if r.state == "pending")
        assert (
            await drain_once("other", mailer(db, server), base_url="https://x") == len(ids) - taken
        )
    assert received_ids(server) == Counter(ids)  # all of them, once each
    assert set(await DeliveryAttempt.all().values_list("outcome", flat=True)) == {"sent"}
