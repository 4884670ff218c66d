"""Money-creating calls answered once per ``Idempotency-Key`` (docs/domain.md §3.5).

A retry with the same key returns the first answer — the same status and body, plus the header
``Idempotent-Replayed: true`` — and records nothing again, even when the retries race; the same
key with a different body is a conflict (409). ``money.service.idempotency`` stores the first
answer in the transaction of the money change; here the answer is written as the endpoint's
response schema would write it, so the first answer and every replay are the same bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from fupin.core.endpoints import adapter
from fupin.core.policy import Actor
from fupin.money.schemas.common import IdempotencyHeaders
from fupin.money.service import idempotency

REPLAYED = "Idempotent-Replayed"


async def answer_once(
    *,
    actor: Actor,
    headers: IdempotencyHeaders,
    operation: str,
    body: BaseModel | None,
    status: int,
    response: Any,
    action: Callable[[], Awaitable[Any]],
) -> Response:
    """Run ``action`` once per key (or every time without one) and answer with what it returned
    as ``response`` (a schema) with ``status``. The body sent, as parsed, is what a retry must
    repeat (``operation`` names what it is for, with the object's id)."""
    schema = adapter(response)

    async def run() -> tuple[int, Any]:
        result = schema.validate_python(await action(), from_attributes=True)
        return status, schema.dump_python(result, mode="json")

    outcome = await idempotency.run_once(
        key=headers.idempotency_key,
        actor=actor,
        operation=operation,
        payload=body.model_dump(mode="json", exclude_unset=True) if body is not None else {},
        action=run,
    )
    answer = JSONResponse(outcome.body, status_code=outcome.status)
    if outcome.replayed:
        answer.headers[REPLAYED] = "true"
    return answer
