"""The whole shipped reference data loads on both databases with the documented counts."""

from __future__ import annotations

import pytest

from fupin import REPO_ROOT
from fupin.accounts.models import Pair
from fupin.accounts.service.reference import load_all
from fupin.regions.models import Region


@pytest.mark.both_databases
async def test_full_reference_data_loads_with_the_readme_counts(db) -> None:
    counts = await load_all(REPO_ROOT / "data")
    assert (counts.provinces, counts.prefectures, counts.counties) == (34, 333, 2846)
    assert counts.townships == 41352
    assert (counts.poverty_county_rows, counts.poverty_counties) == (832, 831)
    assert counts.special_area_counties == 174  # 74 + 77 + 24 listed; 冷湖/茫崖 share 632803
    assert (counts.pairs_east_west, counts.pairs_designated) == (73, 31)
    assert await Region.filter(level="county", is_poverty_county=True, sanqu_sanzhou=True).exists()
    # per-province counts of the data README (two listed units share one code in 青海)
    assert (
        await Region.filter(level="county", is_poverty_county=True, province_code="530000").count()
        == 88
    )
    assert (
        await Region.filter(level="county", is_poverty_county=True, province_code="540000").count()
        == 74
    )
    again = await load_all(REPO_ROOT / "data")
    assert again.regions_created == 0 and await Pair.all().count() == 104
