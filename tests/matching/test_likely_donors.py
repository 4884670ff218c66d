"""Likely donors for a need (the reverse ranking): who is listed, the reasons shown
are true, and anonymous giving never shows up in what the offices see."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.matching.service import likely_donors, marks, recommendations
from tests.matching.support import WAN, actor, member_of, need, pair, pledge
from tests.support.world import OTHER_COUNTY


async def _listing(world, target) -> dict[int, dict[str, str]]:  # type: ignore[no-untyped-def]
    result = await likely_donors.likely_donors(await actor(world, "county_officer"), target.id)
    return {i.participant.id: {r.code: r.text for r in i.reasons} for i in result.items}


@pytest.mark.both_databases
async def test_the_pair_the_province_donors_and_stated_interests_are_listed_with_true_reasons(
    world,
) -> None:
    unit = world.participants["central_unit"]
    await pair(unit, world.village.county_code)
    fund = world.participants["social_org"]
    fund.stated_categories = ["drinking_water"]
    await fund.save()
    company = await actor(world, "participant_member")  # the enterprise
    past = await need(
        world.village, category="drinking_water", title="往年饮水", target_fen=50 * WAN
    )
    await pledge(company, past, 10 * WAN)
    target = await need(world.village, category="drinking_water", target_fen=20 * WAN)
    elsewhere = await need(world.other_village, category="drinking_water")

    listed = await _listing(world, target)
    enterprise = world.participants["enterprise"].id
    assert listed[unit.id] == {"pair_helps_county": "其结对帮扶覆盖广南县"}
    assert listed[enterprise]["funded_category_in_province"] == "曾在本省资助饮水安全项目"
    assert listed[enterprise]["funded_in_county"] == "曾在广南县捐赠"
    assert listed[enterprise]["similar_pledge_size"] == "通常每笔认捐约 ¥100,000，与缺口相近"
    assert listed[fund.id] == {"interested_in_category": "关注饮水安全"}
    # Participants with no tie to the need are not listed, honour rate or not.
    assert world.participants["military"].id not in listed
    # Every participant whose pair in force covers 广南县 (the test's and the real 上海–云南
    # east–west pair of the reference data) is listed with the pair reason, and no one else.
    year = today_cn().year
    covering = {
        p.helper_id
        for p in await Pair.filter(helped_region_id__in=["532627", "532600", "530000"])
        if p.start_year <= year and (p.end_year is None or p.end_year >= year)
    }
    assert len(covering) >= 2
    assert {pid for pid, r in listed.items() if "pair_helps_county" in r} == covering
    # Elsewhere (四川): the 云南 history and the 广南 pair do not count.
    officer_there = await actor(world, "other_county_officer")
    there = await likely_donors.likely_donors(officer_there, elsewhere.id)
    codes = {i.participant.id: {r.code for r in i.reasons} for i in there.items}
    assert unit.id not in codes and enterprise not in codes
    assert codes[fund.id] == {"interested_in_category"}


async def test_anonymous_giving_never_appears_in_what_the_offices_see(world) -> None:
    company = await actor(world, "participant_member")
    past = await need(world.village, category="roads", title="往年道路", target_fen=50 * WAN)
    await pledge(company, past, 10 * WAN, anonymous=True)
    target = await need(world.village, category="roads")
    listed = await _listing(world, target)
    assert world.participants["enterprise"].id not in listed
    # The donor's own recommendations still learn from its anonymous gift.
    own = await recommendations.recommendations_for(company.participant_id)  # type: ignore[arg-type]
    codes = {r.code for r in own.items[0].reasons}
    assert {"funded_before_category", "funded_before_region"} <= codes


async def test_donors_who_pledged_or_waved_the_need_off_are_not_listed(world) -> None:
    unit = world.participants["central_unit"]
    partner = world.participants["east_partner"]
    await pair(unit, world.village.county_code)
    await pair(partner, "530000", kind="east_west")
    target = await need(world.village)
    unit_member = await member_of(unit, "unit_member")
    partner_member = await member_of(partner, "partner_member")
    assert {unit.id, partner.id} <= set(await _listing(world, target))
    await pledge(unit_member, target, 1 * WAN)
    await marks.mark_not_for_us(partner_member, target.id)
    listed = await _listing(world, target)
    assert unit.id not in listed and partner.id not in listed


async def test_the_honour_rate_shown_counts_named_pledges_only(world) -> None:
    from fupin.money.models import Pledge
    from tests.matching.support import days

    company = await actor(world, "participant_member")
    past = await need(world.village, title="往年道路", target_fen=90 * WAN)
    named = await pledge(company, past, 10 * WAN)
    hidden = await pledge(company, past, 10 * WAN, anonymous=True)
    # One named pledge honoured, one anonymous lapsed: the office sees 100 %, not 50 %.
    await Pledge.filter(id=named.id).update(state="honoured", paid_fen=10 * WAN)
    await Pledge.filter(id=hidden.id).update(state="lapsed", due_date=days(-10))
    target = await need(world.village)
    listed = await _listing(world, target)
    assert listed[world.participants["enterprise"].id]["honour_rate"] == "认捐兑现率 100%"


async def test_stated_region_interest(world) -> None:
    person = world.participants["individual"]
    person.stated_region_codes = [OTHER_COUNTY]
    await person.save()
    target = await need(world.other_village)
    result = await likely_donors.likely_donors(
        await actor(world, "other_county_officer"), target.id
    )
    reasons = {i.participant.id: [r.text for r in i.reasons] for i in result.items}
    assert reasons[person.id] == ["关注昭觉县所在地区"]


async def test_a_funded_need_lists_nobody(world, client_as) -> None:
    await pair(world.participants["central_unit"], world.village.county_code)
    funded = await need(world.village, state="funded", pledged_fen=20 * WAN)
    body = (
        await client_as("county_officer").get(f"/api/v1/needs/{funded.id}/likely-donors")
    ).json()
    assert body["open"] is False and body["items"] == []
    page = await client_as("county_officer").get(f"/needs/{funded.id}/likely-donors")
    assert "无需再邀请捐赠方" in page.text
    assert await Participant.all().count() > 0
