"""A donor's "not for us" marks (docs/domain.md §3.11): a public need waved off leaves the
donor's recommendations for good, and the needs like it (same category, same county) are
demoted (``fupin.matching.rules.ranking.dislikes_from_marks``). Marking is the donor's own
preference, written only for the participant the actor acts for, and audit-logged.
"""

from __future__ import annotations

from fupin.core import audit
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _
from fupin.matching.models import NotForUs
from fupin.matching.schemas import NOT_FOR_US_REASON_MAX
from fupin.matching.service.profiles import own_participant
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.needs.service.visibility import may_view


async def _public_need(actor: Actor | None, need_id: int) -> Need:
    need = await Need.get_or_none(id=need_id)
    if need is None or need.state not in PUBLIC_STATES or not may_view(actor, need):
        raise NotFound(_("需求不存在或尚未公开。"), field="need_id")
    return need


async def mark_not_for_us(actor: Actor | None, need_id: int, *, reason: str = "") -> NotForUs:
    """Remove a public need from the actor's recommendations and demote similar ones (same
    category in the same county). Marking twice keeps the first mark."""
    participant_id = own_participant(actor, "recommendations.view")
    assert actor is not None
    text = reason.strip()
    if len(text) > NOT_FOR_US_REASON_MAX:
        raise InvalidInput(
            _("理由最多 %(n)d 个字。", n=NOT_FOR_US_REASON_MAX), field="reason", code="too_long"
        )
    need = await _public_need(actor, need_id)
    async with transaction():
        existing = await NotForUs.get_or_none(participant_id=participant_id, need_id=need.id)
        if existing is not None:
            return existing
        mark = await NotForUs.create(
            participant_id=participant_id, need_id=need.id, reason=text, created_by_id=actor.user_id
        )
        await audit.record(
            actor=actor,
            action="recommendation.not_for_us",
            object_type="need",
            object_id=need.id,
            after={"participant_id": participant_id, "reason": text},
        )
    return mark


async def undo_not_for_us(actor: Actor | None, need_id: int) -> bool:
    """Take a mark back; True if there was one."""
    participant_id = own_participant(actor, "recommendations.view")
    async with transaction():
        mark = await NotForUs.get_or_none(participant_id=participant_id, need_id=need_id)
        if mark is None:
            return False
        await mark.delete()
        await audit.record(
            actor=actor,
            action="recommendation.not_for_us_undone",
            object_type="need",
            object_id=need_id,
            before={"participant_id": participant_id, "reason": mark.reason},
        )
    return True


async def my_marks(actor: Actor | None, *, limit: int = 50) -> list[NotForUs]:
    participant_id = own_participant(actor, "recommendations.view")
    return list(
        await NotForUs.filter(participant_id=participant_id)
        .order_by("-id")
        .limit(limit)
        .prefetch_related("need")
    )
