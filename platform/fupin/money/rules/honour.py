"""The honour rate — the one definition every page, export, dashboard, recommendation and
commendation round uses (docs/domain.md §3.5: "the honour rate (honoured / due) is computed per
participant, per pair and overall").

* A pledge **has come due** when it was honoured (paid in full, even before its due date), or
  lapsed, or is still open after its due date. A withdrawn pledge never counts: withdrawing
  before the due date is the donor's right, not a broken promise.
* The rate is honoured / come due, by count (whole basis points, rounded down), with the money
  promised and paid on those pledges beside it.
* In a period — a year of the dashboards, the five years of a commendation round — a pledge
  counts on the day its outcome was **settled**: the day it was honoured (the day the money
  that completed it was received), otherwise its due date. So a pledge paid early in 2024 but
  due in 2027 counts for 2024 (and for a 2021–2025 round), and one that lapsed counts in the
  period of its due date.

The SQL twins of these functions (``money.service.honour``) are written from the same
constants and checked against them by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.money.rules.states import OPEN_PLEDGE_STATES

BASIS_POINTS = 10_000
#: Closed states that count as come due (whatever the date).
CLOSED_DUE_STATES = ("honoured", "lapsed")


def has_come_due(state: str, due_date: date, today: date) -> bool:
    return state in CLOSED_DUE_STATES or (state in OPEN_PLEDGE_STATES and due_date < today)


def settled_on(state: str, due_date: date, honoured_on: date | None) -> date:
    """The day a come-due pledge counts in a period: the day it was honoured, else its due date."""
    if state == "honoured" and honoured_on is not None:
        return honoured_on
    return due_date


@dataclass(frozen=True)
class HonourRate:
    due_count: int = 0
    honoured_count: int = 0
    due_fen: int = 0
    paid_fen: int = 0

    def __add__(self, other: HonourRate) -> HonourRate:
        return HonourRate(
            self.due_count + other.due_count,
            self.honoured_count + other.honoured_count,
            self.due_fen + other.due_fen,
            self.paid_fen + other.paid_fen,
        )

    @property
    def rate_bp(self) -> int | None:
        """Honoured / come due in basis points, rounded down; None when nothing has come due."""
        if not self.due_count:
            return None
        return self.honoured_count * BASIS_POINTS // self.due_count

    @property
    def rate_percent(self) -> int | None:
        """The same rate in whole percent, rounded down."""
        rate = self.rate_bp
        return None if rate is None else rate // 100

    @property
    def amount_rate_percent(self) -> int | None:
        """Money paid on the pledges that came due / money they promised."""
        if not self.due_fen:
            return None
        return self.paid_fen * 100 // self.due_fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "due_count": self.due_count,
            "honoured_count": self.honoured_count,
            "rate_percent": self.rate_percent,
            "due_fen": self.due_fen,
            "paid_fen": self.paid_fen,
            "amount_rate_percent": self.amount_rate_percent,
        }
