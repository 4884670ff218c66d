"""The village picker beyond the need form (issue 15 point 4): a county creates a village
worker's account by finding the village by name, and the public need list filters by a village
found by name — both without JavaScript (a GET search step that lists the matches)."""

from __future__ import annotations

import pytest

from fupin.accounts.models import User
from fupin.regions.models import Region
from tests.money.support import make_need
from tests.support.world import CSRF

BEINING = "532627101001"  # 北宁社区, 莲城镇, 广南县
HUOPU = "513431105201"  # 火普村, 解放沟镇, 昭觉县


@pytest.mark.both_databases
async def test_a_county_creates_a_village_worker_for_a_village_found_by_name(
    client_as, world
) -> None:
    officer = client_as("county_officer")  # 广南县
    page = await officer.get("/admin/users/new", params={"place_q": "北宁"})
    assert page.status_code == 200
    assert f'name="region_code" value="{BEINING}"' in page.text and "莲城镇 北宁社区" in page.text
    outside = await officer.get("/admin/users/new", params={"place_q": "火普"})
    assert HUOPU not in outside.text and "没有找到" in outside.text
    created = await officer.post(
        "/admin/users",
        data={
            "csrf_token": CSRF,
            "username": "beining_worker",
            "display_name": "北宁社区 工作人员",
            "role": "village_worker",
            "region_code": BEINING,
            "participant_id": "",
        },
    )
    assert created.status_code == 200, created.text[:300]
    assert (await User.get(username="beining_worker")).region_id == BEINING


@pytest.mark.both_databases
async def test_the_need_list_filters_by_a_village_found_by_name(client, world) -> None:
    beining = await make_need(await Region.get(code=BEINING), title="北宁社区活动室")
    other = await make_need(world.village, title="石门村道路")
    found = await client.get("/needs", params={"place_q": "北宁"})
    assert found.status_code == 200
    assert f"/needs?region={BEINING}" in found.text.replace("&amp;", "&")
    listing = await client.get("/needs", params={"region": BEINING})
    assert listing.status_code == 200
    assert f"/needs/{beining.id}" in listing.text and f"/needs/{other.id}" not in listing.text
    assert "北宁社区" in listing.text  # the chosen village is named
