"""A county keeps its villages (issue 15 point 2): it adds a village the registry lacks under one
of its townships, renames one, marks one merged into another — each a RegionChange and an audit
row, needs and money staying with their village — and the province office sees the changes.
Bad input is refused naming the field, with nothing written."""

from __future__ import annotations

import pytest

from fupin.core.models import AuditLog
from fupin.needs.models import Need
from fupin.regions.models import Region, RegionChange
from tests.money.support import make_need
from tests.support.world import CSRF

TOWNSHIP = "532627101"  # 莲城镇, 广南县
BEINING = "532627101001"  # 北宁社区
LIANHU = "532627101002"  # 莲湖社区
HUOPU = "513431105201"  # 火普村, 昭觉县


def form(**fields: str) -> dict[str, str]:
    return {"csrf_token": CSRF, **fields}


@pytest.mark.both_databases
async def test_a_county_adds_renames_and_merges_its_villages(client_as, world) -> None:
    officer = client_as("county_officer")  # 广南县
    need = await make_need(await Region.get(code=BEINING), title="北宁社区活动室")

    added = await officer.post(
        "/regions/532627/villages",
        data=form(township_code=TOWNSHIP, code="532627101950", name="新寨村"),
    )
    assert added.status_code == 303, added.text[:400]
    new = await Region.get(code="532627101950")
    assert (new.name, new.level, new.parent_id, new.origin) == (
        "新寨村",
        "village",
        TOWNSHIP,
        "county",
    )
    assert new.county_code == "532627" and new.full_name.endswith("莲城镇 新寨村")

    renamed = await officer.post(
        "/regions/532627/villages/rename", data=form(village=BEINING, new_name="北宁新区社区")
    )
    assert renamed.status_code == 303, renamed.text[:400]
    beining = await Region.get(code=BEINING)
    assert beining.name == "北宁新区社区" and beining.full_name.endswith(" 北宁新区社区")

    merged = await officer.post(
        "/regions/532627/villages/merge", data=form(merged=BEINING, into=LIANHU)
    )
    assert merged.status_code == 303, merged.text[:400]
    assert (await Region.get(code=BEINING)).merged_into_id == LIANHU
    # the need and its money stay with their village
    assert (await Need.get(id=need.id)).region_id == BEINING

    changes = await RegionChange.all().order_by("id").values_list("region_id", "action")
    assert changes == [
        ("532627101950", "added"),
        (BEINING, "renamed"),
        (BEINING, "merged"),
    ]
    rename = await RegionChange.get(action="renamed")
    assert rename.before["name"] == "北宁社区" and rename.after["name"] == "北宁新区社区"
    audited = await AuditLog.filter(object_type="region").values_list("action", flat=True)
    assert sorted(audited) == ["region.added", "region.merged", "region.renamed"]

    # the picker no longer offers the merged village; the public page says where it went
    found = (await officer.get("/api/v1/regions", params={"level": "village", "q": "北宁"})).json()[
        "items"
    ]
    assert BEINING not in [r["code"] for r in found]
    page = await client_as(None).get(f"/regions/{BEINING}")
    assert "已并入" in page.text and f"/regions/{LIANHU}" in page.text

    # the province office of 云南 sees the changes; the county's list shows them too
    office = client_as("province_office")
    seen = await office.get("/regions/changes")
    assert seen.status_code == 200
    assert "新寨村" in seen.text, seen.text[seen.text.find("<h1") : seen.text.find("<h1") + 1500]
    assert "北宁新区社区" in seen.text, seen.text[
        seen.text.find("<tbody") : seen.text.find("<tbody") + 3000
    ]
    assert "莲湖社区" in seen.text
    listing = await officer.get("/regions/532627/villages", params={"township": TOWNSHIP})
    assert listing.status_code == 200 and "新寨村" in listing.text


BAD = [
    # (path, fields, field named in the error)
    (
        "/regions/532627/villages",
        {"township_code": "53262710", "code": "532627101950", "name": "新寨村"},
        "township_code",
    ),
    (
        "/regions/532627/villages",
        {"township_code": "532627999", "code": "532627999950", "name": "新寨村"},
        "township_code",
    ),
    (
        "/regions/532627/villages",
        {"township_code": "513431105", "code": "513431105950", "name": "新寨村"},
        None,
    ),
    (
        "/regions/532627/villages",
        {"township_code": TOWNSHIP, "code": "53262710195", "name": "新寨村"},
        "code",
    ),
    (
        "/regions/532627/villages",
        {"township_code": TOWNSHIP, "code": "532627102950", "name": "新寨村"},
        "code",
    ),
    (
        "/regions/532627/villages",
        {"township_code": TOWNSHIP, "code": LIANHU, "name": "新寨村"},
        "code",
    ),
    (
        "/regions/532627/villages",
        {"township_code": TOWNSHIP, "code": "532627101950", "name": "莲湖社区"},
        "name",
    ),
    (
        "/regions/532627/villages",
        {"township_code": TOWNSHIP, "code": "532627101950", "name": ""},
        "name",
    ),
    ("/regions/532627/villages/rename", {"village": "5326271x1001", "new_name": "新名"}, "village"),
    ("/regions/532627/villages/rename", {"village": "532627101999", "new_name": "新名"}, "village"),
    ("/regions/532627/villages/rename", {"village": HUOPU, "new_name": "新名"}, None),
    ("/regions/532627/villages/rename", {"village": BEINING, "new_name": "莲湖社区"}, "new_name"),
    ("/regions/532627/villages/merge", {"merged": BEINING, "into": HUOPU}, "into"),
    ("/regions/532627/villages/merge", {"merged": BEINING, "into": "12"}, "into"),
    ("/regions/532627/villages/merge", {"merged": BEINING, "into": BEINING}, "into"),
    ("/regions/532627/villages/merge", {"merged": HUOPU, "into": BEINING}, None),
]


@pytest.mark.both_databases
async def test_bad_edits_are_refused_naming_the_field_and_write_nothing(client_as, world) -> None:
    officer = client_as("county_officer")
    for path, fields, field in BAD:
        response = await officer.post(path, data=form(**fields))
        where = f"{path} {fields}"
        if field is None:  # another county's village or township
            assert response.status_code == 403, where
            continue
        assert response.status_code in (404, 409, 422), (where, response.status_code)
        assert f'id="error-{field}"' in response.text, where
        for value in fields.values():
            if value:
                assert f'value="{value}"' in response.text, (where, value)  # kept
    assert not await RegionChange.exists()
    assert not await AuditLog.filter(object_type="region").exists()
    assert not await Region.exists(code="532627101950")
    assert (await Region.get(code=BEINING)).name == "北宁社区"


@pytest.mark.both_databases
async def test_only_the_county_edits_and_offices_read_the_changes(client_as, world) -> None:
    for key in ("village_worker", "province_office", "participant_member"):
        refused = await client_as(key).post(
            "/regions/532627/villages/rename", data=form(village=BEINING, new_name="新名")
        )
        assert refused.status_code == 403, key
    other = await client_as("other_county_officer").get("/regions/532627/villages")
    assert other.status_code == 403
    assert (await client_as("county_officer").get("/regions/changes")).status_code == 403


async def test_the_navigation_leads_to_the_village_list_and_the_changes(client_as, world) -> None:
    county = await client_as("county_officer").get("/account")
    assert 'href="/regions/532627/villages"' in county.text
    office = await client_as("province_office").get("/account")
    assert 'href="/regions/changes"' in office.text


@pytest.mark.both_databases
async def test_a_reload_reports_the_county_edits_and_keeps_them(
    client_as, world, subset_dir
) -> None:
    from fupin.accounts.service.reference import load_all

    officer = client_as("county_officer")
    await officer.post(
        "/regions/532627/villages/rename", data=form(village=BEINING, new_name="北宁新区社区")
    )
    await officer.post(
        "/regions/532627/villages",
        data=form(township_code=TOWNSHIP, code="532627101950", name="新寨村"),
    )
    counts = await load_all(subset_dir)
    assert counts.villages_created == 0, counts
    assert any(
        line.startswith(f"{BEINING} 北宁新区社区: renamed here") for line in counts.differences
    )
    assert any(
        line.startswith("532627101950 新寨村: not in this edition") for line in counts.differences
    )
    assert (await Region.get(code=BEINING)).name == "北宁新区社区"
    assert await Region.exists(code="532627101950")
