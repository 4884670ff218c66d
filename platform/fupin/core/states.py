"""State machines as tables: every lifecycle of the platform (needs, pledges, donations, receipts,
commendation rounds) is one ``StateMachine`` of ``Transition`` rows, so "may this happen?" has one
answer in one place.

A row says: from ``state``, ``action`` leads to ``to``; a person needs the ``fupin.core.policy``
action ``permission`` in the object's scope (``None``: only the system makes it); a reason may be
required; and every ``Guard`` must hold on the facts of the object (pure predicates over a
facts object the area defines — amounts, dates, attachments — never database access). Anything
not in the table is refused with ``InvalidTransition``; a failing guard with ``RuleViolation``
carrying the guard's code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fupin.errors import FupinError, InvalidInput, InvalidTransition, RuleViolation
from fupin.i18n import _

Facts = TypeVar("Facts")


@dataclass(frozen=True)
class Guard(Generic[Facts]):
    """A condition a transition needs besides the state: ``holds(facts)`` must be true, else the
    action is refused with ``code`` and the (gettext) ``message``, formatted with ``params(facts)``."""

    code: str
    message: str
    holds: Callable[[Facts], bool]
    params: Callable[[Facts], Mapping[str, Any]] = field(default=lambda facts: {})
    #: the input the refusal is about, when there is one (``amount_fen``)
    field: str | None = None
    #: the domain error raised (its HTTP status follows): a rule (409) unless the input is at fault
    error: type[FupinError] = RuleViolation
    #: machine-readable details added to the error body (``{"duplicates": [12, 15]}``)
    extra: Callable[[Facts], Mapping[str, Any]] | None = None

    def refusal(self, facts: Facts) -> FupinError:
        error = self.error(_(self.message, **self.params(facts)), code=self.code, field=self.field)
        if self.extra is not None:
            error.extra = dict(self.extra(facts))  # type: ignore[attr-defined]
        return error


@dataclass(frozen=True)
class Transition(Generic[Facts]):
    state: str
    action: str
    to: str
    #: The policy action a person needs in the object's scope; None: only the system makes it.
    permission: str | None = None
    reason_required: bool = False
    guards: tuple[Guard[Facts], ...] = ()

    def failed_guard(self, facts: Facts) -> Guard[Facts] | None:
        """The first guard that does not hold on ``facts``, or None."""
        return next((g for g in self.guards if not g.holds(facts)), None)


@dataclass(frozen=True)
class Refusal:
    """A (state, action) the table refuses with its own words: a ``RuleViolation`` with ``code``
    when given (the action is meaningful but already done, e.g. "already confirmed"), else an
    ``InvalidTransition`` with ``message``."""

    state: str
    action: str
    message: str
    code: str | None = None


class StateMachine(Generic[Facts]):
    """One lifecycle: its states, the labels shown for them and its transitions."""

    def __init__(
        self,
        name: str,
        states: Sequence[str],
        transitions: Iterable[Transition[Facts]],
        *,
        state_labels: Mapping[str, str] | None = None,
        action_labels: Mapping[str, str] | None = None,
        refusal: str = "当前状态为“%(state)s”，不能%(action)s。",
        refusals: Iterable[Refusal] = (),
    ) -> None:
        """``refusal``: the message id of the error for an action the state does not allow,
        with ``%(state)s`` and ``%(action)s`` (the labels)."""
        self.name = name
        self.refusal = refusal
        self.refusals = {(r.state, r.action): r for r in refusals}
        self.states = tuple(states)
        self.state_labels = dict(state_labels or {})
        self.action_labels = dict(action_labels or {})
        self.rows: dict[tuple[str, str], tuple[Transition[Facts], ...]] = {}
        for t in transitions:
            if t.state not in self.states or t.to not in self.states:
                raise ValueError(f"{name}: {t.state} → {t.to} names a state not in the machine")
            key = (t.state, t.action)
            if key in self.rows and not (t.guards and all(r.guards for r in self.rows[key])):
                raise ValueError(f"{name}: rows for ({t.state}, {t.action}) need guards to differ")
            self.rows[key] = (*self.rows.get(key, ()), t)

    @property
    def actions(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _state, action in self.rows:
            seen.setdefault(action, None)
        return tuple(seen)

    def get(self, state: str, action: str) -> Transition[Facts] | None:
        """The (first) row for ``action`` from ``state``; rows that differ only by guards (the
        target depends on the facts, e.g. a payment that completes a pledge) share a key."""
        rows = self.rows.get((state, action))
        return rows[0] if rows else None

    def states_allowing(self, action: str) -> tuple[str, ...]:
        """The states from which ``action`` is possible (for queries: "lapse the open ones")."""
        return tuple(dict.fromkeys(s for (s, a) in self.rows if a == action))

    def permissions_for(self, action: str) -> frozenset[str]:
        """Every policy action some row of ``action`` requires (empty for system actions)."""
        return frozenset(
            t.permission
            for rows in self.rows.values()
            for t in rows
            if t.action == action and t.permission
        )

    def from_state(self, state: str, order: Sequence[str] | None = None) -> list[Transition[Facts]]:
        """The transitions leaving ``state`` that a person can ask for, in ``order`` of action."""
        actions = order if order is not None else self.actions
        return [t for a in actions if (t := self.get(state, a)) is not None and t.permission]

    def permission(self, action: str) -> str:
        """The one policy action every row of ``action`` requires (checked before the state, so
        a person without it learns nothing about the object)."""
        (found,) = self.permissions_for(action)
        return found

    def targets(self, state: str, action: str) -> tuple[str, ...]:
        """Every state ``action`` can lead to from ``state`` (for documentation and tests)."""
        return tuple(t.to for t in self.rows.get((state, action), ()))

    def check(
        self, state: str, action: str, facts: Facts | None = None, *, reason: str | None = None
    ) -> Transition[Facts]:
        """The row for (``state``, ``action``) whose guards hold on ``facts``; refuses with the
        domain error the API and pages map (409, or 422 for a missing reason)."""
        rows = self.rows.get((state, action), ())
        if not rows and (refused := self.refusals.get((state, action))) is not None:
            if refused.code is not None:
                raise RuleViolation(_(refused.message), code=refused.code)
            raise InvalidTransition(_(refused.message), state=state, action=action)
        if not rows:
            raise InvalidTransition(
                _(
                    self.refusal,
                    state=_(self.state_labels.get(state, state)),
                    action=_(self.action_labels.get(action, action)),
                ),
                state=state,
                action=action,
            )
        if rows[0].reason_required and reason is not None and not reason.strip():
            raise InvalidInput(_("请填写原因或说明。"), field="reason", code="required")
        if facts is None:
            return rows[0]
        for row in rows:
            if row.failed_guard(facts) is None:
                return row
        guard = rows[0].failed_guard(facts)
        assert guard is not None
        raise guard.refusal(facts)
