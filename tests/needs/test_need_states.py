"""The pure lifecycle rules: derived funding, expiry dates in China time, the table's shape."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.clock import today_cn
from fupin.core.policy import RULES
from fupin.needs import rules as ns


@settings(max_examples=200, deadline=None)
@given(target=st.integers(0, 10**10), pledged=st.integers(0, 10**10))
def test_funded_means_pledges_cover_a_positive_target(target: int, pledged: int) -> None:
    assert ns.is_funded(target, pledged) == (target > 0 and pledged >= target)
    action = ns.money_action("published", target, pledged)
    assert action == ("fund" if ns.is_funded(target, pledged) else None)
    back = ns.money_action("funded", target, pledged)
    assert back == (None if ns.is_funded(target, pledged) else "unfund")
    for state in ("draft", "in_progress", "closed", "expired"):
        assert ns.money_action(state, target, pledged) is None


def test_deadline_day_is_the_last_open_day_in_china_time() -> None:
    # 2026-03-31 16:30 UTC is already 1 April in China (UTC+8).
    today = today_cn(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert today == date(2026, 4, 1)
    assert not ns.is_overdue("published", date(2026, 4, 1), today)
    assert ns.is_overdue("published", date(2026, 3, 31), today)
    assert not ns.is_overdue("funded", date(2026, 3, 31), today)
    assert ns.effective_state("published", date(2026, 3, 31), today) == "expired"


def test_every_permission_in_the_table_is_a_policy_action_and_reasons_where_people_ask_why() -> (
    None
):
    for transition in [t for rows in ns.NEED_MACHINE.rows.values() for t in rows]:
        assert transition.state in ns.STATES and transition.to in ns.STATES
        if transition.permission is not None:
            assert transition.permission in RULES
            assert transition.action in ns.USER_ACTIONS + ns.FORM_ACTIONS
        else:
            assert transition.action in ns.SYSTEM_ACTIONS
    needs_reason = {
        t.action
        for t in [t for rows in ns.NEED_MACHINE.rows.values() for t in rows]
        if t.reason_required
    }
    assert needs_reason == {"return", "withdraw", "dispute", "close", "deliver", "extend_deadline"}
    assert set(ns.REASON_PROMPTS) == needs_reason
    assert ns.CREATE_PERMISSION in RULES and set(ns.EDIT_PERMISSIONS.values()) <= set(RULES)
    assert not any(
        t.state in ns.FINAL_STATES
        for t in [t for rows in ns.NEED_MACHINE.rows.values() for t in rows]
    )


def test_buttons_leave_each_state_in_a_stable_order() -> None:
    assert [t.action for t in ns.actions_from("submitted")] == ["publish", "return", "withdraw"]
    assert [t.action for t in ns.actions_from("completed")] == [
        "confirm_receipt",
        "close",
        "dispute",
    ]
    assert ns.actions_from("withdrawn") == [] and ns.actions_from("expired") == []
    assert ns.NEED_MACHINE.permissions_for("withdraw") == {
        "need.withdraw",
        "need.withdraw_published",
    }
    assert ns.NEED_MACHINE.permissions_for("fund") == frozenset()
