"""Pledges: promise, amend, withdraw, lapse, instalments (docs/domain.md §3.5).

No over-pledging: the need's ``pledged_fen`` is raised only by one conditional UPDATE

    UPDATE need SET pledged_fen = pledged_fen + :amount
     WHERE id = :id AND state IN ('published', 'funded') AND pledged_fen <= target_fen - :amount

which the database evaluates atomically per row (docs/stack.md §4: exact on SQLite and PostgreSQL under
200 concurrent pledgers, where read-check-write lost updates on PostgreSQL). Zero rows updated
means the pledge would overshoot: it is refused with the amount still open, and nothing is
written. Every event writes, in the same transaction, the pledge row, a PledgeEvent (history), a
ledger entry, an audit row and a search-outbox row, then lets the needs service move the need
between published and funded.

Lock order everywhere in the money services (deadlock freedom on PostgreSQL):
donation → pledge → need → receipt counter → ledger head.

One module for a pledge's whole life, past 800 lines: its use cases share the private helpers
(``_replace_schedule``, ``_close_unpaid``, ``_split_donor``, ``_check_cap``). The part that
stands apart is the hourly sweeps (``lapse_pledge``, ``lapse_overdue``, ``remind_due``); moving
them to a module of their own is the split to make when this one grows again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import RawSQL

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service.participants import set_commendation_consent
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.core.policy import Actor, Scope, can, require
from fupin.db import transaction
from fupin.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied, RuleViolation
from fupin.i18n import N_, _
from fupin.money.models import Instalment, Pledge, PledgeEvent, RecipientOrg
from fupin.money.rules.caps import (
    PAIR_HELPER_KINDS,
    PledgeCaps,
    check_cap,
    check_due_by_deadline,
    pledge_cap,
)
from fupin.money.rules.schedules import (
    InstalmentSpec,
    check_amount,
    check_schedule,
    schedule_json,
)
from fupin.money.rules.states import (
    ACTIVE_PLEDGE_STATES,
    OPEN_PLEDGE_STATES,
    PLEDGE_MACHINE,
    PledgeFacts,
)
from fupin.money.service import rollups
from fupin.money.service.readers import View, may_see_donor, seen
from fupin.money.service.unit import MoneyChange, money_change
from fupin.needs.models import Need
from fupin.notify.rules import REMINDER_DAYS
from fupin.notify.service.inbox import notify_participant
from fupin.settings import Settings

#: Needs that accept new or larger pledges (docs/domain.md §3.4: only published needs are public;
#: a funded need can still take a pledge once a withdrawal has freed an amount).
PLEDGEABLE_NEED_STATES = ("published", "funded")

PLEDGE_EVENT_LABELS = {
    "made": N_("认捐"),
    "amended": N_("修改"),
    "withdrawn": N_("撤回"),
    "lapsed": N_("逾期失效"),
    "paid": N_("到账"),
    "payment_reversed": N_("到账冲正"),
    "released": N_("县扶贫办释放"),
}

# --- schedules --------------------------------------------------------------------------------


async def _replace_schedule(
    pledge: Pledge, schedule: Sequence[InstalmentSpec], *, new: bool = False
) -> None:
    """The pledge's instalments become ``schedule`` (a ``new`` pledge has none to delete)."""
    if not new:
        await Instalment.filter(pledge_id=pledge.id).delete()
    if schedule:
        await Instalment.bulk_create(
            [
                Instalment(
                    pledge_id=pledge.id, number=i, due_date=s.due_date, amount_fen=s.amount_fen
                )
                for i, s in enumerate(schedule, start=1)
            ]
        )


# --- permissions --------------------------------------------------------------------------------


def pledge_scope(pledge: Pledge, need: Need) -> Scope:
    return Scope(
        region_code=need.region_id,
        county_code=need.county_code,
        province_code=need.province_code,
        participant_id=pledge.participant_id,
    )


async def get_pledge(pledge_id: int) -> Pledge:
    pledge = await Pledge.get_or_none(id=pledge_id).prefetch_related("need", "participant")
    if pledge is None:
        raise NotFound(_("认捐不存在。"), field="pledge_id")
    return pledge


async def get_pledge_for(actor: Actor | None, pledge_id: int) -> Pledge:
    """A pledge the actor may see in full (the donor's members, the offices, the county)."""
    pledge = await get_pledge(pledge_id)
    require(actor, "pledge.view", pledge_scope(pledge, pledge.need))
    return pledge


def _donor_fields(participant: Participant) -> dict[str, Any]:
    return {"donor_id": participant.id, "donor_name": participant.name}


def _split_donor(
    anonymous: bool, participant: Participant
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Public and private ledger fields for the donor: an anonymous donor's identity becomes a
    commitment (docs/domain.md §3.7), so the public ledger carries no name and no participant id."""
    donor = _donor_fields(participant)
    return ({}, donor) if anonymous else (donor, {})


# --- use cases ----------------------------------------------------------------------------------


async def _default_recipient(need: Need) -> RecipientOrg | None:
    """The county government body of the need's county, the usual channel (docs/rules.md §1.1)."""
    return (
        await RecipientOrg.filter(kind="government", region_id=need.county_code)
        .order_by("id")
        .first()
    )


#: ``_default_recipient``'s id as a column of the need's own row: a pledge reads the need and
#: its usual channel in one statement
DEFAULT_RECIPIENT_ID = RawSQL(
    "(SELECT r.id FROM recipient_org r WHERE r.kind = 'government' "
    'AND r.region_id = "need"."county_code" ORDER BY r.id LIMIT 1)'
)


def payment_reference(pledge: Pledge) -> str:
    """What the donor writes in the transfer's remark (附言) so the recipient matches the money to
    the pledge: shown on the pledge page and next to the pledge in the recipient's inbox. Short
    and ASCII, as banks' remark fields are."""
    return f"FP-P{pledge.id}"


async def default_recipient(need: Need) -> RecipientOrg | None:
    """The organisation a pledge without a chosen recipient is routed to."""
    return await _default_recipient(need)


def recipient_covers(org: RecipientOrg, need: Need) -> bool:
    """May this organisation receive money for this need? A government body only for needs in
    the area it governs; a public-welfare organisation for any need."""
    if org.kind != "government":
        return True
    code = org.region_id or ""
    return code in (need.county_code, need.province_code) or (
        len(code) == 6 and code.endswith("00") and need.county_code.startswith(code[:4])
    )


async def _check_pair(pair_id: int | None, need: Need, today: date) -> Pair | None:
    if pair_id is None:
        return None
    pair = await Pair.get_or_none(id=pair_id)
    if pair is None:
        raise InvalidInput(_("结对关系不存在。"), field="pair_id", code="not_found")
    if pair.end_year is not None and pair.end_year < today.year:
        raise InvalidInput(_("该结对关系已经结束，不能再归属认捐。"), field="pair_id")
    helped = pair.helped_region_id
    if helped not in (need.county_code, need.province_code) and not (
        helped.endswith("00") and need.county_code.startswith(helped[:4])
    ):
        raise InvalidInput(_("该需求不在此结对关系的帮扶地区内。"), field="pair_id")
    return pair


def caps_from(settings: Settings) -> PledgeCaps:
    """The pledge caps the deployment configured (``FUPIN_PLEDGE_CAP_*``)."""
    return PledgeCaps(
        individual_fen=settings.pledge_cap_individual_fen,
        new_participant_fen=settings.pledge_cap_new_participant_fen,
    )


#: Whether the participant (the query's ``participant`` row) has given money the recipient
#: confirmed and did not reverse: a column of the participant's own row, so a pledge reads the
#: donor and its history in one statement
HAS_CONFIRMED_DONATION = RawSQL(
    "(CASE WHEN EXISTS (SELECT 1 FROM donation d "
    'WHERE d.donor_id = "participant"."id" AND d.state = \'confirmed\' '
    "AND d.reverses_id IS NULL AND d.amount_fen > 0 AND NOT EXISTS ("
    "SELECT 1 FROM donation r WHERE r.reverses_id = d.id AND r.donor_id = d.donor_id)"
    ") THEN 1 ELSE 0 END)"
)


async def has_confirmed_donation(participant_id: int) -> bool:
    """Whether the participant has given money the recipient confirmed and did not reverse."""
    found = (
        await Participant.filter(id=participant_id)
        .annotate(history=HAS_CONFIRMED_DONATION)
        .values_list("history", flat=True)
    )
    return bool(found and found[0])


async def _check_cap(
    participant: Participant, need_id: int, caps: PledgeCaps, *, history: bool | None = None
) -> None:
    """The participant's unpaid promise on the need within its cap (``money.rules.caps``).
    Called after the need's amount was reserved in the same transaction: the reservation's row
    lock orders two pledges of one participant, so the later one sees the earlier.
    ``history``: ``has_confirmed_donation``, when read already with the participant."""
    kind = participant.kind
    if kind != "individual" and (caps.new_participant_fen <= 0 or kind in PAIR_HELPER_KINDS):
        return
    if history is None:
        history = await has_confirmed_donation(participant.id)
    cap = pledge_cap(kind, has_history=history, caps=caps)
    if cap is None:
        return
    rows = await Pledge.filter(
        participant_id=participant.id, need_id=need_id, state__in=list(OPEN_PLEDGE_STATES)
    ).values_list("amount_fen", "paid_fen")
    check_cap(sum(a - p for a, p in rows), cap, individual=kind == "individual")


async def make_pledge(
    *,
    actor: Actor | None,
    need_id: int,
    amount_fen: int,
    due_date: date | None = None,
    instalments: Sequence[InstalmentSpec] | None = None,
    anonymous: bool = False,
    commendation_consent: bool | None = None,
    pair_id: int | None = None,
    recipient_id: int | None = None,
    kind: str = "cash",
    today: date | None = None,
    is_demo: bool = False,
    caps: PledgeCaps | None = None,
) -> Pledge:
    """Promise ``amount_fen`` to a published need for the participant the actor acts for: due
    by the need's deadline, within the participant's cap (``money.rules.caps``; ``caps``
    default to the documented defaults).

    An anonymous donor is asked whether anonymity also covers the commendation
    (``commendation_consent``): its answer is the participant's consent, recorded and audited
    as on the settings page (docs/rules.md §5.4), so anonymity does not silently exclude it."""
    require(actor, "pledge.create")
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员可以认捐。"))
    require(actor, "pledge.create", Scope(participant_id=actor.participant_id))
    check_amount(amount_fen)
    if kind not in ("cash", "in_kind"):
        raise InvalidInput(_("认捐方式无效。"), field="kind")
    today = today or today_cn()
    due, schedule = check_schedule(amount_fen, due_date, instalments, today=today)
    need = await Need.filter(id=need_id).annotate(default_recipient_id=DEFAULT_RECIPIENT_ID).first()
    if need is None:
        raise NotFound(_("需求不存在。"), field="need_id")
    if need.state not in PLEDGEABLE_NEED_STATES:
        raise RuleViolation(_("只有已发布的需求可以认捐。"), code="need_not_open", field="need_id")
    check_due_by_deadline(due, need.deadline)
    participant = (
        await Participant.filter(id=actor.participant_id)
        .annotate(has_history=HAS_CONFIRMED_DONATION)
        .get()
    )
    pair = await _check_pair(pair_id, need, today)
    if recipient_id is not None:
        recipient = await RecipientOrg.get_or_none(id=recipient_id)
        if recipient is None:
            raise InvalidInput(_("受赠单位不存在。"), field="recipient_id", code="not_found")
        if not recipient_covers(recipient, need):
            raise InvalidInput(_("该受赠单位不能接收此需求的捐赠。"), field="recipient_id")
        recipient_id = recipient.id
    else:
        recipient_id = need.default_recipient_id  # type: ignore[attr-defined]

    async with money_change(actor) as change:
        # The pledge, its audit row and schedule are written before the need's row is locked by
        # the reservation, which concurrent pledgers of the need wait for (a refusal rolls all
        # of them back).
        pledge = await Pledge.create(
            need_id=need.id,
            participant_id=participant.id,
            recipient_id=recipient_id,
            pair_id=pair.id if pair else None,
            kind=kind,
            amount_fen=amount_fen,
            paid_fen=0,
            committed_fen=amount_fen,
            anonymous=anonymous,
            due_date=due,
            state="pledged",
            created_by_id=actor.user_id,
            is_demo=is_demo,
        )
        await change.audit(
            action="pledge.create",
            object_type="pledge",
            object_id=pledge.id,
            after=audit.snapshot(pledge, PLEDGE_AUDIT_FIELDS),
        )
        await _replace_schedule(pledge, schedule, new=True)
        made = rollups.pledge_made_row(
            need_id=need.id,
            region_id=need.region_id,
            county_code=need.county_code,
            province_code=need.province_code,
            category=need.category,
            created_at=pledge.created_at,
            pair_id=pledge.pair_id,
            participant_id=participant.id,
            participant_kind=participant.kind,
            committed_fen=amount_fen,
        )
        await change.reserve(need.id, amount_fen, states=PLEDGEABLE_NEED_STATES, rollup_rows=[made])
        await _check_cap(
            participant,
            need.id,
            caps or PledgeCaps(),
            history=bool(participant.has_history),  # type: ignore[attr-defined]
        )
        public, private = _split_donor(anonymous, participant)
        event = PledgeEvent(
            pledge_id=pledge.id,
            action="made",
            from_state="",
            to_state="pledged",
            amount_before_fen=0,
            amount_after_fen=amount_fen,
            paid_after_fen=0,
            due_date=due,
            schedule=schedule_json(schedule),
            actor_id=actor.user_id,
            actor_label=actor.username,
        )
        await change.ledger(
            kind="pledge_made",
            subject=f"pledge:{pledge.id}",
            payload={
                "need": need.id,
                "amount_fen": amount_fen,
                "kind": kind,
                "due_date": due.isoformat(),
                "instalments": [
                    {"due_date": s["due_date"], "amount_fen": s["amount_fen"]}
                    for s in schedule_json(schedule)
                ],
                "pair": pair.id if pair else None,
                "recipient": recipient_id,
                "anonymous": anonymous,
                **public,
            },
            private=private,
            seq_into=event,
        )
    if anonymous and commendation_consent is not None:
        await set_commendation_consent(
            actor=actor, participant_id=participant.id, consent=commendation_consent, via="pledge"
        )
    return pledge


PLEDGE_AUDIT_FIELDS = (
    "need_id",
    "participant_id",
    "recipient_id",
    "pair_id",
    "amount_fen",
    "paid_fen",
    "committed_fen",
    "anonymous",
    "due_date",
    "state",
)


async def _require_change(actor: Actor | None, pledge: Pledge) -> Need:
    need = await Need.get(id=pledge.need_id)
    require(actor, "pledge.change", pledge_scope(pledge, need))
    return need


async def amend_pledge(
    *,
    actor: Actor | None,
    pledge_id: int,
    amount_fen: int,
    due_date: date | None = None,
    instalments: Sequence[InstalmentSpec] | None = None,
    reason: str = "",
    today: date | None = None,
    caps: PledgeCaps | None = None,
) -> Pledge:
    """Change the promised amount (and/or the schedule). History is kept as a PledgeEvent and a
    ledger entry; raising the amount is subject to the open amount, the deadline and the cap
    like a new pledge."""
    check_amount(amount_fen)
    today = today or today_cn()
    reason = (reason or "").strip()[:500]
    async with money_change(actor) as change:
        pledge = await change.lock_pledge(pledge_id)
        need = await _require_change(actor, pledge)
        assert actor is not None
        row = PLEDGE_MACHINE.check(
            pledge.state, "amend", PledgeFacts(amount_fen, pledge.paid_fen, pledge.paid_fen)
        )
        old_schedule = [
            InstalmentSpec(i.due_date, i.amount_fen)
            for i in await Instalment.filter(pledge_id=pledge.id).order_by("number")
        ]
        if instalments is None and old_schedule and amount_fen != pledge.amount_fen:
            raise InvalidInput(
                _("该认捐按分期兑现，修改金额时请同时提交新的分期计划。"),
                field="instalments",
                code="required",
            )
        if instalments is None and due_date is None:
            due_date, schedule = pledge.due_date, old_schedule
            if not schedule and due_date < today:
                due_date = None  # an overdue single date must be given anew
            due, schedule = check_schedule(
                amount_fen, due_date, schedule, today=today, allow_past_instalments=True
            )
        else:
            due, schedule = check_schedule(
                amount_fen, due_date, instalments, today=today, allow_past_instalments=True
            )
        check_due_by_deadline(due, need.deadline, previous_due=pledge.due_date)
        if amount_fen == pledge.amount_fen and due == pledge.due_date and schedule == old_schedule:
            raise InvalidInput(_("没有任何修改。"), field="amount_fen", code="unchanged")
        delta = amount_fen - pledge.amount_fen
        before = audit.snapshot(pledge, PLEDGE_AUDIT_FIELDS)
        if delta > 0:
            await change.reserve(need.id, delta, states=PLEDGEABLE_NEED_STATES)
        elif delta < 0:
            await change.release(need.id, -delta)
        else:
            await change.touch(need.id)  # the schedule or due date changed: due amounts move
        from_state = pledge.state
        previous_amount = pledge.amount_fen
        pledge.amount_fen = amount_fen
        pledge.committed_fen = amount_fen
        pledge.due_date = due
        if row.to != pledge.state or row.to != "honoured":
            honoured = row.to == "honoured"
            pledge.closed_at = clock.now() if honoured else None
            pledge.honoured_on = today if honoured else None
        pledge.state = row.to
        await pledge.save()
        if delta > 0:
            participant = await Participant.get(id=pledge.participant_id)
            await _check_cap(participant, need.id, caps or PledgeCaps())
        await _replace_schedule(pledge, schedule)
        event = PledgeEvent(
            pledge_id=pledge.id,
            action="amended",
            from_state=from_state,
            to_state=pledge.state,
            amount_before_fen=previous_amount,
            amount_after_fen=amount_fen,
            paid_after_fen=pledge.paid_fen,
            due_date=due,
            schedule=schedule_json(schedule),
            actor_id=actor.user_id,
            actor_label=actor.username,
            reason=reason,
        )
        await change.ledger(
            kind="pledge_amended",
            subject=f"pledge:{pledge.id}",
            payload={
                "need": need.id,
                "amount_fen": amount_fen,
                "previous_amount_fen": previous_amount,
                "due_date": due.isoformat(),
                "instalments": [
                    {"due_date": s["due_date"], "amount_fen": s["amount_fen"]}
                    for s in schedule_json(schedule)
                ],
                "state": pledge.state,
            },
            seq_into=event,
        )
        await change.audit(
            action="pledge.amend",
            object_type="pledge",
            object_id=pledge.id,
            before=before,
            after=audit.snapshot(pledge, PLEDGE_AUDIT_FIELDS),
        )
    return pledge


async def _close_unpaid(
    change: MoneyChange,
    pledge: Pledge,
    *,
    state: str,
    reason: str,
    extra: dict[str, Any] | None = None,
    event: str = "",
) -> None:
    """Withdraw, lapse or release a locked pledge: the unpaid part is freed on the need at once,
    what was paid stays committed; event, ledger entry and audit in the change's transaction.
    ``event``: the history's action (default: the state's, ``withdrawn`` or ``lapsed``)."""
    actor = change.actor
    before = audit.snapshot(pledge, PLEDGE_AUDIT_FIELDS)
    unpaid = pledge.committed_fen - pledge.paid_fen
    await change.release(pledge.need_id, unpaid)
    from_state = pledge.state
    pledge.state = state
    pledge.committed_fen = pledge.paid_fen
    pledge.closed_at = clock.now()
    await pledge.save()
    action = event or state
    kind, audit_action, freed = _CLOSINGS[action]
    history = PledgeEvent(
        pledge_id=pledge.id,
        action=action,
        from_state=from_state,
        to_state=state,
        amount_before_fen=pledge.amount_fen,
        amount_after_fen=pledge.amount_fen,
        paid_after_fen=pledge.paid_fen,
        due_date=pledge.due_date,
        actor_id=actor.user_id if actor else None,
        actor_label=actor.username if actor else "system",
        reason=reason,
    )
    await change.ledger(
        kind=kind,
        subject=f"pledge:{pledge.id}",
        payload={
            "need": pledge.need_id,
            "paid_fen": pledge.paid_fen,
            "amount_fen": pledge.amount_fen,
            "state": state,
            # the part freed: withdrawn by the donor, left unpaid at the due date, or released
            freed: unpaid,
            **(extra or {}),
        },
        seq_into=history,
    )
    await change.audit(
        action=audit_action,
        object_type="pledge",
        object_id=pledge.id,
        before=before,
        after={**audit.snapshot(pledge, PLEDGE_AUDIT_FIELDS), "reason": reason},
    )


#: How a pledge closes unpaid: history action → (ledger kind, audit action, payload field of the
#: amount freed).
_CLOSINGS: dict[str, tuple[str, str, str]] = {
    "withdrawn": ("pledge_withdrawn", "pledge.withdraw", "withdrawn_fen"),
    "lapsed": ("pledge_lapsed", "pledge.lapse", "unpaid_fen"),
    "released": ("pledge_released", "pledge.release", "released_fen"),
}


@dataclass(frozen=True)
class WithdrawalEffect:
    """What withdrawing a pledge would do, as its confirmation page tells the donor."""

    pledge: Pledge
    need: Need
    frees_fen: int  # the unpaid part, freed on the need
    keeps_fen: int  # what was paid stays given
    open_now_fen: int  # the need's amount still to pledge, now …
    open_after_fen: int  # … and after the withdrawal
    reopens: bool  # a funded need goes back to raising money


async def withdrawal_effect(actor: Actor | None, pledge_id: int) -> WithdrawalEffect:
    """The confirmation page's figures, for a pledge the actor may withdraw now (refused as the
    withdrawal itself would be: someone else's pledge, or one already closed)."""
    pledge = await get_pledge(pledge_id)
    need = await _require_change(actor, pledge)
    PLEDGE_MACHINE.check(pledge.state, "withdraw")
    frees = pledge.committed_fen - pledge.paid_fen
    pledged_after = need.pledged_fen - frees
    return WithdrawalEffect(
        pledge=pledge,
        need=need,
        frees_fen=frees,
        keeps_fen=pledge.paid_fen,
        open_now_fen=max(need.target_fen - need.pledged_fen, 0),
        open_after_fen=max(need.target_fen - pledged_after, 0),
        reopens=need.state == "funded" and pledged_after < need.target_fen,
    )


async def withdraw_pledge(*, actor: Actor | None, pledge_id: int, reason: str) -> Pledge:
    """Withdraw the unpaid part of a pledge: the amount is freed on the need at once. The donor
    says why (the need's history and the recipient's officers read it), so a blank reason is
    refused here whatever door the request came through."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise InvalidInput(_("请说明撤回原因。"), field="reason", code="required")
    async with money_change(actor) as change:
        pledge = await change.lock_pledge(pledge_id)
        await _require_change(actor, pledge)
        row = PLEDGE_MACHINE.check(pledge.state, "withdraw")
        await _close_unpaid(change, pledge, state=row.to, reason=reason)
    return pledge


async def release_pledge(*, actor: Actor | None, pledge_id: int, reason: str) -> Pledge:
    """The county of the need frees a pledge that blocks it: the unpaid part is released at
    once so others can pledge, what was paid stays. A reason is required; the pledger sees the
    release and its reason in the pledge's history; audited and in the public ledger
    (``pledge_released``)."""
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise InvalidInput(_("原因最多 500 字。"), field="reason")
    async with money_change(actor) as change:
        pledge = await change.lock_pledge(pledge_id)
        need = await Need.get(id=pledge.need_id)
        require(actor, PLEDGE_MACHINE.permission("release"), pledge_scope(pledge, need))
        facts = PledgeFacts(
            pledge.amount_fen,
            pledge.paid_fen,
            pledge.paid_fen,
            need_collecting=need.state in PLEDGEABLE_NEED_STATES,
        )
        row = PLEDGE_MACHINE.check(pledge.state, "release", facts, reason=reason)
        await _close_unpaid(change, pledge, state=row.to, reason=reason, event="released")
    return pledge


def may_release(actor: Actor | None, pledge: Pledge, need: Need) -> bool:
    """Whether to offer ``actor`` the release form on the pledge page."""
    row = PLEDGE_MACHINE.get(pledge.state, "release")
    return (
        row is not None
        and row.permission is not None
        and need.state in PLEDGEABLE_NEED_STATES
        and can(actor, row.permission, pledge_scope(pledge, need))
    )


async def lapse_pledge(pledge_id: int, *, today: date) -> bool:
    """Lapse one pledge whose due date has passed unpaid (docs/domain.md §3.5); the unpaid part is freed.
    Returns False when it no longer qualifies (paid or changed meanwhile)."""
    async with money_change(None) as change:
        pledge = await change.lock_pledge(pledge_id)
        facts = PledgeFacts(
            pledge.amount_fen, pledge.paid_fen, pledge.paid_fen, pledge.due_date, today
        )
        try:
            row = PLEDGE_MACHINE.check(pledge.state, "lapse", facts)
        except (InvalidTransition, RuleViolation):
            change.nothing()
            return False  # paid or changed since the sweep picked it
        await _close_unpaid(
            change,
            pledge,
            state=row.to,
            reason=_("兑现日期已过，未足额到账"),
            extra={"due_date": pledge.due_date.isoformat()},
        )
        need = await Need.get(id=pledge.need_id)
        await notify_participant(
            pledge.participant_id,
            "pledge_overdue",
            params={
                "need_title": need.title,
                "amount": format_yuan(pledge.amount_fen),
                "due_date": pledge.due_date.isoformat(),
            },
            link=f"/pledges/{pledge.id}",
            dedupe_key=f"pledge_overdue:{pledge.id}",
        )
    return True


async def remind_due(*, today: date | None = None) -> int:
    """The reminder sweep: tell the donor of every open, not fully paid pledge that its due
    date is near — once when it comes within each of ``REMINDER_DAYS`` days. The dedupe key
    names the pledge, the due date and the step, so a rerun, a second process or a moved due
    date never repeats a reminder and a new due date gets its own. Returns reminders made."""
    today = today or today_cn()
    steps = sorted(REMINDER_DAYS)
    open_states = list(PLEDGE_MACHINE.states_allowing("lapse"))
    made = 0
    pledges = await Pledge.filter(
        state__in=open_states, due_date__gte=today, due_date__lte=today + timedelta(days=steps[-1])
    ).order_by("id")
    for pledge in pledges:
        if pledge.paid_fen >= pledge.amount_fen:
            continue
        days = (pledge.due_date - today).days
        step = next(d for d in steps if days <= d)
        need = await Need.get(id=pledge.need_id)
        async with transaction():
            made += len(
                await notify_participant(
                    pledge.participant_id,
                    "pledge_due",
                    params={
                        "need_title": need.title,
                        "amount": format_yuan(pledge.amount_fen),
                        "unpaid": format_yuan(pledge.amount_fen - pledge.paid_fen),
                        "due_date": pledge.due_date.isoformat(),
                        "days": str(days),
                    },
                    link=f"/pledges/{pledge.id}",
                    dedupe_key=f"pledge_due:{pledge.id}:{pledge.due_date.isoformat()}:{step}",
                )
            )
    return made


async def lapse_overdue(*, today: date | None = None, batch: int = 500) -> int:
    """The lapse sweep: every open pledge whose due date is before ``today``. Each pledge is its
    own short transaction, so a crash mid-sweep loses nothing and a rerun continues."""
    today = today or today_cn()
    lapsed = 0
    last_id = 0
    while True:
        ids = await (
            Pledge.filter(
                state__in=list(PLEDGE_MACHINE.states_allowing("lapse")),
                due_date__lt=today,
                id__gt=last_id,
            )
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True)
        )
        if not ids:
            return lapsed
        for pledge_id in ids:
            if await lapse_pledge(pledge_id, today=today):
                lapsed += 1
        last_id = ids[-1]


# --- payments (called by the donations service inside its transaction) ------------------------


async def apply_payment(
    change: MoneyChange,
    pledge: Pledge,
    delta_fen: int,
    *,
    donation_id: int,
    received_on: date,
    reason: str = "",
) -> None:
    """Record ``delta_fen`` paid (or, negative, reversed) against a locked pledge, received on
    ``received_on`` (the day a completing payment honours it).

    Active pledges keep committing their promised amount; a withdrawn or lapsed pledge commits
    only what was paid, so a reversal there lowers the need's pledged amount too.
    """
    action = "pay" if delta_fen > 0 else "reverse_payment"
    facts = PledgeFacts(pledge.amount_fen, pledge.paid_fen + delta_fen, pledge.paid_fen)
    row = PLEDGE_MACHINE.check(pledge.state, action, facts)
    from_state = pledge.state
    pledge.paid_fen += delta_fen
    pledge.state = row.to
    if pledge.state in ACTIVE_PLEDGE_STATES:
        honoured = pledge.state == "honoured"
        pledge.closed_at = clock.now() if honoured else None
        pledge.honoured_on = received_on if honoured else None
    else:
        await change.release(pledge.need_id, pledge.committed_fen - pledge.paid_fen)
        pledge.committed_fen = pledge.paid_fen
    await change.touch(pledge.need_id)
    await pledge.save()
    await PledgeEvent.create(
        pledge_id=pledge.id,
        action="paid" if delta_fen > 0 else "payment_reversed",
        from_state=from_state,
        to_state=pledge.state,
        amount_before_fen=pledge.amount_fen,
        amount_after_fen=pledge.amount_fen,
        paid_after_fen=pledge.paid_fen,
        due_date=pledge.due_date,
        actor_id=change.actor.user_id if change.actor else None,
        actor_label=change.actor.username if change.actor else "system",
        reason=reason or _("捐赠 %(id)s", id=donation_id),
    )


# --- presentation -------------------------------------------------------------------------------


async def pledge_view(pledge: Pledge, actor: Actor | None) -> View:
    """A pledge as a reader allowed to see it in full sees it: its schedule and history, and the
    donor unless anonymous to this reader."""
    await pledge.fetch_related("need", "participant")
    return seen(
        pledge,
        pledge.participant,
        reveal=may_see_donor(actor, pledge.participant_id, pledge.need),
        instalments=await Instalment.filter(pledge_id=pledge.id).order_by("number"),
        events=await PledgeEvent.filter(pledge_id=pledge.id).order_by("id"),
    )


async def eligible_pairs(need: Need, *, today: date | None = None) -> list[Pair]:
    """Cooperation pairs in force whose helped region contains the need (for attribution)."""
    year = (today or today_cn()).year
    codes = {need.county_code, need.province_code, need.county_code[:4] + "00"}
    pairs = await Pair.filter(helped_region_id__in=[c for c in codes if c]).prefetch_related(
        "helper", "helped_region"
    )
    return [p for p in pairs if p.start_year <= year and (p.end_year is None or p.end_year >= year)]
