"""The donor's "needs for you", the inbox and a need's likely donors in headless Chromium
(Debian's /usr/bin/chromium via Playwright), served by `fupin serve` over the test's SQLite
file. Screenshots go to test-artifacts/matching/."""

from __future__ import annotations

import pytest

from fupin.matching.models import Invitation, NotForUs
from fupin.matching.service import invitations
from fupin.settings import Settings
from tests.matching.support import WAN, actor, days, need, pair, pledge, second_village
from tests.support.browser import DESKTOP, PHONE, artifacts, chromium, login, serve, shot
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _no_horizontal_scroll(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def _world(world: World) -> dict[str, int]:
    donor = world.participants["enterprise"]
    donor.stated_categories = ["drinking_water", "education"]
    await donor.save()
    await pair(donor, world.village.county_code)  # a pair over 广南县, for the reason
    village2 = await second_village(world)
    water = await need(
        world.village,
        title="石门村安全饮水巩固提升工程",
        category="drinking_water",
        target_fen=38 * WAN,
        deadline=days(5),
        people=468,
    )
    await need(
        village2,
        title="新寨村小学教室修缮",
        category="education",
        target_fen=12 * WAN,
        pledged_fen=7 * WAN,
    )
    await need(
        world.other_village, title="新庄村卫生室药品补充", category="health", target_fen=3 * WAN
    )
    await need("513431", title="昭觉县乡村道路安全防护", category="roads", target_fen=90 * WAN)
    unfunded = await need(
        world.village, title="石门村村道硬化（二期）", category="roads", target_fen=60 * WAN
    )
    # History in the province for the likely-donors page, from another participant.
    other = await actor(world, "other_participant_member")
    past = await need(world.village, title="往年道路", category="roads", target_fen=50 * WAN)
    await pledge(other, past, 20 * WAN)
    sent = await invitations.send_invitation(
        await actor(world, "county_officer"),
        need_id=water.id,
        participant_id=donor.id,
        message="石门村饮水工程缺口较大，诚邀贵公司关注。",
    )
    return {"water": water.id, "unfunded": unfunded.id, "invitation": sent.id}


async def test_needs_for_you_inbox_and_likely_donors_in_chromium(
    db: Settings, world: World
) -> None:
    out = artifacts("matching")
    ids = await _world(world)

    async with serve(db) as base, chromium() as browser:
        # --- the donor, on a phone, JavaScript off: everything is plain links and forms.
        context = await browser.new_context(**PHONE, locale="zh-CN", java_script_enabled=False)
        page = await context.new_page()
        await login(page, base, "participant_member", wait="load")
        await page.goto(f"{base}/me/recommendations")
        cards = page.locator("li.rec")
        assert await cards.count() == 6
        water = page.locator(f"li.rec[data-need-id='{ids['water']}']")
        shown = await water.locator("ul.reasons:not(.more) li").all_inner_texts()
        assert 1 <= len(shown) <= 3 and shown[0] == "在您结对帮扶的广南县"
        assert "还差 ¥380,000" in await water.locator(".money p").inner_text()
        # "Why this" opens (no JavaScript needed) on the rest of the reasons.
        await water.locator("details.why summary").click()
        more = await water.locator("ul.reasons.more li").all_inner_texts()
        reasons = shown + more
        assert "5 天后截止" in reasons
        assert any(r.startswith("符合您关注的类别") for r in reasons)
        assert len(reasons) == len(set(reasons)) and not any(r.startswith("还差") for r in reasons)
        assert await page.locator("a.badge.warn").inner_text() == "1 条未读邀请"
        await _no_horizontal_scroll(page, 390)
        await shot(page, out, "1-phone-needs-for-you.png")

        await page.select_option("select[name=category]", "education")
        await page.click("form.filters button[type=submit]")
        await page.wait_for_load_state()
        assert "category=education" in page.url
        assert await page.locator("li.rec").count() == 1
        await shot(page, out, "2-phone-narrowed.png")

        await page.goto(f"{base}/me/recommendations")
        await page.click(f"li.rec[data-need-id='{ids['water']}'] form button")
        await page.wait_for_load_state()
        assert "已从推荐中移除" in await page.locator(".flash").inner_text()
        assert await page.locator(f"li.rec[data-need-id='{ids['water']}']").count() == 0
        assert await NotForUs.filter(need_id=ids["water"]).exists()
        await shot(page, out, "3-phone-not-for-us.png")

        await page.goto(f"{base}/me/inbox")
        invitation = page.locator(f"li.invitation[data-invitation-id='{ids['invitation']}']")
        assert "unread" in (await invitation.get_attribute("class") or "")
        assert "广南县扶贫办" in await invitation.inner_text()
        await _no_horizontal_scroll(page, 390)
        await shot(page, out, "4-phone-inbox.png")
        await invitation.locator("button:text-is('有意向')").click()
        await page.wait_for_load_state()
        assert (await Invitation.get(id=ids["invitation"])).response == "interested"

        # --- the county officer, on a desktop: the unfunded need's likely donors.
        office = await browser.new_context(**DESKTOP, locale="zh-CN")
        officer = await office.new_page()
        await login(officer, base, "county_officer", wait="load")
        await officer.goto(f"{base}/needs/{ids['unfunded']}/likely-donors")
        donors = officer.locator("li.donor")
        assert await donors.count() >= 2
        social = world.participants["social_org"]
        row = officer.locator(f"li.donor[data-participant-id='{social.id}']")
        texts = await row.locator("ul.reasons li").all_inner_texts()
        assert "曾在本省资助村级道路畅通项目" in texts and "曾在广南县捐赠" in texts
        await shot(officer, out, "5-desktop-likely-donors.png")
        await row.locator("details.invite summary").click()
        await row.locator("textarea[name=message]").fill("二期道路缺口 60 万元，盼关注。")
        await row.locator("button[type=submit]").click()
        await officer.wait_for_load_state()
        assert "已向" in await officer.locator(".flash").inner_text()
        assert (
            await officer.locator(
                f"li.donor[data-participant-id='{social.id}'] .badge.ok"
            ).inner_text()
            == "已邀请"
        )
        assert await Invitation.filter(need_id=ids["unfunded"], participant_id=social.id).exists()
        await shot(officer, out, "6-desktop-invited.png")

        wide = await office.new_page()
        await login(wide, base, "participant_member", wait="load")
        await wide.goto(f"{base}/me/recommendations")
        await shot(wide, out, "7-desktop-needs-for-you.png")
