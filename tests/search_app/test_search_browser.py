"""The search page in headless Chromium (Debian's /usr/bin/chromium via Playwright) with
JavaScript switched OFF, on a phone: type words, submit, open the facets, narrow by a province,
change the sort. Served by `fupin serve` over the test's SQLite file and index directory.
Screenshots go to test-artifacts/search/."""

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
from fupin.search import outbox_db
from fupin.search.service import open_service
from fupin.settings import Settings
from tests.search_app.conftest import make_need
from tests.support.world import World

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
ARTIFACTS = REPO_ROOT / "test-artifacts" / "search"
FUPIN = str(Path(sys.executable).parent / "fupin")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}

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
                    if (await client.get(f"{base}/search", timeout=1)).status_code == 200:
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


async def test_search_on_a_phone_without_javascript(db: Settings, world: World) -> None:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await make_need(world, "石门村饮水安全巩固提升工程", target_yuan=386_000)
    await make_need(world, "石门村自来水入户改造", target_yuan=90_000)
    other = await make_need(world, "新庄村饮水水窖修建", other_county=True, target_yuan=150_000)
    service = await open_service(db)  # index the needs as the worker would, then let go
    try:
        await outbox_db.make_worker(service.backend).drain_until_empty()
    finally:
        await service.close()

    async with serve(db) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(**PHONE, locale="zh-CN", java_script_enabled=False)
            page = await context.new_page()
            await page.goto(f"{base}/search")
            await page.fill("input[name=q]", "饮水")
            await page.press("input[name=q]", "Enter")  # a plain GET form
            await page.wait_for_load_state()
            assert "q=%E9%A5%AE%E6%B0%B4" in page.url
            assert await page.locator(".search-hit").count() == 3
            assert await page.locator(".search-hit h3 mark").first.inner_text() == "饮水"
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            assert not await page.locator(".search-facets").is_visible(), "folded on a phone"
            await page.screenshot(path=str(ARTIFACTS / "1-phone-results.png"), full_page=True)

            await page.click("label[for=facet-toggle]")  # CSS-only toggle, no script
            assert await page.locator(".search-facets").is_visible()
            await page.screenshot(path=str(ARTIFACTS / "2-phone-facets.png"), full_page=True)
            await page.click(".search-facets a:text-is('四川省')")
            await page.wait_for_load_state()
            assert await page.locator(".search-hit").count() == 1
            assert await page.locator(f".search-hit a[href='/needs/{other}']").count() == 1
            await page.click(".search-sorts a:text-is('缺口最大')")
            await page.wait_for_load_state()
            assert "sort=open_amount" in page.url and "province=" in page.url
            await page.screenshot(path=str(ARTIFACTS / "3-phone-narrowed.png"), full_page=True)

            desktop = await browser.new_context(
                viewport={"width": 1280, "height": 900}, java_script_enabled=False
            )
            wide = await desktop.new_page()
            await wide.goto(f"{base}/search?q=饮水")
            assert await wide.locator(".search-facets").is_visible()
            await wide.screenshot(path=str(ARTIFACTS / "4-desktop.png"), full_page=True)
        finally:
            await browser.close()
