""" "Needs for you" from the database: what is recommended, and every reason shown on the page
and in the API is true of that need."""

from __future__ import annotations

import asyncio
import re
import statistics

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.matching.models import NotForUs
from fupin.matching.rules.weights import DEFAULT_WEIGHTS
from fupin.matching.service import marks, recommendations, snapshot
from fupin.money.models import Donation, Pledge
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.matching.support import WAN, actor, days, member_of, need, pair, pledge, second_village
from tests.support.world import CSRF, OTHER_COUNTY, make_village


async def _ids(participant_id: int, **kwargs: object) -> list[int]:
    result = await recommendations.recommendations_for(participant_id, **kwargs)  # type: ignore[arg-type]
    return [item.need.id for item in result.items]


async def test_designated_county_reason_appears_only_for_needs_in_the_pairs_county(
    world, client_as
) -> None:
    unit = world.participants["central_unit"]
    await pair(unit, world.village.county_code)  # 广南县
    here = await need(world.village, title="石门村通组道路硬化")
    there = await need(world.other_village, title="新庄村通组道路硬化")
    member = await member_of(unit, "unit_member")
    result = await recommendations.recommendations_for(member.participant_id)  # type: ignore[arg-type]
    reasons = {item.need.id: {r.code: r for r in item.reasons} for item in result.items}
    assert set(reasons) == {here.id, there.id}
    assert "in_paired_region" in reasons[here.id]
    assert reasons[here.id]["in_paired_region"].text == "在您定点帮扶的广南县"
    assert "in_paired_region" not in reasons[there.id]
    # The pair comes first (docs/domain.md §3.11): the paired need outranks the otherwise equal one.
    assert [i.need.id for i in result.items][0] == here.id


async def test_east_west_pair_over_a_whole_province_names_the_needs_county(world) -> None:
    partner = world.participants["east_partner"]
    await pair(partner, "530000", kind="east_west")  # 云南省
    here = await need(world.village)
    member = await member_of(partner, "east_member")
    result = await recommendations.recommendations_for(member.participant_id)  # type: ignore[arg-type]
    item = next(i for i in result.items if i.need.id == here.id)
    texts = [r.text for r in item.reasons]
    assert "在您东西部协作帮扶的广南县" in texts


async def test_a_pair_that_ended_last_year_gives_no_pair_reason(world) -> None:
    unit = world.participants["central_unit"]
    await pair(unit, world.village.county_code, start_year=2011, end_year=today_cn().year - 1)
    here = await need(world.village)
    member = await member_of(unit, "unit_member")
    result = await recommendations.recommendations_for(member.participant_id)  # type: ignore[arg-type]
    item = next(i for i in result.items if i.need.id == here.id)
    assert "in_paired_region" not in {r.code for r in item.reasons}


async def test_needs_that_are_not_public_or_not_open_are_never_recommended(world) -> None:
    donor = world.participants["enterprise"]
    visible = await need(world.village, title="公开且有缺口")
    hidden = [
        await need(world.village, title="草稿", state="draft"),
        await need(world.village, title="待审核", state="submitted"),
        await need(world.village, title="已退回", state="returned"),
        await need(world.village, title="已撤回", state="withdrawn"),
        await need(world.village, title="已过期", state="expired", deadline=days(-3)),
        await need(world.village, title="已过截止日", deadline=days(-1)),
        await need(world.village, title="已认捐满", state="funded", pledged_fen=20 * WAN),
        await need(world.village, title="认捐满仍公开", pledged_fen=20 * WAN),
        await need(world.village, title="已完成", state="completed", pledged_fen=20 * WAN),
    ]
    ids = await _ids(donor.id)
    assert ids == [visible.id]
    assert not set(ids) & {n.id for n in hidden}


async def test_a_need_pledged_to_already_is_not_recommended_again(world) -> None:
    donor = await actor(world, "participant_member")
    first = await need(world.village, title="甲")
    second = await need(world.other_village, title="乙")
    await pledge(donor, first, 5 * WAN)
    assert await _ids(donor.participant_id) == [second.id]  # type: ignore[arg-type]


async def test_not_for_us_removes_the_need_and_demotes_the_same_category_in_that_county(
    world,
) -> None:
    donor = await actor(world, "participant_member")
    pid = donor.participant_id
    assert pid is not None
    village2 = await second_village(world)
    marked = await need(world.village, title="石门村道路", category="roads")
    similar = await need(village2, title="新寨村道路", category="roads")
    other_category = await need(village2, title="新寨村饮水", category="drinking_water")
    before = {i.need.id: i.score for i in (await recommendations.recommendations_for(pid)).items}
    mark = await marks.mark_not_for_us(donor, marked.id, reason="不在资助范围")
    assert mark.reason == "不在资助范围"
    again = await marks.mark_not_for_us(donor, marked.id)  # idempotent
    assert again.id == mark.id and await NotForUs.filter(participant_id=pid).count() == 1
    after = {i.need.id: i.score for i in (await recommendations.recommendations_for(pid)).items}
    assert marked.id not in after
    assert after[similar.id] == pytest.approx(before[similar.id] - DEFAULT_WEIGHTS.dislike_penalty)
    assert after[other_category.id] == pytest.approx(before[other_category.id])
    assert await marks.undo_not_for_us(donor, marked.id)
    assert marked.id in await _ids(pid)


async def test_not_for_us_on_a_need_that_is_not_public_is_not_found_and_writes_nothing(
    world,
) -> None:
    donor = await actor(world, "participant_member")
    draft = await need(world.village, state="draft")
    from fupin.errors import NotFound

    with pytest.raises(NotFound):
        await marks.mark_not_for_us(donor, draft.id)
    with pytest.raises(NotFound):
        await marks.mark_not_for_us(donor, 999_999)
    assert await NotForUs.all().count() == 0


async def test_narrowing_by_category_and_province(world) -> None:
    donor = world.participants["enterprise"]
    roads_yunnan = await need(world.village, category="roads")
    water_yunnan = await need(world.village, category="drinking_water")
    roads_sichuan = await need(world.other_village, category="roads")
    narrowing = recommendations.check_narrowing("roads", None)
    assert set(await _ids(donor.id, narrowing=narrowing)) == {roads_yunnan.id, roads_sichuan.id}
    narrowing = recommendations.check_narrowing(None, "510000")
    assert await _ids(donor.id, narrowing=narrowing) == [roads_sichuan.id]
    narrowing = recommendations.check_narrowing("drinking_water", "530000")
    assert await _ids(donor.id, narrowing=narrowing) == [water_yunnan.id]


async def test_reasons_are_read_now_even_when_the_snapshot_is_older(world) -> None:
    """The open-needs snapshot is cached; the needs shown are re-read, so a pledge made after
    it was taken removes "no donor yet" and lowers the open amount at once."""
    donor = await actor(world, "participant_member")
    other = await actor(world, "other_participant_member")
    target = await need(world.village, target_fen=20 * WAN)
    first = await recommendations.recommendations_for(donor.participant_id)  # type: ignore[arg-type]
    codes = {r.code: r for r in first.items[0].reasons}
    assert "no_donor_yet_in_village" in codes
    assert codes["open_amount"].params["amount_fen"] == 20 * WAN
    await pledge(other, target, 5 * WAN)
    second = await recommendations.recommendations_for(donor.participant_id)  # type: ignore[arg-type]
    codes = {r.code: r for r in second.items[0].reasons}
    assert "no_donor_yet_in_village" not in codes
    assert codes["open_amount"].params["amount_fen"] == 15 * WAN
    assert codes["open_amount"].text == "还差 ¥150,000"
    # Fully pledged meanwhile: dropped although the snapshot still lists it as open.
    await pledge(other, target, 15 * WAN)
    assert await _ids(donor.participant_id) == []  # type: ignore[arg-type]


async def test_a_need_published_after_the_snapshot_is_recommended_at_once(world) -> None:
    donor = world.participants["enterprise"]
    early = await need(world.village, title="早")
    assert await _ids(donor.id) == [early.id]
    late = await need(world.other_village, title="晚", published_days_ago=0)
    assert set(await _ids(donor.id)) == {early.id, late.id}


async def test_unknown_participant_is_not_found(world) -> None:
    from fupin.errors import NotFound

    with pytest.raises(NotFound):
        await recommendations.recommendations_for(999_999)


# --- every reason shown is true --------------------------------------------------------------


async def _truth(participant: Participant, item: recommendations.RecommendedNeed) -> None:
    """Check each shown reason against the database, independently of the ranking code."""
    n = await Need.get(id=item.need.id)
    region = await Region.get(code=n.region_id)
    county = await Region.get(code=n.county_code)
    village = region.code if region.level == "village" else None
    codes_of_need = {n.region_id, n.county_code, n.province_code, county.prefecture_code}
    if region.parent_id:
        codes_of_need.add(region.parent_id)
    year = today_cn().year
    pairs = {
        p.helped_region_id
        for p in await Pair.filter(helper_id=participant.id)
        if p.start_year <= year and (p.end_year is None or p.end_year >= year)
    }
    mine = Pledge.filter(participant_id=participant.id)
    given = [p for p in await mine.prefetch_related("need") if p.committed_fen > 0]
    open_fen = n.target_fen - n.pledged_fen
    assert item.reasons, "every recommendation has at least one reason"
    for reason in item.reasons:
        p = reason.params
        assert reason.text and "%(" not in reason.text, reason
        match reason.code:
            case "in_paired_region":
                assert pairs & codes_of_need, reason
                assert p["county"] == county.name and county.name in reason.text
            case "stated_category":
                assert n.category in participant.stated_categories
            case "stated_region":
                assert set(participant.stated_region_codes) & codes_of_need
            case "funded_before_category":
                assert any(g.need.category == n.category for g in given)
            case "funded_before_region":
                if p["level"] == "county":
                    assert any(g.need.county_code == n.county_code for g in given)
                else:
                    assert any(g.need.province_code == n.province_code for g in given)
            case "closes_soon":
                assert p["days"] == (n.deadline - today_cn()).days
                assert 0 <= p["days"] <= DEFAULT_WEIGHTS.closes_soon_days
            case "fits_typical_pledge":
                amounts = [x.amount_fen for x in await mine.exclude(state="withdrawn")]
                assert p["amount_fen"] == int(statistics.median(amounts))
                assert p["amount_fen"] >= open_fen
            case "nearly_funded":
                assert p["percent"] == n.pledged_fen * 100 // n.target_fen >= 50
            case "many_beneficiaries_per_yuan":
                assert p["people"] == round(n.beneficiary_people * 1_000_000 / n.target_fen, 1)
            case "underserved_village":
                assert village is not None
                assert await _received(region_id=village) < await _village_mean()
            case "no_donor_yet_in_village":
                assert village is not None
                village_needs = Need.filter(region_id=village).values_list("id", flat=True)
                assert not await Pledge.filter(
                    need_id__in=await village_needs,
                    state__in=["pledged", "partially_paid", "honoured"],
                ).exists()
                assert not await Donation.filter(
                    need_id__in=await village_needs, state="confirmed", amount_fen__gt=0
                ).exists()
            case "underserved_county":
                assert await _received(county_code=n.county_code) < await _county_mean()
            case "pledge_matches_gap":
                amounts = [x.amount_fen for x in await mine.exclude(state="withdrawn")]
                typical = int(statistics.median(amounts))
                assert p == {"amount_fen": typical, "gap_fen": open_fen}
                assert 0.75 * open_fen <= typical < open_fen
            case "well_funded_village":
                assert village is not None
                assert await _received(region_id=village) > await _village_mean()
            case "well_funded_county":
                assert await _received(county_code=n.county_code) > await _county_mean()
            case "poverty_county":
                assert county.is_poverty_county
            case "sanqu_sanzhou":
                assert county.sanqu_sanzhou
            case "poor_village":
                assert village is not None
                assert (await Region.get(code=village)).is_poor_village
            case "open_amount":
                assert p["amount_fen"] == open_fen > 0
                yuan = f"{open_fen // 100:,}"
                assert re.search(rf"¥{yuan}\b", reason.text), reason.text
            case _:
                raise AssertionError(f"unexpected reason {reason}")


async def _received(**where: str) -> int:
    return sum(n.received_fen for n in await Need.filter(**where))


def _is_open(n: Need) -> bool:
    return n.state == "published" and n.deadline >= today_cn() and n.pledged_fen < n.target_fen


async def _village_mean() -> float:
    """Mean money received per village, over the villages with an open need (the pool)."""
    villages = {n.region_id for n in await Need.all() if _is_open(n) and len(n.region_id) == 12}
    return statistics.mean([await _received(region_id=v) for v in villages])


async def _county_mean() -> float:
    counties = {n.county_code for n in await Need.all() if _is_open(n)}
    return statistics.mean([await _received(county_code=c) for c in counties])


@pytest.mark.both_databases
async def test_every_reason_shown_is_true_of_its_need(world) -> None:
    unit = world.participants["central_unit"]
    unit.stated_categories = ["drinking_water", "education"]
    unit.stated_region_codes = [OTHER_COUNTY]
    await unit.save()
    await pair(unit, world.village.county_code)
    member = await member_of(unit, "unit_member")
    village2 = await second_village(world)
    other_donor = await actor(world, "other_participant_member")
    # A history: the unit pledged to two needs (roads in 广南县, water in 昭觉县).
    past_roads = await need(world.village, title="往年道路", target_fen=60 * WAN)
    past_water = await need(world.other_village, title="往年饮水", category="drinking_water")
    await pledge(member, past_roads, 8 * WAN)
    await pledge(member, past_water, 4 * WAN)
    # Money received elsewhere, so some places are under-served and some are not.
    await need(
        village2,
        title="已完成项目",
        state="completed",
        received_fen=90 * WAN,
        pledged_fen=90 * WAN,
        target_fen=90 * WAN,
    )
    candidates = [
        await need(world.village, title="石门村饮水", category="drinking_water", deadline=days(4)),
        await need(
            world.village, title="石门村小学", category="education", target_fen=6 * WAN, people=900
        ),
        await need(
            village2,
            title="新寨村产业",
            category="industry",
            target_fen=40 * WAN,
            pledged_fen=30 * WAN,
        ),
        await need(world.other_village, title="新庄村卫生室", category="health", deadline=days(0)),
        await need("513431", title="昭觉县全县道路", category="roads", target_fen=100 * WAN),
        await need("532627", title="广南县全县电网", category="electricity", target_fen=5 * WAN),
        await need(
            await make_village(OTHER_COUNTY, "203", "新村"), title="新村文化", category="culture"
        ),
    ]
    await pledge(other_donor, candidates[2], 1 * WAN)
    result = await recommendations.recommendations_for(member.participant_id)  # type: ignore[arg-type]
    shown = {item.need.id for item in result.items}
    assert {c.id for c in candidates} <= shown
    fresh_unit = await Participant.get(id=unit.id)
    seen_codes: set[str] = set()
    for item in result.items:
        await _truth(fresh_unit, item)
        seen_codes.update(r.code for r in item.reasons)
    # The scenario exercises most reasons (so the checks above are not vacuous).
    assert {
        "in_paired_region",
        "stated_category",
        "stated_region",
        "funded_before_category",
        "funded_before_region",
        "closes_soon",
        "fits_typical_pledge",
        "nearly_funded",
        "no_donor_yet_in_village",
        "underserved_village",
        "underserved_county",
        "poverty_county",
        "open_amount",
    } <= seen_codes, seen_codes


async def test_the_page_shows_the_reasons_of_the_list_in_plain_words(world, client_as) -> None:
    unit = world.participants["enterprise"]
    await pair(unit, world.village.county_code)
    target = await need(world.village, title="石门村通组道路硬化", deadline=days(5))
    response = await client_as("participant_member").get("/me/recommendations")
    assert response.status_code == 200
    html = response.text
    assert "石门村通组道路硬化" in html
    assert "在您结对帮扶的广南县" in html
    assert "5 天后截止" in html
    assert "还差 ¥200,000" in html
    assert f'action="/me/recommendations/{target.id}/not-for-us"' in html
    assert f'name="csrf_token" value="{CSRF}"' in html


async def test_the_not_for_us_button_removes_the_need_from_the_page(world, client_as) -> None:
    target = await need(world.village, title="石门村通组道路硬化")
    client = client_as("participant_member")
    response = await client.post(
        f"/me/recommendations/{target.id}/not-for-us",
        data={"csrf_token": CSRF, "next": "/me/recommendations?category=roads"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/me/recommendations?category=roads"
    page = await client.get("/me/recommendations")
    assert f'data-need-id="{target.id}"' not in page.text
    assert "已标记“不适合我们”的需求（1）" in page.text
    # An external "next" is not followed (no open redirect).
    response = await client.post(
        f"/me/recommendations/{target.id}/undo",
        data={"csrf_token": CSRF, "next": "https://example.org/"},
    )
    assert response.headers["location"] == "/me/recommendations"


async def test_the_not_for_us_button_needs_the_csrf_token(world, client_as) -> None:
    target = await need(world.village)
    response = await client_as("participant_member").post(
        f"/me/recommendations/{target.id}/not-for-us", data={}
    )
    assert response.status_code == 403
    assert await NotForUs.all().count() == 0


async def test_api_returns_codes_params_and_texts(world, client_as) -> None:
    target = await need(world.village, deadline=days(3))
    response = await client_as("participant_member").get("/api/v1/recommendations")
    assert response.status_code == 200
    body = response.json()
    assert [i["need_id"] for i in body["items"]] == [target.id]
    reasons = {r["code"]: r for r in body["items"][0]["reasons"]}
    assert reasons["closes_soon"]["params"] == {"days": 3}
    assert reasons["closes_soon"]["text"] == "3 天后截止"
    assert reasons["open_amount"]["params"] == {"amount_fen": 20 * WAN}
    assert body["items"][0]["open_fen"] == 20 * WAN
    assert body["items"][0]["category"] in CATEGORIES
    en = await client_as("participant_member").get(
        "/api/v1/recommendations", headers={"Accept-Language": "en"}
    )
    assert en.status_code == 200


async def test_api_filters_and_bad_filters(world, client_as) -> None:
    await need(world.village, category="roads")
    water = await need(world.other_village, category="drinking_water")
    client = client_as("participant_member")
    body = (await client.get("/api/v1/recommendations?category=drinking_water")).json()
    assert [i["need_id"] for i in body["items"]] == [water.id]
    assert body["filters"] == {"category": "drinking_water", "province": None}
    for query, field in (
        ("category=bridges", "category"),
        ("province=5300", "province"),
        ("province=532627", "province"),
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("limit=x", "limit"),
    ):
        response = await client.get(f"/api/v1/recommendations?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"]["field"] == field


async def test_api_weights_out_of_range_are_refused_naming_the_weight(world, client_as) -> None:
    await need(world.village)
    client = client_as("participant_member")
    for query, field in (
        ("weight.paired_region=0.1", "paired_region"),  # pairs cannot be switched off
        ("weight.urgency=11", "urgency"),
        ("weight.urgency=nan", "urgency"),
        ("weight.urgency=abc", "urgency"),
        ("weight.closes_soon_days=2.5", "closes_soon_days"),
        ("weight.popularity=1", "popularity"),
    ):
        response = await client.get(f"/api/v1/recommendations?{query}")
        assert response.status_code == 422, query
        error = response.json()["error"]
        assert error["code"] == "weight_out_of_range" and error["field"] == f"weight.{field}"
    ok = await client.get("/api/v1/recommendations?weight.urgency=2&weight.closes_soon_days=30")
    assert ok.status_code == 200 and len(ok.json()["items"]) == 1


async def test_closes_today_reason(world) -> None:
    donor = world.participants["enterprise"]
    await need(world.village, deadline=today_cn())
    result = await recommendations.recommendations_for(donor.id)
    assert "今天截止" in [r.text for r in result.items[0].reasons]


async def test_a_stale_snapshot_keeps_serving_while_it_is_rebuilt_in_the_background(world) -> None:
    first = await snapshot.snapshot(today_cn())
    added = await need(world.village, title="后来的需求", published_days_ago=5)
    assert added.id not in first.needs
    served = await snapshot.snapshot(today_cn(), max_age=0)  # stale: served, rebuild starts
    assert served is first
    for _ in range(200):  # bounded: 10 s
        current = await snapshot.snapshot(today_cn())
        if current is not first:
            break
        await asyncio.sleep(0.05)
    assert current is not first and added.id in current.needs


@pytest.mark.both_databases
async def test_the_poor_village_reason_follows_the_flag_the_county_keeps(world) -> None:
    """A county unflags its village (建档立卡贫困村) and the recommendation stops saying so."""
    from fupin.accounts.service.users import actor_for
    from fupin.regions import service as regions

    here = await need(world.village, title="石门村通组道路硬化")  # a generated, flagged village
    member = await member_of(world.participants["enterprise"], "poor_flag_member")

    async def codes() -> set[str]:
        result = await recommendations.recommendations_for(member.participant_id)  # type: ignore[arg-type]
        found = [item for item in result.items if item.need.id == here.id]
        assert found
        return {r.code for r in found[0].reasons}

    assert "poor_village" in await codes()
    officer = await actor_for(world.users["county_officer"])
    await regions.set_poor_flag(officer, world.village.code, is_poor="no", identified="", exited="")
    snapshot.forget_snapshot()  # the flag is read when the candidates are
    assert "poor_village" not in await codes()
