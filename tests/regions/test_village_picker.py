"""The village picker: /api/v1/regions?q= finds villages by name within the caller's scope,
and the need form's search step works without JavaScript."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from fupin.needs.models import Need
from tests.support.world import CSRF, LoggedInClient, make_user

HUOPU = "513431105201"  # 火普村, 解放沟镇, 昭觉县


@pytest.mark.both_databases
async def test_typing_part_of_a_name_finds_the_village_with_its_township(client, world) -> None:
    body = (await client.get("/api/v1/regions", params={"level": "village", "q": "火普"})).json()
    assert [r["code"] for r in body["items"]] == [HUOPU]
    assert body["items"][0]["full_name"].endswith("昭觉县 解放沟镇 火普村")
    anywhere = (await client.get("/api/v1/regions", params={"q": "火普"})).json()
    assert HUOPU in [r["code"] for r in anywhere["items"]]
    towns = (await client.get("/api/v1/regions", params={"q": "解放沟"})).json()
    assert "513431105" in [r["code"] for r in towns["items"]]


@pytest.mark.both_databases
async def test_a_county_officer_finds_only_the_villages_of_the_county(client_as, world) -> None:
    guangnan = client_as("county_officer")  # 广南县
    outside = await guangnan.get("/api/v1/regions", params={"level": "village", "q": "火普"})
    assert outside.status_code == 200 and outside.json()["items"] == []
    # within the county a substring anywhere in the name matches (坝汪村 by 汪)
    inside = (await guangnan.get("/api/v1/regions", params={"level": "village", "q": "汪"})).json()
    assert inside["items"] and all(r["county_code"] == "532627" for r in inside["items"])


async def test_the_need_form_search_step_lists_matches_and_a_need_is_posted(app, world) -> None:
    import httpx

    from tests.conftest import TEST_SECRET
    from tests.support.world import session_cookie

    officer = await make_user("county_officer", "zhaojue", region="513431")
    client = LoggedInClient(
        secret=TEST_SECRET,
        user=officer,
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
    )
    async with client:
        page = await client.get("/needs/new", params={"place_q": "火普"})
        assert page.status_code == 200
        assert f'value="{HUOPU}"' in page.text and "解放沟镇 火普村" in page.text
        none = await client.get("/needs/new", params={"place_q": "不存在的村"})
        assert f'value="{HUOPU}"' not in none.text
        form = {
            "csrf_token": CSRF,
            "region_code": HUOPU,
            "category": "drinking_water",
            "title": "火普村安全饮水巩固提升工程",
            "description": "火普村饮水工程，新建蓄水池一座，铺设管网三公里，受益群众三百余人。预算按实测工程量计算。",
            "target_yuan": "386000",
            "deadline": (date.today() + timedelta(days=90)).isoformat(),
            "beneficiary_households": "80",
            "beneficiary_people": "320",
        }
        created = await client.post("/needs/new", data=form)
        errors = re.findall(r'<span class="field-error"[^>]*>([^<]*)</span>', created.text)
        assert created.status_code == 303, errors
    assert await Need.filter(region_id=HUOPU, title="火普村安全饮水巩固提升工程").exists()
