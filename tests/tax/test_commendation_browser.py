"""The office's ranked list with an evidence pack and the public notice with its objection form,
in headless Chromium. Screenshots: test-artifacts/commendation/."""

from __future__ import annotations

import pytest

from fupin import REPO_ROOT
from fupin.domain import commendation as service
from fupin.domain.pledges import today_cn
from fupin.models.commendation import Objection
from tests.support.world import TEST_PASSWORD
from tests.tax.builders import seed_round_world
from tests.tax.test_commendation import CATEGORIES
from tests.tax.test_tax_browser import CHROMIUM, CHROMIUM_ARGS, serve_app

ARTIFACTS = REPO_ROOT / "test-artifacts" / "commendation"

pytestmark = pytest.mark.browser


async def test_office_ranking_and_public_notice_in_chromium(db, world) -> None:
    from playwright.async_api import async_playwright

    seed = await seed_round_world(world)
    found = await service.create_round(
        actor=None, title="2021–2025 年度社会扶贫表彰", first_year=2021, last_year=2025,
        categories=CATEGORIES, objection_channel="国务院扶贫办 电话 12317", system=True,
    )  # fmt: skip
    await service.rank(actor=None, round_id=found.id, system=True)
    await service.publish_notice(actor=None, round_id=found.id, system=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with serve_app(db) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            office = await browser.new_page(viewport={"width": 1280, "height": 900})
            await office.goto(f"{base}/login?next=/commendation/office/{found.id}")
            await office.fill("input[name=username]", "national_admin")
            await office.fill("input[name=password]", TEST_PASSWORD)
            await office.click("form[action='/login'] button[type=submit]")
            await office.wait_for_url(f"{base}/commendation/office/{found.id}")
            assert await office.locator("table.ranking tr.status-nominee").count() == 4
            await office.screenshot(path=str(ARTIFACTS / "office-round.png"), full_page=True)
            await office.click(f"tr:has-text('{seed.people['e1'].name}') >> text=证明材料")
            await office.wait_for_selector("dl.figures-list")
            await office.screenshot(path=str(ARTIFACTS / "evidence.png"), full_page=True)

            public = await browser.new_page(viewport={"width": 390, "height": 844})
            await public.goto(f"{base}/commendation/{found.id}")
            assert today_cn().isoformat() in await public.inner_text(".notice-box")
            await public.select_option("select[name=nomination_id]", label=None, index=1)
            await public.fill(
                "textarea[name=content]", "该单位的捐赠数额与我了解的情况不符，请核实。"
            )
            await public.fill("input[name=name]", "王五")
            await public.fill("input[name=contact]", "13800000000")
            await public.click("form.stack button[type=submit]")
            await public.wait_for_selector(".flash")
            width = await public.evaluate("document.documentElement.scrollWidth")
            await public.screenshot(path=str(ARTIFACTS / "public-notice-phone.png"), full_page=True)
            assert width <= 390
            assert await Objection.filter(round_id=found.id).count() == 1
        finally:
            await browser.close()
