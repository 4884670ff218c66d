"""The accounts side of the two-person rules (``fupin.core.duties``): who an account is and who
created it, read from ``User.created_by_id``, for the areas whose acts need two people (the
need's delivery ↔ receipt confirmation; docs/security.md "Separation of duties")."""

from __future__ import annotations

from fupin.accounts.models import User
from fupin.core.duties import Person, independent
from fupin.core.policy import Actor


async def people(*user_ids: int) -> dict[int, Person]:
    """The accounts among ``user_ids`` that still exist, as ``Person``."""
    rows = await User.filter(id__in=list(user_ids)).values_list("id", "created_by_id")
    return {uid: Person(uid, creator) for uid, creator in rows}


async def independent_of(actor: Actor, performer_id: int | None) -> bool:
    """Whether ``actor`` is a second person to the account that performed the earlier act.
    Nothing to compare (the earlier act was the system's, or its account was deleted): True."""
    if performer_id is None:
        return True
    if performer_id == actor.user_id:
        return False
    found = await people(actor.user_id, performer_id)
    me, other = found.get(actor.user_id), found.get(performer_id)
    if me is None or other is None:
        return me is None or me.created_by_id != performer_id
    return independent(me, other)
