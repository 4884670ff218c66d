"""The office's ranked list with an evidence pack and the public notice with its objection form,
in headless Chromium. Screenshots: test-artifacts/commendation/."""

from __future__ import annotations

import pytest

from fupin.commendation.models import Objection
from fupin.commendation.service.notice import publish_notice
from fupin.commendation.service.ranking import rank
from fupin.commendation.service.rounds import create_round
from fupin.core.clock import today_cn
from tests.commendation.test_commendation import CATEGORIES
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    artifacts,
    chromium,
    login,
    serve,
    shot,
)
from tests.tax.builders import seed_round_world

pytestmark = pytest.mark.browser


async def test_office_ranking_and_public_notice_in_chromium(db, world) -> None:
    seed = await seed_round_world(world)
    found = await create_round(
        actor=None, title="2021–2025 年度社会扶贫表彰", first_year=2021, last_year=2025,
        categories=CATEGORIES, objection_channel="国务院扶贫办 电话 12317", system=True,
    )  # fmt: skip
    await rank(actor=None, round_id=found.id, system=True)
    await publish_notice(actor=None, round_id=found.id, system=True)
    out = artifacts("commendation")
    async with serve(db) as base, chromium() as browser:
        office = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await login(
            office, base, "national_admin", next=f"/commendation/office/{found.id}", wait=None
        )
        await office.wait_for_url(f"{base}/commendation/office/{found.id}")
        assert await office.locator("table.ranking tr.status-nominee").count() == 4
        await shot(office, out, "office-round.png")
        await office.click(f"tr:has-text('{seed.people['e1'].name}') >> text=证明材料")
        await office.wait_for_selector("dl.figures-list")
        await shot(office, out, "evidence.png")

        public = await browser.new_page(viewport=PHONE_VIEWPORT)
        await public.goto(f"{base}/commendation/{found.id}")
        assert today_cn().isoformat() in await public.inner_text(".notice-box")
        await public.select_option("select[name=nomination_id]", label=None, index=1)
        await public.fill("textarea[name=content]", "该单位的捐赠数额与我了解的情况不符，请核实。")
        await public.fill("input[name=name]", "王五")
        await public.fill("input[name=contact]", "13800000000")
        await public.click("form.stack button[type=submit]")
        await public.wait_for_selector(".flash")
        width = await public.evaluate("document.documentElement.scrollWidth")
        await shot(public, out, "public-notice-phone.png")
        assert width <= 390
        assert await Objection.filter(round_id=found.id).count() == 1
