"""The donor's "needs for you", the inbox and a need's likely donors in headless Chromium
(Debian's /usr/bin/chromium via Playwright), served by `fupin serve` over the test's SQLite
file. Screenshots go to test-artifacts/matching/."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from fupin import REPO_ROOT
from fupin.domain import invitations
from fupin.models.matching import Invitation, NotForUs
from fupin.settings import Settings
from tests.matching.support import WAN, actor, days, need, pair, pledge, second_village
from tests.support.world import TEST_PASSWORD, World

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "matching"
FUPIN = str(Path(sys.executable).parent / "fupin")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_VAR_DIR=str(settings.var_dir),
        FUPIN_PORT=str(port),
        FUPIN_SEARCH_WORKER="false",
    )
    server = await asyncio.create_subprocess_exec(
        FUPIN,
        "serve",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(150):  # bounded: 30 s
                try:
                    if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                pytest.fail("fupin serve did not start")
        yield base
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=20)


async def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", TEST_PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state()


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
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ids = await _world(world)

    async with serve(db) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # --- the donor, on a phone, JavaScript off: everything is plain links and forms.
            context = await browser.new_context(**PHONE, locale="zh-CN", java_script_enabled=False)
            page = await context.new_page()
            await _login(page, base, "participant_member")
            await page.goto(f"{base}/me/recommendations")
            cards = page.locator("li.rec")
            assert await cards.count() == 6
            water = page.locator(f"li.rec[data-need-id='{ids['water']}']")
            reasons = await water.locator("ul.reasons li").all_inner_texts()
            assert "在您结对帮扶的广南县" in reasons
            assert "5 天后截止" in reasons
            assert "还差 ¥380,000" in reasons
            assert any(r.startswith("符合您关注的类别") for r in reasons)
            assert await page.locator("a.badge.warn").inner_text() == "1 条未读邀请"
            await _no_horizontal_scroll(page, 390)
            await page.screenshot(path=str(ARTIFACTS / "1-phone-needs-for-you.png"), full_page=True)

            await page.select_option("select[name=category]", "education")
            await page.click("form.filters button[type=submit]")
            await page.wait_for_load_state()
            assert "category=education" in page.url
            assert await page.locator("li.rec").count() == 1
            await page.screenshot(path=str(ARTIFACTS / "2-phone-narrowed.png"), full_page=True)

            await page.goto(f"{base}/me/recommendations")
            await page.click(f"li.rec[data-need-id='{ids['water']}'] form button")
            await page.wait_for_load_state()
            assert "已从推荐中移除" in await page.locator(".flash").inner_text()
            assert await page.locator(f"li.rec[data-need-id='{ids['water']}']").count() == 0
            assert await NotForUs.filter(need_id=ids["water"]).exists()
            await page.screenshot(path=str(ARTIFACTS / "3-phone-not-for-us.png"), full_page=True)

            await page.goto(f"{base}/me/inbox")
            invitation = page.locator(f"li.invitation[data-invitation-id='{ids['invitation']}']")
            assert "unread" in (await invitation.get_attribute("class") or "")
            assert "广南县扶贫办" in await invitation.inner_text()
            await _no_horizontal_scroll(page, 390)
            await page.screenshot(path=str(ARTIFACTS / "4-phone-inbox.png"), full_page=True)
            await invitation.locator("button:text-is('有意向')").click()
            await page.wait_for_load_state()
            assert (await Invitation.get(id=ids["invitation"])).response == "interested"

            # --- the county officer, on a desktop: the unfunded need's likely donors.
            office = await browser.new_context(**DESKTOP, locale="zh-CN")
            officer = await office.new_page()
            await _login(officer, base, "county_officer")
            await officer.goto(f"{base}/needs/{ids['unfunded']}/likely-donors")
            donors = officer.locator("li.donor")
            assert await donors.count() >= 2
            social = world.participants["social_org"]
            row = officer.locator(f"li.donor[data-participant-id='{social.id}']")
            texts = await row.locator("ul.reasons li").all_inner_texts()
            assert "曾在本省资助村级道路畅通项目" in texts and "曾在广南县捐赠" in texts
            await officer.screenshot(
                path=str(ARTIFACTS / "5-desktop-likely-donors.png"), full_page=True
            )
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
            assert await Invitation.filter(
                need_id=ids["unfunded"], participant_id=social.id
            ).exists()
            await officer.screenshot(path=str(ARTIFACTS / "6-desktop-invited.png"), full_page=True)

            wide = await office.new_page()
            await _login(wide, base, "participant_member")
            await wide.goto(f"{base}/me/recommendations")
            await wide.screenshot(
                path=str(ARTIFACTS / "7-desktop-needs-for-you.png"), full_page=True
            )
        finally:
            await browser.close()
