"""Invitations: an office asks a participant to look at one need; the participant's inbox
(docs/domain.md §3.11: "county officers see, for an unfunded need, the participants most
likely to fund it" — and can invite them).

Who may invite: the need's county officers, the provincial office of its province and the
national office (policy action ``invitation.send``, scoped by the need's place). Invitations go
only to public needs that still have money open.

**Nobody is spammed.** A participant receives at most :data:`WEEKLY_LIMIT` invitations in any
rolling :data:`WINDOW_DAYS` days, from all offices together, and never two for the same need.
The limit is checked and the invitation written in one transaction holding a lock on the
participant's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write transaction is
exclusive already), so concurrent invitations cannot overshoot it. Over the limit → a 409 with
the date the next invitation becomes possible, and nothing is written.

The API and the invite form hand these functions values their schemas have checked
(``fupin.matching.schemas``: ids are ids, the message is text of bounded length); the rules
here are the domain's own.

Every invitation is audit-logged in the same transaction (docs/domain.md §3.10), and so are the
participant's answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fupin.accounts.models import Participant
from fupin.core import audit, clock
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.core.policy import Actor, Scope, require
from fupin.db import transaction
from fupin.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from fupin.i18n import N_, _
from fupin.matching.models import INVITATION_RESPONSES, Invitation, NotForUs, office_label
from fupin.matching.schemas import MESSAGE_MAX
from fupin.money.models import Pledge
from fupin.needs.rules import effective_state
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope
from fupin.notify.service.inbox import notify_participant
from fupin.regions.models import Region

#: Invitations one participant may receive in any rolling window of WINDOW_DAYS days.
WEEKLY_LIMIT = 3
WINDOW_DAYS = 7

RESPONSE_LABELS = {"interested": N_("有意向"), "declined": N_("不适合我们")}
_ACTIVE_PLEDGES = ("pledged", "partially_paid", "honoured")


def window_start(now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(days=WINDOW_DAYS)


async def weekly_counts(
    participant_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, int]:
    """Invitations each participant received in the current rolling window."""
    if not participant_ids:
        return {}
    rows = await Invitation.filter(
        participant_id__in=list(participant_ids), created_at__gte=window_start(now)
    ).values_list("participant_id", flat=True)
    counts: dict[int, int] = {}
    for pid in rows:
        counts[pid] = counts.get(pid, 0) + 1
    return counts


async def invited_participants(need_id: int) -> set[int]:
    return set(await Invitation.filter(need_id=need_id).values_list("participant_id", flat=True))


async def invitations_for_need(actor: Actor | None, need_id: int) -> list[Invitation]:
    """What was sent for a need (for the offices that may see its likely donors)."""
    need = await get_need(actor, need_id, details=False)
    require(actor, "likely_donors.view", need_scope(need))
    return list(
        await Invitation.filter(need_id=need.id).order_by("-id").prefetch_related("participant")
    )


def _message_text(message: str) -> str:
    text = message.strip()
    if len(text) > MESSAGE_MAX:
        raise InvalidInput(
            _("留言最多 %(n)d 个字。", n=MESSAGE_MAX), field="message", code="too_long"
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidInput(_("留言含有不可见的控制字符。"), field="message")
    return text


async def send_invitation(
    actor: Actor | None,
    *,
    need_id: int,
    participant_id: int,
    message: str = "",
    now: datetime | None = None,
) -> Invitation:
    """Invite ``participant_id`` to consider the public, open need ``need_id``.

    Errors (nothing written): the need is not visible → 404; the actor's office does not cover
    the need's place → 403; the need is not open → 409; unknown participant → 422; already
    invited to this need → 409; weekly limit reached → 409 naming the date it frees up.
    """
    require(actor, "invitation.send")
    assert actor is not None
    need = await get_need(actor, need_id, details=False)
    require(actor, "invitation.send", need_scope(need))
    text = _message_text(message)
    today = today_cn()
    if effective_state(need.state, need.deadline, today) != "published" or need.open_fen <= 0:
        raise RuleViolation(
            _("只能邀请参与方关注已发布且仍有缺口的需求。"), code="need_not_open", field="need_id"
        )
    now = now or clock.now()
    region = await Region.get_or_none(code=actor.region_code) if actor.region_code else None
    async with transaction():
        participant = await Participant.filter(id=participant_id).select_for_update().first()
        if participant is None:
            raise InvalidInput(_("参与方不存在。"), field="participant_id", code="not_found")
        if await Invitation.exists(participant_id=participant.id, need_id=need.id):
            raise Conflict(
                _("已经邀请过该参与方关注这个需求。"),
                code="already_invited",
                field="participant_id",
            )
        if await NotForUs.exists(participant_id=participant.id, need_id=need.id):
            raise RuleViolation(
                _("该参与方已表示这个需求不适合他们。"), code="not_for_them", field="participant_id"
            )
        if await Pledge.exists(
            participant_id=participant.id, need_id=need.id, state__in=list(_ACTIVE_PLEDGES)
        ):
            raise RuleViolation(
                _("该参与方已经认捐了这个需求。"), code="already_pledged", field="participant_id"
            )
        recent = list(
            await Invitation.filter(
                participant_id=participant.id, created_at__gte=window_start(now)
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if len(recent) >= WEEKLY_LIMIT:
            frees = (recent[len(recent) - WEEKLY_LIMIT] + timedelta(days=WINDOW_DAYS)).astimezone(
                CHINA_TZ
            )
            raise RuleViolation(
                _(
                    "%(name)s 在 %(days)d 天内已收到 %(n)d 条邀请（上限 %(n)d 条），"
                    "%(date)s 后才能再邀请，以免打扰。",
                    name=participant.name,
                    days=WINDOW_DAYS,
                    n=WEEKLY_LIMIT,
                    date=frees.strftime("%Y-%m-%d %H:%M"),
                ),
                code="invitation_limit",
                field="participant_id",
            )
        invitation = await Invitation.create(
            sender_id=actor.user_id,
            sender_role=actor.role,
            sender_region_code=actor.region_code,
            sender_office=region.name if region else "",
            participant_id=participant.id,
            need_id=need.id,
            message=text,
            created_at=now,
        )
        await audit.record(
            actor=actor,
            action="invitation.send",
            object_type="invitation",
            object_id=invitation.id,
            after={
                "need_id": need.id,
                "participant_id": participant.id,
                "message": text,
            },
        )
        await notify_participant(
            participant.id,
            "invitation",
            params={
                "office": office_label(actor.role, region.name if region else ""),
                "need_title": need.title,
                "message": text,
            },
            link="/me/inbox",
        )
    return invitation


# --- the participant's inbox -------------------------------------------------------------------


def _own(actor: Actor | None) -> int:
    require(actor, "inbox.view")
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员才有邀请收件箱。"))
    require(actor, "inbox.view", Scope(participant_id=actor.participant_id))
    return actor.participant_id


@dataclass
class InboxPage:
    items: list[Invitation]
    total: int
    unread: int
    page: int
    per_page: int


async def inbox(
    actor: Actor | None, *, page: int = 1, per_page: int = 20, unread_only: bool = False
) -> InboxPage:
    participant_id = _own(actor)
    query = Invitation.filter(participant_id=participant_id)
    if unread_only:
        query = query.filter(read_at=None)
    total = await query.count()
    unread = await Invitation.filter(participant_id=participant_id, read_at=None).count()
    items = list(
        await query.order_by("-created_at", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("need")
    )
    return InboxPage(items=items, total=total, unread=unread, page=page, per_page=per_page)


async def unread_count(actor: Actor | None) -> int:
    participant_id = _own(actor)
    return await Invitation.filter(participant_id=participant_id, read_at=None).count()


async def _mine(participant_id: int, invitation_id: int) -> Invitation:
    invitation = (
        await Invitation.filter(id=invitation_id, participant_id=participant_id)
        .select_for_update()
        .first()
    )
    if invitation is None:  # someone else's invitation is "not found", not "forbidden"
        raise NotFound(_("邀请不存在。"), field="invitation_id")
    return invitation


async def mark_read(actor: Actor | None, invitation_id: int) -> Invitation:
    participant_id = _own(actor)
    async with transaction():
        invitation = await _mine(participant_id, invitation_id)
        if invitation.read_at is None:
            invitation.read_at = clock.now()
            await invitation.save(update_fields=["read_at"])
            await audit.record(
                actor=actor,
                action="invitation.read",
                object_type="invitation",
                object_id=invitation.id,
            )
    return invitation


async def respond(actor: Actor | None, invitation_id: int, response: Any) -> Invitation:
    """Answer an invitation: "interested" or "declined". Declining also marks the need "not
    for us", so the participant's recommendations learn from it."""
    participant_id = _own(actor)
    assert actor is not None
    if response not in INVITATION_RESPONSES:
        raise InvalidInput(
            _("回复只能是：%(v)s。", v=", ".join(INVITATION_RESPONSES)), field="response"
        )
    async with transaction():
        invitation = await _mine(participant_id, invitation_id)
        before = {"response": invitation.response}
        now = clock.now()
        invitation.response = response
        invitation.responded_at = now
        invitation.read_at = invitation.read_at or now
        await invitation.save(update_fields=["response", "responded_at", "read_at"])
        if response == "declined":
            await NotForUs.get_or_create(
                participant_id=participant_id,
                need_id=invitation.need_id,
                defaults={"reason": _("回复邀请：不适合"), "created_by_id": actor.user_id},
            )
        await audit.record(
            actor=actor,
            action="invitation.respond",
            object_type="invitation",
            object_id=invitation.id,
            before=before,
            after={"response": response},
        )
    return invitation


async def participant_name(participant_id: int) -> str:
    participant = await Participant.get_or_none(id=participant_id)
    return participant.name if participant else ""
