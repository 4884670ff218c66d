"""Public place pages down to the village (issue 15 point 5): a village's needs, the money it
received, the pledges of its county's pair partners and its deliveries; townships and counties
show theirs; the needs search finds needs by the names of their places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.money.models import Pledge
from fupin.needs.models import Need, NeedEvent
from tests.money.support import make_need
from tests.support.world import valid_uscc

HUOPU = "513431105201"  # 火普村, 解放沟镇, 昭觉县


async def huopu_story() -> tuple[Need, Need, Participant]:
    from fupin.regions.models import Region

    village = await Region.get(code=HUOPU)
    road = await make_need(village, title="火普村通组道路硬化", target_fen=50_000_00)
    await Need.filter(id=road.id).update(received_fen=12_345_00, pledged_fen=20_000_00)
    water = await make_need(village, title="火普村安全饮水工程", state="completed")
    await NeedEvent.create(
        need_id=water.id,
        action="deliver",
        from_state="in_progress",
        to_state="completed",
        reason="蓄水池一座已建成并通过验收",
        at=datetime(today_cn().year, 1, 5, tzinfo=UTC),
    )
    await make_need(village, title="火普村草稿需求", state="draft")
    partner = await Participant.create(
        kind="east_partner", name="佛山市对口帮扶办", uscc=valid_uscc("11440600MB0111111")
    )
    pair = await Pair.create(
        kind="east_west", helper_id=partner.id, helped_region_id="513431", start_year=2021
    )
    await Pledge.create(
        need_id=road.id,
        participant_id=partner.id,
        pair_id=pair.id,
        amount_fen=20_000_00,
        committed_fen=20_000_00,
        due_date=today_cn() + timedelta(days=30),
    )
    return road, water, partner


@pytest.mark.both_databases
async def test_the_public_village_page_shows_needs_money_pledges_and_deliveries(
    client, world
) -> None:
    road, water, _ = await huopu_story()
    page = await client.get(f"/regions/{HUOPU}")
    assert page.status_code == 200
    text = page.text
    assert "火普村通组道路硬化" in text and f"/needs/{road.id}" in text
    assert "火普村安全饮水工程" in text
    assert "火普村草稿需求" not in text  # a draft is not public
    assert "12,345" in text  # money received
    assert "佛山市对口帮扶办" in text  # the pledge of the county's pair partner
    assert "蓄水池一座已建成并通过验收" in text  # the delivery


@pytest.mark.both_databases
async def test_township_and_county_pages_show_their_villages_needs(client, world) -> None:
    await huopu_story()
    for code in ("513431105", "513431"):
        page = await client.get(f"/regions/{code}")
        assert page.status_code == 200
        assert "火普村通组道路硬化" in page.text and "佛山市对口帮扶办" in page.text
    elsewhere = await client.get("/regions/532627")
    assert "火普村通组道路硬化" not in elsewhere.text


@pytest.mark.both_databases
async def test_an_anonymous_partner_pledge_is_shown_without_its_name(client, world) -> None:
    await huopu_story()
    await Pledge.all().update(anonymous=True)
    page = await client.get(f"/regions/{HUOPU}")
    assert "佛山市对口帮扶办" not in page.text and "匿名" in page.text


async def test_the_needs_search_finds_a_need_by_its_village_township_and_county(
    app, client, world
) -> None:
    from fupin.accounts.service.users import actor_for
    from fupin.needs.service.drafting import draft_need
    from fupin.needs.service.lifecycle import transition_need
    from tests.needs.search_support import DESCRIPTION, drain
    from tests.support.world import make_user

    officer = await actor_for(await make_user("county_officer", "zj_search", region="513431"))
    need = await draft_need(
        officer,
        {
            "region_code": HUOPU,
            "category": "drinking_water",
            "title": "安全饮水巩固提升",  # no place name in the title or the description
            "description": DESCRIPTION,
            "target_yuan": "120000",
            "beneficiary_households": 40,
            "beneficiary_people": 160,
            "deadline": (today_cn() + timedelta(days=120)).isoformat(),
        },
    )
    for action in ("submit", "publish"):
        await transition_need(officer, need.id, action, acknowledge_duplicates=True)
    await drain(app)
    for name in ("火普村", "解放沟镇", "昭觉县"):
        body = (await client.get("/api/v1/needs", params={"q": name})).json()
        assert need.id in [n["id"] for n in body["items"]], name
        page = await client.get("/needs", params={"q": name}, follow_redirects=True)
        assert f"/needs/{need.id}" in page.text, name
