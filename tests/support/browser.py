"""The one harness the browser tests share: `fupin serve` over the test's SQLite file on a free
127.0.0.1 port, and headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Screenshots go to test-artifacts/<area>/."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fupin import REPO_ROOT
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
FUPIN = str(Path(sys.executable).parent / "fupin")

PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
# new_context(**PHONE) / new_context(**DESKTOP)
PHONE: dict[str, Any] = {"viewport": PHONE_VIEWPORT, "device_scale_factor": 2, "is_mobile": True}
PHONE_TOUCH: dict[str, Any] = {**PHONE, "has_touch": True}
DESKTOP: dict[str, Any] = {"viewport": DESKTOP_VIEWPORT}


def artifacts(area: str) -> Path:
    """test-artifacts/<area>/, created."""
    path = REPO_ROOT / "test-artifacts" / area
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(settings, ready: str = "/healthz") -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """`fupin serve` over the test's database on a free port; yields the base URL once `ready`
    answers 200 (bounded: 150 tries, about 30 s), and stops the server on the way out."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_VAR_DIR=str(settings.var_dir),
        FUPIN_PORT=str(port),
        FUPIN_SEARCH_WORKER="false",
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
                    if (await client.get(f"{base}{ready}", timeout=1)).status_code == 200:
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


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A launched headless Chromium browser, closed on the way out."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def login(  # type: ignore[no-untyped-def]
    page,
    base: str,
    username: str,
    *,
    next: str | None = None,
    wait: str | None = "networkidle",
) -> None:
    """Sign in through the login form with the test password. `next` is passed to /login;
    `wait` is the load state to wait for afterwards (None: the caller waits itself)."""
    await page.goto(f"{base}/login" if next is None else f"{base}/login?next={next}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", TEST_PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    if wait is not None:
        await page.wait_for_load_state(wait)


async def shot(page, directory: Path, name: str, *, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    await page.screenshot(path=str(directory / name), full_page=full_page)
