"""A need's lifecycle (docs/domain.md §3.4): the transitions people make (submit, return, publish,
withdraw, start, deliver, confirm_receipt, close, dispute) and the derived funded state. Each is
one transaction writing the state change, a NeedEvent, an audit row and a search-outbox row
together (docs/domain.md §3.10/§3.12); expiry is ``expiry``.

The lifecycle table (who may make which transition from which state, and when a reason is
required) is ``fupin.needs.rules``; permissions go only through ``fupin.core.policy`` with the
scope of the need's region (``regions.scope_of``).

**Funded (derived).** "Funded" means the active pledges cover the target (docs/domain.md §3.4). The money
services keep ``Need.pledged_fen`` equal to the sum of active pledges, in the same transaction as
every pledge event, and then call :func:`refresh_funded_state` inside that transaction. The
documented query is::

    funded  ⇔  target_fen > 0 AND pledged_fen >= target_fen        (rules.is_funded)

published → funded when it starts to hold, funded → published when a withdrawal or lapse makes it
false; both are conditional UPDATEs (``WHERE state = … AND pledged_fen >= target_fen``), so they
are correct under concurrent pledges on SQLite and PostgreSQL.

**Ledger.** Publication appends ``need_published`` and completion ``need_completed`` with the
public payload {need_id, title, county_code, target_fen} (docs/domain.md §3.7).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from tortoise.expressions import F, Q

from fupin.accounts.service import duties
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.core.policy import Actor, can, require
from fupin.core.states import Transition
from fupin.db import transaction
from fupin.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied, RuleViolation
from fupin.i18n import _
from fupin.ledger import service as ledger
from fupin.needs.models import Attachment, Need, NeedEvent
from fupin.needs.rules import (
    ATTACH_STATES,
    EDIT_PERMISSIONS,
    MAX_REASON,
    NEED_MACHINE,
    TWO_PERSON,
    TWO_PERSON_MESSAGE,
    USER_ACTIONS,
    NeedFacts,
    actions_from,
    clean_text,
    effective_state,
    money_action,
)
from fupin.needs.service import search_outbox
from fupin.needs.service.history import SNAPSHOT_FIELDS, record_event
from fupin.needs.service.reading import get_need, load_need, possible_duplicates
from fupin.needs.service.visibility import need_scope


async def available_actions(actor: Actor | None, need: Need) -> list[Transition[NeedFacts]]:
    """The transitions ``actor`` may ask for on ``need`` now (the buttons to show): allowed by
    the policy in the need's scope and not refused by a two-person rule."""
    if actor is None:
        return []
    state = effective_state(need.state, need.deadline, today_cn())
    scope = need_scope(need)
    allowed = [t for t in actions_from(state) if t.permission and can(actor, t.permission, scope)]
    return [t for t in allowed if await _performer_in_conflict(actor, need, t.action) is None]


async def _performer_in_conflict(actor: Actor, need: Need, action: str) -> int | None:
    """The account that performed the earlier act ``action`` must be checked against
    (``TWO_PERSON``) when ``actor`` is not independent of it, else None."""
    earlier = TWO_PERSON.get(action)
    if not earlier:
        return None
    event = await NeedEvent.filter(need_id=need.id, action__in=earlier).order_by("-id").first()
    if event is None or await duties.independent_of(actor, event.actor_id):
        return None
    return event.actor_id


async def _require_two_people(actor: Actor, need: Need, action: str) -> None:
    """Refuse (409 ``two_person_rule``) an action whose two-person rule ``actor`` would break;
    the attempt is audited in its own transaction, since the refusal writes nothing else."""
    performer = await _performer_in_conflict(actor, need, action)
    if performer is None:
        return
    async with transaction():
        await audit.record(
            actor=actor,
            action="need.two_person_refused",
            object_type="need",
            object_id=need.id,
            after={"action": action, "performed_by": performer, "rule": TWO_PERSON[action]},
        )
    raise RuleViolation(_(TWO_PERSON_MESSAGE), code="two_person_rule")


def may_edit(actor: Actor | None, need: Need) -> bool:
    permission = EDIT_PERMISSIONS.get(need.state)
    return permission is not None and can(actor, permission, need_scope(need))


def may_extend_deadline(actor: Actor | None, need: Need) -> bool:
    """Whether to offer ``actor`` the deadline form (the county, while the need takes pledges)."""
    state = effective_state(need.state, need.deadline, today_cn())
    row = NEED_MACHINE.get(state, "extend_deadline")
    return row is not None and can(
        actor, NEED_MACHINE.permission("extend_deadline"), need_scope(need)
    )


def may_attach(actor: Actor | None, need: Need) -> bool:
    return need.state in ATTACH_STATES and can(actor, "need.attach", need_scope(need))


def ledger_payload(need: Need) -> dict[str, Any]:
    """The public payload of need_published / need_completed (docs/domain.md §3.7)."""
    return {
        "need_id": need.id,
        "title": need.title,
        "county_code": need.county_code,
        "target_fen": need.target_fen,
    }


async def _facts_for(need: Need, action: str, *, today: date, acknowledged: bool) -> NeedFacts:
    """The facts the guards of ``action`` read (queries only for the actions that need them)."""
    facts = NeedFacts(deadline=need.deadline, today=today, pledged_fen=need.pledged_fen)
    if action == "publish":
        duplicates = tuple(d.id for d in await possible_duplicates(need))
        return replace(facts, possible_duplicates=duplicates, duplicates_acknowledged=acknowledged)
    if action in ("deliver", "close"):
        purposes = set(await Attachment.filter(need_id=need.id).values_list("purpose", flat=True))
        return replace(
            facts,
            has_evidence="evidence" in purposes,
            has_receipt_confirmation="receipt_confirmation" in purposes,
            county_wide=need.region.level == "county",
        )
    return facts


async def transition_need(
    actor: Actor | None,
    need_id: int,
    action: str,
    *,
    reason: str = "",
    acknowledge_duplicates: bool = False,
    today: date | None = None,
) -> Need:
    """Make a user transition of the lifecycle table. Refusals (nothing written, history
    unchanged): unknown action → InvalidInput; not allowed for the role or outside the scope →
    PermissionDenied (NotFound when the actor may not even see the need); not possible from the
    current state → InvalidTransition; missing reason → InvalidInput(reason); publishing a
    possible duplicate without acknowledging it → Conflict(possible_duplicate)."""
    if action not in USER_ACTIONS:
        raise InvalidInput(
            _("未知的操作：%(a)s（可用：%(all)s）", a=action, all=", ".join(USER_ACTIONS)),
            field="action",
        )
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    today = today or today_cn()
    need = await get_need(actor, need_id)
    scope = need_scope(need)
    if not any(can(actor, p, scope) for p in NEED_MACHINE.permissions_for(action)):
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    row = NEED_MACHINE.check(need.state, action)  # the state allows it at all
    assert row.permission is not None  # user actions have no system rows
    require(actor, row.permission, scope)
    await _require_two_people(actor, need, action)
    reason = clean_text(reason)
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("原因最多 %(n)d 个字。", n=MAX_REASON), field="reason")
    facts = await _facts_for(need, action, today=today, acknowledged=acknowledge_duplicates)
    rule = NEED_MACHINE.check(need.state, action, facts, reason=reason)
    extra: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    if action == "withdraw" and need.state == "published":
        # the no-pledges guard, again inside the update: a pledge may arrive meanwhile
        conditions["pledged_fen"] = 0
    if action == "publish":
        extra = {"published_at": clock.now(), "published_by_id": actor.user_id}
    before = audit.snapshot(need, SNAPSHOT_FIELDS)
    async with transaction():
        updated = await Need.filter(id=need.id, state=need.state, **conditions).update(
            state=rule.to, updated_at=clock.now(), **extra
        )
        if not updated:
            fresh = await Need.get(id=need.id)
            if fresh.state == need.state and conditions.get("pledged_fen") == 0:
                raise RuleViolation(
                    _("该需求已有有效认捐，不能撤回；请先与认捐方沟通。"), code="has_pledges"
                )
            raise Conflict(_("需求状态刚被他人更改，请刷新后重试。"), code="stale")
        need.state = rule.to
        for key, value in extra.items():
            setattr(need, key, value)
        await record_event(need.id, action, rule.state, rule.to, actor, reason)
        await audit.record(
            actor=actor,
            action=f"need.{action}",
            object_type="need",
            object_id=need.id,
            before=before,
            after={"state": rule.to, "reason": reason},
        )
        await search_outbox.enqueue(need.id)
        if action == "publish":
            await ledger.append(
                kind="need_published", subject=f"need:{need.id}", payload=ledger_payload(need)
            )
            # A need might already be covered (pledges are only taken once published, but a
            # re-publication after review keeps the rule in one place).
            await refresh_funded_state(need)
        elif action == "deliver":
            await ledger.append(
                kind="need_completed", subject=f"need:{need.id}", payload=ledger_payload(need)
            )
    return await load_need(need.id, details=True)


async def refresh_funded_state(
    need: Need | int,
    *,
    actor_label: str = "system",
    current: tuple[str, int, int] | None = None,
) -> None:
    """Derive published ↔ funded from ``pledged_fen`` (see the module docstring).

    The money services call this INSIDE their transaction right after changing
    ``Need.pledged_fen`` (so the transaction holds the need's row); it opens no transaction of
    its own. One read of the current row tells which move is due (most money changes call for
    none); the move itself is a conditional UPDATE on the current row, so ``need`` may be
    stale, or only its id. Writes a NeedEvent (actor ``actor_label``), an audit row and a
    search-outbox row when the state changes. ``current``: the row's ``(state, target_fen,
    pledged_fen)`` as this transaction just left it (an ``UPDATE … RETURNING`` of the money
    move), which spares the read."""
    need_id = need if isinstance(need, int) else need.id
    if current is None:
        found = await Need.filter(id=need_id).values_list("state", "target_fen", "pledged_fen")
        if not found:
            return
        current = found[0]
    if money_action(*current) is None:
        return
    # rules.is_funded as SQL, so the move is one conditional update on the current row
    funded = Q(target_fen__gt=0, pledged_fen__gte=F("target_fen"))
    not_funded = Q(pledged_fen__lt=F("target_fen")) | Q(target_fen=0)
    for action, condition in (("fund", funded), ("unfund", not_funded)):
        if action != money_action(*current):
            continue
        (from_state,) = NEED_MACHINE.states_allowing(action)
        to_state = NEED_MACHINE.check(from_state, action).to
        updated = (
            await Need.filter(condition, id=need_id, state=from_state)
            .update(state=to_state, updated_at=clock.now())
        )  # fmt: skip
        if not updated:
            continue
        fresh = await Need.get(id=need_id)
        if not isinstance(need, int):
            need.state, need.pledged_fen = to_state, fresh.pledged_fen
        amounts = {"p": format_yuan(fresh.pledged_fen), "t": format_yuan(fresh.target_fen)}
        reason = (
            _("有效认捐 %(p)s 已覆盖目标 %(t)s。", **amounts)
            if action == "fund"
            else _("认捐撤回或失效后，有效认捐 %(p)s 低于目标 %(t)s，恢复募集。", **amounts)
        )
        await NeedEvent.create(
            need_id=need_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_id=None,
            actor_label=actor_label,
            actor_role="system",
            reason=reason,
        )
        await audit.record(
            actor=None,
            actor_label=actor_label,
            action=f"need.{action}",
            object_type="need",
            object_id=need_id,
            before={"state": from_state},
            after={"state": to_state, "pledged_fen": fresh.pledged_fen},
        )
        await search_outbox.enqueue(need_id)
        return


async def extend_deadline(
    actor: Actor | None,
    need_id: int,
    deadline: date,
    *,
    reason: str,
    today: date | None = None,
) -> Need:
    """The county moves a collecting need's deadline later, with a reason (the rule is the
    ``extend_deadline`` row of the lifecycle table). Pledges may then be due up to the new day
    (``money.rules.caps``). One transaction: the need, a NeedEvent with old and new day, an
    audit row and a search-outbox row (the deadline is a sort and a filter of search)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    today = today or today_cn()
    need = await get_need(actor, need_id)
    scope = need_scope(need)
    require(actor, NEED_MACHINE.permission("extend_deadline"), scope)
    state = effective_state(need.state, need.deadline, today)
    reason = clean_text(reason)
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("原因最多 %(n)d 个字。", n=MAX_REASON), field="reason")
    facts = NeedFacts(deadline=need.deadline, today=today, new_deadline=deadline)
    NEED_MACHINE.check(state, "extend_deadline", facts, reason=reason)
    old = need.deadline
    async with transaction():
        updated = await Need.filter(id=need.id, state=need.state, deadline=old).update(
            deadline=deadline, updated_at=clock.now()
        )
        if not updated:
            raise Conflict(_("需求状态刚被他人更改，请刷新后重试。"), code="stale")
        text = _(
            "截止日期 %(old)s → %(new)s：%(reason)s",
            old=old.isoformat(),
            new=deadline.isoformat(),
            reason=reason,
        )
        await record_event(need.id, "extend_deadline", need.state, need.state, actor, text)
        await audit.record(
            actor=actor,
            action="need.extend_deadline",
            object_type="need",
            object_id=need.id,
            before={"deadline": old},
            after={"deadline": deadline, "reason": reason},
        )
        await search_outbox.enqueue(need.id)
    return await load_need(need.id, details=True)
