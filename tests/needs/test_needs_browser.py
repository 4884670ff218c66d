"""In headless Chromium (Debian's /usr/bin/chromium via Playwright), served by `fupin serve`
over the test's SQLite file: a village worker drafts a need on a phone-sized screen and submits
it, the county officer reviews and publishes it on a phone, and the public finds it in the list.
Screenshots go to test-artifacts/needs/."""

from __future__ import annotations

import pytest

from fupin.needs.models import Need
from tests.needs.support import future, make_need, png_bytes
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_TOUCH,
    artifacts,
    chromium,
    login,
    serve,
    shot,
)

pytestmark = pytest.mark.browser


async def test_village_worker_drafts_on_a_phone_county_publishes_public_sees_it(
    db, world, tmp_path
) -> None:
    out = artifacts("needs")
    # Something already public, with a photo, so the list and a need page have content.
    other = await make_need(
        world,
        "published",
        title="石门村卫生室设备购置",
        category="health",
        target_fen=18_000_000,
        pledged_fen=7_200_000,
        received_fen=3_000_000,
    )
    photo = tmp_path / "现场.png"
    photo.write_bytes(png_bytes((640, 480), "green"))
    title = "石门村安全饮水巩固提升工程"
    async with serve(db) as base, chromium() as browser:
        # 1. the village worker drafts and submits on a phone
        worker = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        page = await worker.new_page()
        await login(page, base, "village_worker")
        await page.goto(f"{base}/needs/new")
        assert (
            await page.evaluate("document.documentElement.scrollWidth") <= 390
        )  # no sideways scroll
        await page.select_option("select[name=category]", "drinking_water")
        await page.fill("input[name=title]", title)
        await page.fill(
            "textarea[name=description]",
            "石门村地处石漠化山区，全村312户1180人。现有水窖老化渗漏，旱季群众要到3公里外挑水。"
            "拟新建50立方米蓄水池1座，铺设PE管道3.2公里，入户到123户。<script>alert(1)</script>",
        )
        await page.fill("input[name=target_yuan]", "386000")
        await page.fill("input[name=deadline]", future(120).isoformat())
        await page.fill("input[name=beneficiary_households]", "123")
        await page.fill("input[name=beneficiary_people]", "468")
        await page.fill("input[name=item_name_0]", "PE给水管")
        await page.fill("input[name=item_quantity_0]", "3200")
        await page.fill("input[name=item_unit_0]", "米")
        await page.fill("input[name=item_value_0]", "18")
        await shot(page, out, "01-phone-draft-form.png")
        await page.click("button[name=then][value=submit]")
        await page.wait_for_load_state("networkidle")
        assert "已提交县扶贫办审核" in await page.content()
        await page.set_input_files("input[name=file]", str(photo))
        await page.click("form.upload button[type=submit]")
        await page.wait_for_load_state("networkidle")
        await shot(page, out, "02-phone-submitted.png")
        need = await Need.get(title=title)
        assert need.state == "submitted"

        # 2. the county officer reviews and publishes, also on a phone
        officer = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        page = await officer.new_page()
        await login(page, base, "county_officer")
        await page.goto(f"{base}/workspace?state=submitted")
        await shot(page, out, "03-phone-workspace.png")
        await page.click(f"a[href='/needs/{need.id}/review']")
        await page.wait_for_load_state("networkidle")
        assert "未发现同村同类的相似需求" in await page.content()
        await shot(page, out, "04-phone-review.png")
        await page.click("form.transition-publish button[type=submit]")
        await page.wait_for_load_state("networkidle")
        assert (await Need.get(id=need.id)).state == "published"
        await shot(page, out, "05-phone-published.png")

        # 3. the public finds it on the list (phone and desktop) and opens it
        public = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        page = await public.new_page()
        await page.goto(f"{base}/needs")
        assert title in await page.content() and other.title in await page.content()
        await shot(page, out, "06-phone-public-list.png")
        await page.click(f"a[href='/needs/{need.id}']")
        await page.wait_for_load_state("networkidle")
        assert await page.locator(".story").inner_text() != ""
        assert (
            "<script>alert(1)</script>" in await page.locator(".story").inner_text()
        )  # shown as text
        await shot(page, out, "07-phone-need-page.png")
        desktop = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await desktop.goto(f"{base}/needs")
        await shot(desktop, out, "08-desktop-public-list.png")
        await desktop.goto(f"{base}/needs/{other.id}")
        await shot(desktop, out, "09-desktop-need-page.png")
