"""The statement and working-paper pages in headless Chromium (Debian's /usr/bin/chromium via
Playwright), served by `fupin serve` over a fresh SQLite file holding enterprise E of docs/rules.md
§1.4. Screenshots go to test-artifacts/tax/ (desktop, phone width, print media)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fupin.core.templating import yuan
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    artifacts,
    chromium,
    login,
    serve,
    shot,
)
from tests.tax.builders import EXAMPLE_PROFIT_WAN, EXAMPLE_TABLE, WAN, build_example_e

pytestmark = pytest.mark.browser


@pytest.fixture
async def served(db, world) -> AsyncIterator[tuple[str, int]]:
    """E's donations in the test's SQLite file, and `fupin serve` over that file."""
    await build_example_e(world)
    async with serve(db) as base:
        yield base, world.participants["enterprise"].id


async def test_statement_and_paper_pages_in_chromium(served) -> None:
    base, pid = served
    out = artifacts("tax")
    async with chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await login(page, base, "participant_member", next="/tax")

        # The year picker leads to the statement.
        await page.goto(f"{base}/tax")
        await page.select_option("select[name=year]", "2019")
        await page.click("text=查看年度清单")
        await page.wait_for_url(f"{base}/tax/{pid}/2019")
        assert await page.inner_text("[data-cell=targeted-cash]") == yuan(300 * WAN)
        assert await page.inner_text("[data-cell=general-cash]") == yuan(150 * WAN)
        assert await page.inner_text("[data-cell=total]") == yuan(450 * WAN)
        rows = await page.locator("table.statement-lines tbody tr").count()
        assert rows == 3
        await shot(page, out, "statement-2019.png")
        await page.emulate_media(media="print")
        assert not await page.locator("header.site").is_visible()
        await shot(page, out, "statement-2019-print.png")
        await page.emulate_media(media="screen")

        # The working paper: enter the eight years' profits, compute.
        await page.goto(f"{base}/tax/{pid}/2026/paper")
        for year, wan in EXAMPLE_PROFIT_WAN.items():
            await page.fill(f"input[name=profit_{year}]", f"{wan}万")
        await page.click("button[name=format][value=html]")
        await page.wait_for_selector("table.paper-summary")
        for year, (cap, brought, current, carried, expired, total) in EXAMPLE_TABLE.items():

            async def text(name: str, year: int = year) -> str:
                return " ".join((await page.inner_text(f"[data-cell='{year}-{name}']")).split())

            assert await text("cap") == yuan(cap), year
            assert await text("current") == yuan(current), year
            assert await text("carried") == yuan(carried), year
            assert await text("total") == yuan(total), year
            assert await text("brought") == (
                " ".join(f"{o}: {yuan(a)}" for o, a in brought.items()) or "—"
            ), year
            assert await text("expired") == (
                " ".join(f"{o}: {yuan(a)}" for o, a in expired.items()) or "—"
            ), year
        await shot(page, out, "paper-2026.png")
        # A receipt link in a line jumps to the receipt index.
        first_link = page.locator(".paper-lines .sources a").first
        target = await first_link.get_attribute("href")
        assert target and await page.locator(target).count() == 1
        await page.emulate_media(media="print")
        assert not await page.locator("form.paper-form").is_visible()
        await shot(page, out, "paper-2026-print.png")

        # Phone width: the summary table scrolls inside its wrapper, the page does not.
        phone = await browser.new_page(viewport=PHONE_VIEWPORT)
        await phone.context.add_cookies(await page.context.cookies())
        await phone.goto(f"{base}/tax/{pid}/2026/paper")
        for year, wan in EXAMPLE_PROFIT_WAN.items():
            await phone.fill(f"input[name=profit_{year}]", f"{wan}万")
        await phone.click("button[name=format][value=html]")
        await phone.wait_for_selector("table.paper-summary")
        await shot(phone, out, "paper-2026-phone.png")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390

        # A bad profit is shown next to its field, nothing computed.
        await page.emulate_media(media="screen")
        await page.goto(f"{base}/tax/{pid}/2026/paper")
        for year, wan in EXAMPLE_PROFIT_WAN.items():
            await page.fill(f"input[name=profit_{year}]", f"{wan}万")
        await page.fill("input[name=profit_2021]", "亏损两百万")
        await page.click("button[name=format][value=html]")
        await page.wait_for_selector(".field-error")
        assert "不是数字金额" in await page.inner_text(".field-error")
        assert await page.locator("table.paper-summary").count() == 0
        await shot(page, out, "paper-bad-input.png")
