"""The statement and working-paper pages in headless Chromium (Debian's /usr/bin/chromium via
Playwright), served by `fupin serve` over a fresh SQLite file holding enterprise E of RULES.md
§1.4. Screenshots go to test-artifacts/tax/ (desktop, phone width, print media)."""

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
from fupin.web.templating import yuan
from tests.support.world import TEST_PASSWORD
from tests.tax.builders import EXAMPLE_PROFIT_WAN, EXAMPLE_TABLE, WAN, build_example_e

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
ARTIFACTS = REPO_ROOT / "test-artifacts" / "tax"
FUPIN = str(Path(sys.executable).parent / "fupin")

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_app(db) -> AsyncIterator[str]:
    """`fupin serve` over the test's SQLite file, on a free port; yields the base URL."""
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


@pytest.fixture
async def served(db, world) -> AsyncIterator[tuple[str, int]]:
    """E's donations in the test's SQLite file, and `fupin serve` over that file."""
    await build_example_e(world)
    async with serve_app(db) as base:
        yield base, world.participants["enterprise"].id


async def test_statement_and_paper_pages_in_chromium(served) -> None:
    from playwright.async_api import async_playwright

    base, pid = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{base}/login?next=/tax")
            await page.fill("input[name=username]", "participant_member")
            await page.fill("input[name=password]", TEST_PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_load_state("networkidle")

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
            await page.screenshot(path=str(ARTIFACTS / "statement-2019.png"), full_page=True)
            await page.emulate_media(media="print")
            assert not await page.locator("header.site").is_visible()
            await page.screenshot(path=str(ARTIFACTS / "statement-2019-print.png"), full_page=True)
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
            await page.screenshot(path=str(ARTIFACTS / "paper-2026.png"), full_page=True)
            # A receipt link in a line jumps to the receipt index.
            first_link = page.locator(".paper-lines .sources a").first
            target = await first_link.get_attribute("href")
            assert target and await page.locator(target).count() == 1
            await page.emulate_media(media="print")
            assert not await page.locator("form.paper-form").is_visible()
            await page.screenshot(path=str(ARTIFACTS / "paper-2026-print.png"), full_page=True)

            # Phone width: the summary table scrolls inside its wrapper, the page does not.
            phone = await browser.new_page(viewport={"width": 390, "height": 844})
            await phone.context.add_cookies(await page.context.cookies())
            await phone.goto(f"{base}/tax/{pid}/2026/paper")
            for year, wan in EXAMPLE_PROFIT_WAN.items():
                await phone.fill(f"input[name=profit_{year}]", f"{wan}万")
            await phone.click("button[name=format][value=html]")
            await phone.wait_for_selector("table.paper-summary")
            await phone.screenshot(path=str(ARTIFACTS / "paper-2026-phone.png"), full_page=True)
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
            await page.screenshot(path=str(ARTIFACTS / "paper-bad-input.png"), full_page=True)
        finally:
            await browser.close()
