"""Idempotency-Key: a retried money request returns its first result and never records twice
(docs/domain.md §3.5), even when the retries race each other.

How it holds under concurrency: the whole request runs in one transaction that first inserts an
``IdempotencyRecord`` for (key, actor) inside a savepoint. The unique constraint lets exactly one
request insert it; on PostgreSQL a racing insert of the same key waits for the first transaction
and then fails (docs/stack.md §4: the savepoint keeps the transaction usable after the caught
IntegrityError), on SQLite the write transactions are serialised (BEGIN IMMEDIATE). The loser
then reads the committed record and replays its status and body. The record is stored in the
same transaction as the money change, so a crash leaves either both or neither.

Only successful results are stored: a refused request wrote nothing, so its retry is simply
evaluated again (it may succeed once the obstacle is gone).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from fupin.core import clock
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import Conflict, InvalidInput
from fupin.i18n import _
from fupin.money.models import IdempotencyRecord
from fupin.money.rules.idempotency import CODE, HEADER, key_problem

#: Records older than this are purged; a retry a week later is treated as a new request.
RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool


def validate_key(raw: str | None, *, field: str = HEADER) -> str | None:
    """The key, or None when none was sent. A malformed key is refused (HTTP 422 naming it)."""
    if raw is None:
        return None
    if (problem := key_problem(raw, field=field)) is not None:
        raise InvalidInput(problem, field=field, code=CODE)
    return raw


def fingerprint(operation: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 of the operation and its parsed input: the same key with other input is refused."""
    text = json.dumps(
        {"operation": operation, "payload": payload},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(record: IdempotencyRecord, operation: str, digest: str) -> Outcome:
    if record.operation != operation or record.fingerprint != digest:
        raise Conflict(
            _("该 %(field)s 已用于另一个不同的请求，请为新请求生成新的键。", field=HEADER),
            code="idempotency_key_reused",
            field=HEADER,
        )
    return Outcome(record.status_code, json.loads(record.response_body or "null"), True)


async def run_once(
    *,
    key: str | None,
    actor: Actor,
    operation: str,
    payload: Mapping[str, Any],
    action: Callable[[], Awaitable[tuple[int, Any]]],
) -> Outcome:
    """Run ``action`` (which returns status and a JSON-able body) at most once per key and actor.

    ``action`` may open its own ``transaction()``: nested, it becomes a savepoint of this one.
    """
    if key is None:
        status, body = await action()
        return Outcome(status, body, False)
    actor_key = f"user:{actor.user_id}"
    digest = fingerprint(operation, payload)
    async with transaction():
        existing = await IdempotencyRecord.get_or_none(key=key, actor_key=actor_key)
        if existing is not None:
            return _replay(existing, operation, digest)
        try:
            async with transaction():  # savepoint: a duplicate key must not abort the transaction
                record = await IdempotencyRecord.create(
                    key=key, actor_key=actor_key, operation=operation, fingerprint=digest
                )
        except IntegrityError:
            winner = await IdempotencyRecord.get(key=key, actor_key=actor_key)
            return _replay(winner, operation, digest)
        status, body = await action()
        record.status_code = status
        record.response_body = json.dumps(body, ensure_ascii=False, default=str)
        await record.save(update_fields=["status_code", "response_body"])
        return Outcome(status, body, False)


async def purge_expired(now: datetime | None = None) -> int:
    """Delete records past the retention period; returns how many."""
    cutoff = (now or clock.now()) - RETENTION
    return await IdempotencyRecord.filter(created_at__lt=cutoff).delete()
