"""The dashboards in headless Chromium (Debian's /usr/bin/chromium via Playwright), served by
`fupin serve` over the test's SQLite file with demo-like money and the demo pair targets.

National → province → county drill-down by clicking, charts drawn (SVG, no network), every chart
with its table, phone width without sideways scrolling, the pair page and its printable report,
the figures form refusing a negative target, and a province office refused another province.
Screenshots go to test-artifacts/dashboards/.
"""

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
from fupin.domain import pair_management
from fupin.domain.accounts import actor_for
from fupin.importers.demo import DemoResult
from fupin.importers.demo_pairs import load_demo_pairs
from tests.dashboards.data import build
from tests.support.world import TEST_PASSWORD

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
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboards"
FUPIN = str(Path(sys.executable).parent / "fupin")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_app(db) -> AsyncIterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        {
            "FUPIN_DATABASE_URL": db.database_url,
            "FUPIN_VAR_DIR": str(db.var_dir),
            "FUPIN_PORT": str(port),
            "FUPIN_SEARCH_WORKER": "false",
        }
    )
    server = await asyncio.create_subprocess_exec(
        FUPIN, "serve", cwd=REPO_ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _attempt in range(150):
                try:
                    if (await client.get(f"{base}/", timeout=1)).status_code == 200:
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


@pytest.fixture
async def served(db, world) -> AsyncIterator[tuple[str, int]]:
    data = await build(world)
    await load_demo_pairs(db, DemoResult(), 0)
    actor = await actor_for(world.users["national_admin"])
    await pair_management.save_figures(
        actor=actor,
        pair_id=data.east_west.id,
        year=2025,
        targets={"social_funds": 800_000_000_00, "cadres_exchanged": 60, "labour_placed": 20000},
        reported={"social_funds": 120_000_000_00, "cadres_exchanged": 18, "labour_placed": 16000},
        summary="2025 年双方召开联席会议 4 次，互派挂职干部 18 人，帮助农村劳动力就业 1.6 万人。",
    )
    async with serve_app(db) as base:
        yield base, data.east_west.id


async def _login(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", TEST_PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


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
    from playwright.async_api import async_playwright

    base, pair_id = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            await _login(page, base, "national_admin")

            await page.goto(f"{base}/dashboards/national?year=2025")
            assert "全国 · 帮扶看板" in await page.inner_text("h1")
            assert await _charts_have_tables(page) == 4
            assert await page.locator("svg.chart rect").count() > 5
            await page.screenshot(path=str(ARTIFACTS / "national-2025.png"), full_page=True)
            assert all(url.startswith(base) for url in requests), (
                "the dashboard fetched something off-site"
            )

            # drill down by clicking: national → 云南 → 广南县 → a need
            await page.click("table[data-table=regions] a:has-text('云南省')")
            await page.wait_for_url(f"{base}/dashboards/province/530000?year=2025")
            await _charts_have_tables(page)
            await page.screenshot(path=str(ARTIFACTS / "province-530000.png"), full_page=True)
            await page.click("table[data-table=regions] a:has-text('广南县')")
            await page.wait_for_url(f"{base}/dashboards/county/532627?year=2025")
            links = page.locator("table[data-table=needs] a[href^='/needs/']")
            assert await links.count() > 0
            await page.screenshot(path=str(ARTIFACTS / "county-532627.png"), full_page=True)

            # the year picker changes the view without a button (a button without JavaScript)
            await page.select_option("select[name=year]", "all")
            await page.wait_for_url(f"{base}/dashboards/county/532627?year=all")

            # the pair: targets against actuals, lagging rows highlighted, then the report
            await page.goto(f"{base}/dashboards/pairs/{pair_id}?year=2025")
            assert await page.locator("table[data-table=money_indicators] tr.lagging").count() >= 1
            await page.screenshot(path=str(ARTIFACTS / "pair-2025.png"), full_page=True)
            await page.click("text=年度自评报告")
            await page.wait_for_url(f"{base}/dashboards/pairs/{pair_id}/report?year=2025")
            assert "互派挂职干部 18 人" in await page.inner_text("article.report")
            await page.emulate_media(media="print")
            assert not await page.locator("header.site").is_visible()
            assert not await page.locator("button:has-text('打印')").is_visible()
            await page.screenshot(path=str(ARTIFACTS / "pair-report-print.png"), full_page=True)
            await page.emulate_media(media="screen")

            # the figures form refuses a negative target and says which one
            await page.goto(f"{base}/dashboards/pairs/{pair_id}/figures?year=2025")
            await page.fill("input[name='target.fiscal_aid']", "-5")
            await page.click("form.figures-form button[type=submit]")
            await page.wait_for_load_state("networkidle")
            assert "不能为负数" in await page.inner_text("div.error")
            assert (
                await page.get_attribute("input[name='target.fiscal_aid']", "aria-invalid")
                == "true"
            )
            await page.screenshot(path=str(ARTIFACTS / "figures-form-error.png"), full_page=True)

            # a phone: nothing scrolls sideways except inside the table wrappers
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2
            )
            small = await phone.new_page()
            await _login(small, base, "province_office")
            await small.goto(f"{base}/dashboards/province/530000?year=2025")
            overflow = await small.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, overflow
            width = await small.evaluate(
                "document.querySelector('svg.chart').getBoundingClientRect().width"
            )
            assert 250 < width <= 390
            await small.screenshot(path=str(ARTIFACTS / "province-phone.png"), full_page=True)
            other = await small.goto(f"{base}/dashboards/province/510000")
            assert other is not None and other.status == 403
            assert "没有权限" in await small.inner_text("main")
            await small.screenshot(path=str(ARTIFACTS / "other-province-403.png"))
            await phone.close()
        finally:
            await browser.close()
