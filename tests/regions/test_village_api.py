"""The village edits and the poor-village flag through the API: the same rules as the pages
(tests/regions/test_village_edits.py), errors naming the field, the offices' list of changes."""

from __future__ import annotations

import pytest

from fupin.regions.models import Region, RegionChange
from tests.support.world import CSRF

TOWNSHIP = "532627101"
BEINING = "532627101001"
LIANHU = "532627101002"
HUOPU = "513431105201"
H = {"X-CSRF-Token": CSRF}


@pytest.mark.both_databases
async def test_a_county_edits_its_villages_through_the_api(client_as, world) -> None:
    api = client_as("county_officer")
    added = await api.post(
        "/api/v1/regions/532627/villages",
        json={"township_code": TOWNSHIP, "code": "532627101950", "name": "新寨村"},
        headers=H,
    )
    assert added.status_code == 201, added.text
    assert added.json()["origin"] == "county" and added.json()["parent_code"] == TOWNSHIP
    renamed = await api.post(
        f"/api/v1/regions/{BEINING}/rename", json={"name": "北宁新区社区"}, headers=H
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "北宁新区社区"
    merged = await api.post(f"/api/v1/regions/{BEINING}/merge", json={"into": LIANHU}, headers=H)
    assert merged.status_code == 200 and merged.json()["merged_into_code"] == LIANHU
    flagged = await api.put(
        f"/api/v1/regions/{LIANHU}/poor-village",
        json={"is_poor": True, "identified_year": 2014, "exited_year": 2019},
        headers=H,
    )
    assert flagged.status_code == 200, flagged.text
    assert (flagged.json()["is_poor_village"], flagged.json()["poor_exited_year"]) == (True, 2019)
    changes = (await client_as("province_office").get("/api/v1/regions/changes")).json()
    assert [c["action"] for c in changes["items"]] == ["poor_flag", "merged", "renamed", "added"]


@pytest.mark.both_databases
async def test_bad_api_edits_name_the_field_and_write_nothing(client_as, world) -> None:
    api = client_as("county_officer")
    cases = [
        (
            "post",
            "/api/v1/regions/532627/villages",
            {"township_code": TOWNSHIP, "code": LIANHU, "name": "新寨村"},
            409,
            "code",
        ),
        ("post", f"/api/v1/regions/{BEINING}/rename", {"name": "莲湖社区"}, 409, "name"),
        ("post", f"/api/v1/regions/{BEINING}/merge", {"into": HUOPU}, 422, "into"),
        (
            "put",
            f"/api/v1/regions/{BEINING}/poor-village",
            {"is_poor": True, "identified_year": 2018, "exited_year": 2016},
            422,
            "exited_year",
        ),
        ("post", f"/api/v1/regions/{HUOPU}/rename", {"name": "新名"}, 403, None),
    ]
    for method, url, body, status, field in cases:
        response = await getattr(api, method)(url, json=body, headers=H)
        assert response.status_code == status, (url, response.text)
        if field:
            assert field in response.text, (url, response.text)
    assert not await RegionChange.exists()
    assert (await Region.get(code=BEINING)).name == "北宁社区"
    assert (await client_as("county_officer").get("/api/v1/regions/changes")).status_code == 403
