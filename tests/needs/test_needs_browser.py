"""In headless Chromium (Debian's /usr/bin/chromium via Playwright), served by `fupin serve`
over the test's SQLite file: a village worker drafts a need on a phone-sized screen and submits
it, the county officer reviews and publishes it on a phone, and the public finds it in the list.
Screenshots go to test-artifacts/needs/."""

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
from fupin.models.needs import Need
from tests.needs.support import future, make_need, png_bytes
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
ARTIFACTS = REPO_ROOT / "test-artifacts" / "needs"
FUPIN = str(Path(sys.executable).parent / "fupin")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _serve(db) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
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


async def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", TEST_PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def test_village_worker_drafts_on_a_phone_county_publishes_public_sees_it(
    db, world, tmp_path
) -> None:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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
    async with _serve(db) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # 1. the village worker drafts and submits on a phone
            worker = await browser.new_context(**PHONE, locale="zh-CN")
            page = await worker.new_page()
            await _login(page, base, "village_worker")
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
            await page.screenshot(path=str(ARTIFACTS / "01-phone-draft-form.png"), full_page=True)
            await page.click("button[name=then][value=submit]")
            await page.wait_for_load_state("networkidle")
            assert "已提交县扶贫办审核" in await page.content()
            await page.set_input_files("input[name=file]", str(photo))
            await page.click("form.upload button[type=submit]")
            await page.wait_for_load_state("networkidle")
            await page.screenshot(path=str(ARTIFACTS / "02-phone-submitted.png"), full_page=True)
            need = await Need.get(title=title)
            assert need.state == "submitted"

            # 2. the county officer reviews and publishes, also on a phone
            officer = await browser.new_context(**PHONE, locale="zh-CN")
            page = await officer.new_page()
            await _login(page, base, "county_officer")
            await page.goto(f"{base}/workspace?state=submitted")
            await page.screenshot(path=str(ARTIFACTS / "03-phone-workspace.png"), full_page=True)
            await page.click(f"a[href='/needs/{need.id}/review']")
            await page.wait_for_load_state("networkidle")
            assert "未发现同村同类的相似需求" in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "04-phone-review.png"), full_page=True)
            await page.click("form.transition-publish button[type=submit]")
            await page.wait_for_load_state("networkidle")
            assert (await Need.get(id=need.id)).state == "published"
            await page.screenshot(path=str(ARTIFACTS / "05-phone-published.png"), full_page=True)

            # 3. the public finds it on the list (phone and desktop) and opens it
            public = await browser.new_context(**PHONE, locale="zh-CN")
            page = await public.new_page()
            await page.goto(f"{base}/needs")
            assert title in await page.content() and other.title in await page.content()
            await page.screenshot(path=str(ARTIFACTS / "06-phone-public-list.png"), full_page=True)
            await page.click(f"a[href='/needs/{need.id}']")
            await page.wait_for_load_state("networkidle")
            assert await page.locator(".story").inner_text() != ""
            assert (
                "<script>alert(1)</script>" in await page.locator(".story").inner_text()
            )  # shown as text
            await page.screenshot(path=str(ARTIFACTS / "07-phone-need-page.png"), full_page=True)
            desktop = await browser.new_page(viewport={"width": 1280, "height": 900})
            await desktop.goto(f"{base}/needs")
            await desktop.screenshot(
                path=str(ARTIFACTS / "08-desktop-public-list.png"), full_page=True
            )
            await desktop.goto(f"{base}/needs/{other.id}")
            await desktop.screenshot(
                path=str(ARTIFACTS / "09-desktop-need-page.png"), full_page=True
            )
        finally:
            await browser.close()
