"""The search page in headless Chromium (Debian's /usr/bin/chromium via Playwright) with
JavaScript switched OFF, on a phone: type words, submit, open the facets, narrow by a province,
change the sort. Served by `fupin serve` over the test's SQLite file and index directory.
Screenshots go to test-artifacts/search/."""

from __future__ import annotations

import pytest

from fupin.needs.service import search_outbox as outbox_db
from fupin.needs.service.search import open_service
from fupin.settings import Settings
from tests.needs.search_support import make_need
from tests.support.browser import DESKTOP_VIEWPORT, PHONE, artifacts, chromium, serve, shot
from tests.support.world import World

pytestmark = pytest.mark.browser


async def test_search_on_a_phone_without_javascript(db: Settings, world: World) -> None:
    out = artifacts("search")
    await make_need(world, "石门村饮水安全巩固提升工程", target_yuan=386_000)
    await make_need(world, "石门村自来水入户改造", target_yuan=90_000)
    other = await make_need(world, "新庄村饮水水窖修建", other_county=True, target_yuan=150_000)
    service = await open_service(db)  # index the needs as the worker would, then let go
    try:
        await outbox_db.make_worker(service.backend).drain_until_empty()
    finally:
        await service.close()

    async with serve(db, ready="/search") as base, chromium() as browser:
        context = await browser.new_context(**PHONE, locale="zh-CN", java_script_enabled=False)
        page = await context.new_page()
        await page.goto(f"{base}/search")
        await page.fill("input[name=q]", "饮水")
        await page.press("input[name=q]", "Enter")  # a plain GET form
        await page.wait_for_load_state()
        assert "q=%E9%A5%AE%E6%B0%B4" in page.url
        assert await page.locator(".search-hit").count() == 3
        # the typed word is marked (with a synonym right beside it, as one mark: 饮水水窖)
        assert "饮水" in await page.locator(".search-hit h3 mark").first.inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not await page.locator(".search-facets").is_visible(), "folded on a phone"
        await shot(page, out, "1-phone-results.png")

        await page.click("label[for=facet-toggle]")  # CSS-only toggle, no script
        assert await page.locator(".search-facets").is_visible()
        await shot(page, out, "2-phone-facets.png")
        await page.click(".search-facets a:text-is('四川省')")
        await page.wait_for_load_state()
        assert await page.locator(".search-hit").count() == 1
        assert await page.locator(f".search-hit a[href='/needs/{other}']").count() == 1
        await page.click(".search-sorts a:text-is('缺口最大')")
        await page.wait_for_load_state()
        assert "sort=open_amount" in page.url and "province=" in page.url
        await shot(page, out, "3-phone-narrowed.png")

        desktop = await browser.new_context(viewport=DESKTOP_VIEWPORT, java_script_enabled=False)
        wide = await desktop.new_page()
        await wide.goto(f"{base}/search?q=饮水")
        assert await wide.locator(".search-facets").is_visible()
        await shot(wide, out, "4-desktop.png")
