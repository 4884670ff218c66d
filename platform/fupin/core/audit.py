"""Writing the audit log (docs/domain.md §3.10: every write — who, when, what, before/after).

Call ``record`` inside the same transaction as the write it describes, so a rolled-back write
leaves no audit row and a committed one always has its row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fupin.core.models import AuditLog
from fupin.core.policy import Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


async def record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str = "",
    actor_label: str | None = None,
) -> AuditLog:
    return await AuditLog.create(
        actor_id=actor.user_id if actor else None,
        actor_label=actor_label or (actor.username if actor else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip=ip,
    )
