"""A need's history: one NeedEvent per step (who, from which state to which, why), and what
the audit log keeps of a need before and after a change."""

from __future__ import annotations

from typing import Any

from fupin.core.policy import Actor
from fupin.needs.models import NeedEvent

#: A need's fields as the audit log records them.
SNAPSHOT_FIELDS = (
    "region_id",
    "category",
    "title",
    "description",
    "target_fen",
    "beneficiary_households",
    "beneficiary_people",
    "deadline",
    "state",
    "external_ref",
)


def actor_fields(actor: Actor | None, label: str | None = None) -> dict[str, Any]:
    """Who made a step: the user and their role, or (no user) ``label`` — the system, an
    import — as both."""
    if actor is None:
        return {"actor_id": None, "actor_label": label or "system", "actor_role": label or "system"}
    return {"actor_id": actor.user_id, "actor_label": actor.username, "actor_role": actor.role}


async def record_event(
    need_id: int,
    action: str,
    from_state: str,
    to_state: str,
    actor: Actor | None,
    reason: str = "",
    *,
    label: str | None = None,
) -> NeedEvent:
    return await NeedEvent.create(
        need_id=need_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        **actor_fields(actor, label),
    )
