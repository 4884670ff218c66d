"""The demo's needs as search documents, without a database: the same text generator, the same
category and state shares and the same random stream per need as ``fupin demo``, placed over
real counties and townships (passed in) in invented villages.

Used where the search must be judged or timed against what the demo really looks like: the
relevance set of the test suite (2,000 needs, the demo's default) and the search benchmarks
(100,000). Pure: the caller reads the region files.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fupin.core.categories import CATEGORIES
from fupin.demo.rules.places import county_weights, village_name
from fupin.demo.rules.texts import need_text
from fupin.search.rules.documents import amount_band
from fupin.search.rules.settings_data import SearchSettings

#: The demo's seed (the year 中办发〔2013〕25号 was published).
SEED = 2014
#: Category shares: infrastructure and industry dominate county project lists.
CATEGORY_WEIGHTS: dict[str, int] = {
    "roads": 14,
    "drinking_water": 13,
    "electricity": 6,
    "housing": 11,
    "industry": 15,
    "tourism": 5,
    "education": 11,
    "health": 8,
    "culture": 6,
    "informatization": 6,
    "other": 5,
}
#: Shares of the public states (the index holds nothing else): most needs are still collecting.
PUBLIC_STATE_WEIGHTS: dict[str, int] = {
    "published": 40,
    "funded": 10,
    "in_progress": 12,
    "completed": 7,
    "closed": 10,
}
#: Villages that post needs in a county (the demo's few active villages per county).
VILLAGES_PER_COUNTY = 12


def weighted(rng: random.Random, weights: Mapping[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_documents(
    n: int,
    counties: Sequence[Mapping[str, str]],
    townships: Mapping[str, Sequence[str]],
    settings: SearchSettings,
    *,
    seed: int = SEED,
    first_id: int = 1,
    today: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """``n`` public demo needs as search documents (fupin.search.rules.documents.FIELDS),
    ids from ``first_id``. ``counties``: rows with code, name, province, prefecture,
    special_area (data/poverty_counties.csv); ``townships``: county code → township names."""
    usable = [c for c in counties if townships.get(c["code"])]
    weights = county_weights([c["code"] for c in usable], seed)
    now = today or datetime(2026, 6, 1, tzinfo=UTC)
    for i in range(n):
        place = random.Random(f"{seed}:place:{i}")
        county = place.choices(usable, weights)[0]
        slot = place.randrange(VILLAGES_PER_COUNTY)
        village_rng = random.Random(f"{seed}:village:{county['code']}:{slot}")
        village = village_name(village_rng)
        township = village_rng.choice(list(townships[county["code"]]))
        rng = random.Random(f"{seed}:{i}")
        category = weighted(rng, CATEGORY_WEIGHTS)
        state = weighted(rng, PUBLIC_STATE_WEIGHTS)
        text = need_text(
            category, county=county["name"], township=township, village=village, rng=rng
        )
        target = text.target_fen
        pledged = target
        if state == "published":
            share = rng.choice((0, 0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85))
            pledged = int(target * share) // 10_000 * 10_000
        received = pledged if state in ("completed", "closed") else pledged // 2
        published = now - timedelta(days=rng.randint(20, 330), minutes=rng.randint(0, 1440))
        deadline = (now + timedelta(days=rng.randint(-120, 300))).date()
        need_id = first_id + i
        yield {
            "id": need_id,
            "title": text.title,
            "description": text.description,
            "items": " ".join(dict.fromkeys(item.name for item in text.items)),
            "category": category,
            "category_label": CATEGORIES[category],
            "state": state,
            "province": county["province"],
            "province_code": county["code"][:2] + "0000",
            "prefecture": county["prefecture"],
            "county": county["name"],
            "county_code": county["code"],
            "township": township,
            "village": village,
            "contiguous_area": county.get("special_area", ""),
            "is_poverty_county": True,
            "target_fen": target,
            "pledged_fen": pledged,
            "received_fen": received,
            "open_fen": max(target - pledged, 0),
            "amount_band": amount_band(target, settings),
            "deadline": deadline.isoformat(),
            "deadline_ts": int(
                datetime(deadline.year, deadline.month, deadline.day, tzinfo=UTC).timestamp()
            ),
            "published_ts": int(published.timestamp()),
            "beneficiary_people": text.people,
            "beneficiary_households": text.households,
        }
