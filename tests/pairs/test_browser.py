"""The dashboards in headless Chromium (Debian's /usr/bin/chromium via Playwright), served by
`fupin serve` over the test's SQLite file with demo-like money and the demo pair targets.

National → province → county drill-down by clicking, charts drawn (SVG, no network), every chart
with its table, phone width without sideways scrolling, the pair page and its printable report,
the figures form refusing a negative target, and a province office refused another province.
Screenshots go to test-artifacts/dashboards/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fupin.accounts.service.users import actor_for
from fupin.demo.service.accounts import DemoResult
from fupin.demo.service.pairs import load_demo_pairs
from fupin.pairs.service import figures as pair_figures
from tests.pairs.data import build
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    artifacts,
    chromium,
    login,
    serve,
    shot,
)

pytestmark = pytest.mark.browser


@pytest.fixture
async def served(db, world) -> AsyncIterator[tuple[str, int]]:
    data = await build(world)
    await load_demo_pairs(db, DemoResult(), 0)
    actor = await actor_for(world.users["national_admin"])
    await pair_figures.save_figures(
        actor=actor,
        pair_id=data.east_west.id,
        year=2025,
        targets={"social_funds": 800_000_000_00, "cadres_exchanged": 60, "labour_placed": 20000},
        reported={"social_funds": 120_000_000_00, "cadres_exchanged": 18, "labour_placed": 16000},
        summary="2025 年双方召开联席会议 4 次，互派挂职干部 18 人，帮助农村劳动力就业 1.6 万人。",
    )
    async with serve(db, ready="/") as base:
        yield base, data.east_west.id


async def _charts_have_tables(page) -> int:
    """Every chart is drawn (has shapes) and sits in a block that also holds a data table."""
    blocks = page.locator("section.dash-block:has(svg.chart)")
    count = await blocks.count()
    for i in range(count):
        block = blocks.nth(i)
        assert await block.locator("table.data").count() == 1
        box = await block.locator("svg.chart").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 30
    return count


async def test_national_to_county_drill_down_and_the_pair_report_in_chromium(served) -> None:
    base, pair_id = served
    out = artifacts("dashboards")
    async with chromium() as browser:
        context = await browser.new_context(viewport=DESKTOP_VIEWPORT)
        page = await context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        await login(page, base, "national_admin")

        await page.goto(f"{base}/dashboards/national?year=2025")
        assert "全国 · 帮扶看板" in await page.inner_text("h1")
        assert await _charts_have_tables(page) == 4
        assert await page.locator("svg.chart rect").count() > 5
        await shot(page, out, "national-2025.png")
        assert all(url.startswith(base) for url in requests), (
            "the dashboard fetched something off-site"
        )

        # drill down by clicking: national → 云南 → 广南县 → a need
        await page.click("table[data-table=regions] a:has-text('云南省')")
        await page.wait_for_url(f"{base}/dashboards/province/530000?year=2025")
        await _charts_have_tables(page)
        await shot(page, out, "province-530000.png")
        await page.click("table[data-table=regions] a:has-text('广南县')")
        await page.wait_for_url(f"{base}/dashboards/county/532627?year=2025")
        links = page.locator("table[data-table=needs] a[href^='/needs/']")
        assert await links.count() > 0
        await shot(page, out, "county-532627.png")

        # the year picker changes the view without a button (a button without JavaScript)
        await page.select_option("select[name=year]", "all")
        await page.wait_for_url(f"{base}/dashboards/county/532627?year=all")

        # the pair: targets against actuals, lagging rows highlighted, then the report
        await page.goto(f"{base}/dashboards/pairs/{pair_id}?year=2025")
        assert await page.locator("table[data-table=money_indicators] tr.lagging").count() >= 1
        await shot(page, out, "pair-2025.png")
        await page.click("text=年度自评报告")
        await page.wait_for_url(f"{base}/dashboards/pairs/{pair_id}/report?year=2025")
        assert "互派挂职干部 18 人" in await page.inner_text("article.report")
        await page.emulate_media(media="print")
        assert not await page.locator("header.site").is_visible()
        assert not await page.locator("button:has-text('打印')").is_visible()
        await shot(page, out, "pair-report-print.png")
        await page.emulate_media(media="screen")

        # the figures form refuses a negative target and says which one
        await page.goto(f"{base}/dashboards/pairs/{pair_id}/figures?year=2025")
        await page.fill("input[name='target.fiscal_aid']", "-5")
        await page.click("form.figures-form button[type=submit]")
        await page.wait_for_load_state("networkidle")
        assert "不能为负数" in await page.inner_text("div.error")
        assert await page.get_attribute("input[name='target.fiscal_aid']", "aria-invalid") == "true"
        await shot(page, out, "figures-form-error.png")

        # a phone: nothing scrolls sideways except inside the table wrappers
        phone = await browser.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=2)
        small = await phone.new_page()
        await login(small, base, "province_office")
        await small.goto(f"{base}/dashboards/province/530000?year=2025")
        overflow = await small.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
        width = await small.evaluate(
            "document.querySelector('svg.chart').getBoundingClientRect().width"
        )
        assert 250 < width <= 390
        await shot(small, out, "province-phone.png")
        other = await small.goto(f"{base}/dashboards/province/510000")
        assert other is not None and other.status == 403
        assert "没有权限" in await small.inner_text("main")
        await shot(small, out, "other-province-403.png", full_page=False)
        await phone.close()
