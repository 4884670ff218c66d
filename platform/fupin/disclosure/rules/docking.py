"""Docking figures (对接率), the headline figure of the national social poverty-alleviation
platform: how many published needs found their donors, and how fast (docs/domain.md §3.10).

For the needs published in a period, by province, county or category:

* **docking rate**: the share fully pledged (active pledges cover the target; a need in kind
  only counts when it reached "funded" or later), in hundredths of a percent;
* **median days to first pledge**: from publication to the first pledge, over the needs that
  have one;
* **median days to funded**: from publication to the first time the need became fully pledged
  (its first move to "funded"), over the needs that got there.

Days are whole days of elapsed time (a pledge 30 hours after publication is day 1). The median of
an even count is the mean of the two middle values, rounded down to a tenth of a day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: The states a need reaches once fully pledged.
FUNDED_STATES = ("funded", "in_progress", "completed", "closed")
GROUPINGS = ("province", "county", "category")


@dataclass(frozen=True)
class NeedDocking:
    """One published need's facts for the figures."""

    province_code: str
    county_code: str
    category: str
    published_at: datetime
    target_fen: int
    pledged_fen: int
    state: str
    first_pledge_at: datetime | None
    funded_at: datetime | None

    @property
    def fully_pledged(self) -> bool:
        if self.state in FUNDED_STATES or self.funded_at is not None:
            return True
        return self.target_fen > 0 and self.pledged_fen >= self.target_fen


@dataclass
class DockingFigure:
    key: str
    needs: int = 0
    fully_pledged: int = 0
    days_to_first_pledge: list[int] = field(default_factory=list)
    days_to_funded: list[int] = field(default_factory=list)

    @property
    def rate_pct_x100(self) -> int | None:
        return self.fully_pledged * 10_000 // self.needs if self.needs else None

    @property
    def median_days_to_first_pledge_x10(self) -> int | None:
        return median_x10(self.days_to_first_pledge)

    @property
    def median_days_to_funded_x10(self) -> int | None:
        return median_x10(self.days_to_funded)

    @property
    def pledged_needs(self) -> int:
        return len(self.days_to_first_pledge)


def whole_days(start: datetime, end: datetime) -> int:
    """Elapsed whole days from ``start`` to ``end`` (never negative)."""
    return max(0, (end - start).days)


def median_x10(values: Sequence[int]) -> int | None:
    """The median in tenths of a day (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid] * 10
    return (ordered[mid - 1] + ordered[mid]) * 10 // 2


def _add(figure: DockingFigure, need: NeedDocking) -> None:
    figure.needs += 1
    if need.fully_pledged:
        figure.fully_pledged += 1
    if need.first_pledge_at is not None:
        figure.days_to_first_pledge.append(whole_days(need.published_at, need.first_pledge_at))
    if need.funded_at is not None:
        figure.days_to_funded.append(whole_days(need.published_at, need.funded_at))


def docking_figures(
    needs: Iterable[NeedDocking], by: str
) -> tuple[DockingFigure, list[DockingFigure]]:
    """The overall figure and one per ``by`` (province | county | category), largest first."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    total = DockingFigure("")
    groups: dict[str, DockingFigure] = defaultdict(lambda: DockingFigure(""))
    for need in needs:
        key = {"province": need.province_code, "county": need.county_code}.get(by, need.category)
        _add(total, need)
        figure = groups[key]
        figure.key = key
        _add(figure, need)
    ordered = sorted(groups.values(), key=lambda f: (-f.needs, f.key))
    return total, ordered
