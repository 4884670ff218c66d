"""Idempotency records are kept for one retention period, then purged by a registered worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fupin import background
from fupin.money.models import IdempotencyRecord
from fupin.money.service import idempotency


@pytest.mark.both_databases
async def test_records_past_retention_are_purged_and_younger_ones_kept(db) -> None:
    old = await IdempotencyRecord.create(
        key="old-key-0001", actor_key="user:1", operation="pledge.create", fingerprint="a"
    )
    young = await IdempotencyRecord.create(
        key="young-key-0002", actor_key="user:1", operation="pledge.create", fingerprint="b"
    )
    now = datetime.now(UTC)
    await IdempotencyRecord.filter(id=old.id).update(
        created_at=now - idempotency.RETENTION - timedelta(minutes=1)
    )
    await IdempotencyRecord.filter(id=young.id).update(
        created_at=now - idempotency.RETENTION + timedelta(minutes=1)
    )

    assert await idempotency.purge_expired(now) == 1
    assert [r.key for r in await IdempotencyRecord.all()] == ["young-key-0002"]


def test_every_sweep_names_a_function_that_exists() -> None:
    jobs = {s.job for s in background.SWEEPS}
    assert "fupin.money.service.idempotency:purge_expired" in jobs
    for sweep in background.SWEEPS:
        assert callable(background._resolve(sweep.job)) and sweep.every_seconds > 0
