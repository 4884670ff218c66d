"""Demo needs spread like a real year: a few counties with many needs, most with a few, most
villages with none (demo.rules.places)."""

from __future__ import annotations

import random
from collections import Counter

from fupin.demo.rules.places import active_villages, county_weights


def test_a_year_has_busy_counties_quiet_counties_and_villages_without_needs() -> None:
    codes = [f"{i:06d}" for i in range(831)]
    weights = county_weights(codes, 2014)
    rng = random.Random(1)
    per_county = Counter(rng.choices(codes, weights, k=2000))
    ranked = sorted((per_county[c] for c in codes), reverse=True)
    assert sum(ranked[:83]) > 0.3 * 2000  # the busiest tenth posts a third or more
    assert ranked[len(ranked) // 2] <= 3  # the median county a few
    villages = [f"v{i}" for i in range(200)]
    active, village_weights = active_villages(villages, "000001", 2014)
    assert 1 <= len(active) <= 0.2 * len(villages)
    picked = Counter(rng.choices(active, village_weights, k=50))
    assert picked.most_common(1)[0][1] >= 50 / len(active)  # one village posts most
    assert active_villages(villages, "000001", 2014)[0] == active  # a rerun picks the same
