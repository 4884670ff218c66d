"""How concentrated money is across places (pure): the Gini coefficient and the share of the
top tenth.

One definition for the dashboards (money across the 832 counties and across the registered poor
villages of a year) and for the matching simulation (``bench/matching_sim.py``), so that a
figure the simulation promises is the figure the poverty office reads. The top group is
ceil(10 % of the places), at least one — the dashboards' village concentration
(``alerts.top_share_pct_x100``) counts it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def gini(values: Sequence[int]) -> float:
    """Gini coefficient of non-negative amounts (0 = equal, → 1 = all in one place); 0 for no
    places or no money. Places that asked and got nothing must be passed as 0: leaving them out
    would hide the concentration the figure is there to show."""
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_share(values: Sequence[int], share: float = 0.1) -> float:
    """Share of the total held by the top ``share`` of places (at least one), ranked by amount."""
    total = sum(values)
    if not values or total <= 0:
        return 0.0
    top_n = max(1, math.ceil(len(values) * share))
    return sum(sorted(values, reverse=True)[:top_n]) / total
