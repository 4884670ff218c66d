"""In headless Chromium (Debian's /usr/bin/chromium via Playwright) on a phone-sized screen,
served by `fupin serve` over the test's SQLite file: a county officer of 昭觉县 finds 火普村
through the village picker's search step, posts a need for it and publishes it, and the public
village page shows it. Screenshots go to test-artifacts/regions/."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.needs.models import Need
from tests.support.browser import PHONE_TOUCH, artifacts, chromium, login, serve, shot
from tests.support.world import make_user

pytestmark = pytest.mark.browser

HUOPU = "513431105201"  # 火普村, 解放沟镇 513431105, 昭觉县


async def test_a_zhaojue_officer_posts_a_need_for_huopu_and_the_village_page_shows_it(
    db, world
) -> None:
    out = artifacts("regions")
    await make_user("county_officer", "zhaojue_officer", region="513431")
    title = "火普村安全饮水巩固提升工程"
    async with serve(db) as base, chromium() as browser:
        context = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        page = await context.new_page()
        await login(page, base, "zhaojue_officer")
        await page.goto(f"{base}/needs/new")
        await page.fill("input[name=place_q]", "火普")
        await page.click("form.place-search button[type=submit]")
        await page.wait_for_load_state("networkidle")
        choice = page.locator(f"input[name=region_code][value='{HUOPU}']")
        assert await choice.count() == 1
        assert "解放沟镇 火普村" in await page.locator("fieldset.place-choices").inner_text()
        await choice.check()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await page.select_option("select[name=category]", "drinking_water")
        await page.fill("input[name=title]", title)
        await page.fill(
            "textarea[name=description]",
            "火普村地处高寒山区，全村群众旱季需到两公里外取水。拟新建蓄水池一座，铺设管网三公里，"
            "入户到八十户，预算按实测工程量计算。",
        )
        await page.fill("input[name=target_yuan]", "386000")
        await page.fill("input[name=deadline]", (today_cn() + timedelta(days=120)).isoformat())
        await page.fill("input[name=beneficiary_households]", "80")
        await page.fill("input[name=beneficiary_people]", "320")
        await shot(page, out, "01-phone-need-form-huopu.png")
        await page.click("button[name=then][value=submit]")
        await page.wait_for_load_state("networkidle")
        need = await Need.get(title=title)
        assert need.region_id == HUOPU and need.state == "submitted"
        await page.goto(f"{base}/needs/{need.id}/review")
        await page.click("form.transition-publish button[type=submit]")
        await page.wait_for_load_state("networkidle")
        assert (await Need.get(id=need.id)).state == "published"
        # the county's village list, with its forms, fits the phone too
        await page.goto(f"{base}/regions/513431/villages?q=火普")
        assert "火普村" in await page.locator("table").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await shot(page, out, "03-phone-county-villages.png")

        public = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        page = await public.new_page()
        await page.goto(f"{base}/regions/{HUOPU}")
        assert "火普村" in await page.locator("h1").inner_text()
        assert title in await page.locator("section.place-activity").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await shot(page, out, "02-phone-public-village-page.png")
        await page.click(f"section.place-activity a[href='/needs/{need.id}']")
        await page.wait_for_load_state("networkidle")
        assert title in await page.content()
