"""A village worker's journey on a phone (390 × 844, touch), on the demo: the menu opens from
the keyboard and is a target a finger can hit, the workspace, a need drafted with a mistyped
amount (the form comes back with everything typed and a message by the field), then saved and
submitted, and the need page. Every page: axe, no sideways scrolling, screenshot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.needs.models import Need
from tests.journeys.support import Journey
from tests.support.browser import PHONE_TOUCH, chromium, serve

pytestmark = pytest.mark.browser

TITLE = "石门村安全饮水巩固提升工程"


async def test_village_worker_drafts_a_need_on_a_phone(demo) -> None:
    async with serve(demo) as base, chromium() as browser:
        context = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        j = Journey(await context.new_page(), base, "village-worker", phone=True)
        await j.visit("/", "01-home.png")

        # the menu: reached with Tab, opened with Space, big enough to tap
        menu = await j.box(".nav-toggle-label")
        assert menu["width"] >= 24 and menu["height"] >= 24
        assert not await j.page.locator("#site-nav").is_visible()
        for _ in range(5):
            await j.page.keyboard.press("Tab")
            if await j.page.evaluate("document.activeElement.id") == "nav-toggle":
                break
        assert await j.page.evaluate("document.activeElement.id") == "nav-toggle"
        await j.page.keyboard.press("Space")
        assert await j.page.locator("#site-nav").is_visible()
        await j.check("02-menu-open.png")
        await j.page.click("#site-nav a[href='/login']")

        await j.login("shimen")
        await j.visit("/workspace", "03-workspace.png")
        await j.visit("/needs/new", "04-need-form.png")
        await j.page.select_option("select[name=category]", "drinking_water")
        await j.page.fill("input[name=title]", TITLE)
        await j.page.fill(
            "textarea[name=description]",
            "现有水窖老化渗漏，旱季群众要到3公里外挑水。拟新建50立方米蓄水池1座，铺设管道3.2公里。",
        )
        await j.page.fill("input[name=target_yuan]", "三十八万")
        deadline = (today_cn() + timedelta(days=120)).isoformat()
        await j.page.fill("input[name=deadline]", deadline)
        await j.page.fill("input[name=beneficiary_households]", "123")
        await j.page.click("button[name=then][value=submit]")
        text = await j.check("05-need-form-refused.png")
        assert "返回首页" not in text
        assert await j.page.input_value("input[name=title]") == TITLE
        assert await j.page.input_value("input[name=target_yuan]") == "三十八万"
        assert await j.page.locator("#error-target_yuan").is_visible()

        await j.page.fill("input[name=target_yuan]", "386000")
        await j.page.click("button[name=then][value=submit]")
        text = await j.check("06-need-submitted.png")
        need = await Need.get(title=TITLE)
        assert need.state == "submitted" and need.target_fen == 386_000_00
        await j.visit(f"/needs/{need.id}", "07-need-page.png")
        await context.close()
