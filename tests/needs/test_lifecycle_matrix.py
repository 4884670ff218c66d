"""Every state × user action × role (in and out of scope), table-driven, on SQLite and
PostgreSQL: allowed transitions land in the expected state with one new event; every refusal
leaves the need's state and history exactly as they were.

The expectation is written out here independently of the production table (need_states), from
docs/domain.md §3.4 and the issue: a wrong table there fails here.
"""

from __future__ import annotations

import pytest

from fupin.errors import InvalidTransition, NotAuthenticated, NotFound, PermissionDenied
from fupin.needs.models import NEED_STATES, Attachment, Need, NeedEvent
from fupin.needs.rules import (
    FORM_ACTIONS,
    NEED_MACHINE,
    STATES,
    SYSTEM_ACTIONS,
    USER_ACTIONS,
)
from fupin.needs.service import lifecycle
from tests.needs.support import USER_KEYS, actors, make_need

DRAFTERS = {"village_worker", "county_officer"}
COUNTY = {"county_officer"}
#: (state, action) → (next state, roles allowed — in scope: the need lies in their village/county).
EXPECTED: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("draft", "submit"): ("submitted", DRAFTERS),
    ("returned", "submit"): ("submitted", DRAFTERS),
    ("submitted", "return"): ("returned", COUNTY),
    ("submitted", "publish"): ("published", COUNTY),
    ("draft", "withdraw"): ("withdrawn", DRAFTERS | {"national_admin"}),
    ("submitted", "withdraw"): ("withdrawn", DRAFTERS | {"national_admin"}),
    ("returned", "withdraw"): ("withdrawn", DRAFTERS | {"national_admin"}),
    ("published", "withdraw"): ("withdrawn", {"county_officer", "national_admin"}),
    ("funded", "start"): ("in_progress", COUNTY),
    ("in_progress", "deliver"): ("completed", COUNTY),
    ("completed", "confirm_receipt"): ("closed", {"village_worker"}),
    ("completed", "close"): ("closed", COUNTY),
    ("completed", "dispute"): ("in_progress", DRAFTERS),
    ("closed", "dispute"): ("in_progress", DRAFTERS),
}
PUBLICLY_VISIBLE = {"published", "funded", "in_progress", "completed", "closed", "expired"}
PRIVATE_VIEWERS = {
    "national_admin",
    "auditor",
    "province_office",
    "county_officer",
    "village_worker",
}


def test_production_table_matches_the_expectation_and_the_model_states() -> None:
    assert tuple(NEED_STATES) == STATES
    user_rows = {
        k: t.to for k, (t,) in NEED_MACHINE.rows.items() if t.permission and k[1] in USER_ACTIONS
    }
    assert user_rows == {k: v[0] for k, v in EXPECTED.items()}
    # the deadline form (lifecycle.extend_deadline; tests/money/test_pledge_squatting.py)
    form_rows = {k: t.to for k, (t,) in NEED_MACHINE.rows.items() if k[1] in FORM_ACTIONS}
    assert form_rows == {
        ("published", "extend_deadline"): "published",
        ("funded", "extend_deadline"): "funded",
    }
    system_rows = {k: t.to for k, (t,) in NEED_MACHINE.rows.items() if not t.permission}
    assert system_rows == {
        ("published", "fund"): "funded",
        ("funded", "unfund"): "published",
        ("published", "expire"): "expired",
    }
    assert set(SYSTEM_ACTIONS).isdisjoint(USER_ACTIONS)


def _expected_error(state: str, action: str, key: str | None) -> type[Exception] | None:
    if key is None:
        return NotAuthenticated
    in_scope = not key.startswith("other_")
    role = key.removeprefix("other_")
    if state not in PUBLICLY_VISIBLE and not (in_scope and role in PRIVATE_VIEWERS):
        return NotFound  # a need that is not public is not revealed
    allowed_somewhere = {
        r for (s, a), (_to, roles) in EXPECTED.items() if a == action for r in roles
    }
    if not in_scope or role not in allowed_somewhere:
        return PermissionDenied
    row = EXPECTED.get((state, action))
    if row is None:
        return InvalidTransition
    if role not in row[1]:
        return PermissionDenied
    return None


REASONS = {"return": "预算测算依据不足", "withdraw": "村里已另有资金解决", "deliver": "已完工并验收",
           "close": "村委会书面签收", "dispute": "实际交付与申报不符"}  # fmt: skip


@pytest.mark.both_databases
@pytest.mark.parametrize("action", USER_ACTIONS)
async def test_every_state_and_role_for_one_action(world, action) -> None:
    a = await actors(world)
    checked = 0
    for state in STATES:
        for key in [None, *USER_KEYS]:
            need = await make_need(world, state)
            if state == "completed":
                await Attachment.create(
                    need_id=need.id, purpose="receipt_confirmation", sha256="c" * 64,
                    content_type="image/png", size=1,
                )  # fmt: skip
            events_before = await NeedEvent.filter(need_id=need.id).count()
            expected = _expected_error(state, action, key)
            actor = a[key] if key else None
            if expected is None:
                done = await lifecycle.transition_need(
                    actor,
                    need.id,
                    action,
                    reason=REASONS.get(action, ""),
                    acknowledge_duplicates=True,
                )
                assert done.state == EXPECTED[(state, action)][0], (state, action, key)
                assert await NeedEvent.filter(need_id=need.id).count() == events_before + 1
            else:
                with pytest.raises(expected):
                    await lifecycle.transition_need(
                        actor,
                        need.id,
                        action,
                        reason=REASONS.get(action, ""),
                        acknowledge_duplicates=True,
                    )
                fresh = await Need.get(id=need.id)
                assert fresh.state == state, (state, action, key)
                assert await NeedEvent.filter(need_id=need.id).count() == events_before, (
                    state,
                    action,
                    key,
                )
            checked += 1
    assert checked == len(STATES) * (len(USER_KEYS) + 1)


@pytest.mark.parametrize("action", sorted(REASONS))
async def test_reason_is_required_where_a_person_would_ask_why(world, action) -> None:
    a = await actors(world)
    state, (_to, roles) = next((s, v) for (s, act), v in EXPECTED.items() if act == action)
    need = await make_need(world, state)
    role = sorted(roles)[0]
    from fupin.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        await lifecycle.transition_need(a[role], need.id, action, reason="   ")
    assert refused.value.field == "reason"
    assert (await Need.get(id=need.id)).state == state
