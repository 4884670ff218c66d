"""A citizen's anonymous complaint about a need, in headless Chromium: filed from the need page,
followed by its tracking code without an account, accepted and concluded by the county office,
and the public statistics change. Screenshots: test-artifacts/disclosure/."""

from __future__ import annotations

import pytest

from fupin.disclosure.models import Complaint
from tests.disclosure.support import scene
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


async def _county_row(page, base: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/complaints/statistics")
    row = page.locator("tr[data-county='532627']")
    if await row.count() == 0:
        return {}
    return {
        key: (await row.locator(f"td.{key}").inner_text()).strip()
        for key in ("received", "concluded", "on-time", "overdue")
    }


async def test_anonymous_complaint_followed_and_concluded_in_chromium(db, world) -> None:
    s = await scene(world)
    out = artifacts("disclosure")
    async with serve(db) as base, chromium() as browser:
        citizen = await browser.new_page(viewport=PHONE_VIEWPORT)
        assert await _county_row(citizen, base) == {}
        await citizen.goto(f"{base}/needs/{s.need.id}")
        await citizen.click("a#complain")
        await citizen.wait_for_selector("form[action='/complaints']")
        assert await citizen.is_checked("input[name=anonymous]")
        await citizen.fill("textarea[name=content]", "村道只铺了一半，施工队已经撤场两个月。")
        await shot(citizen, out, "complaint-form-phone.png")
        await citizen.click("form[action='/complaints'] button[type=submit]")
        await citizen.wait_for_url(f"{base}/complaints/track/*")
        code = (await citizen.inner_text("#tracking-code")).strip()
        assert len(code) == 12 and code in await citizen.inner_text(".flash")
        assert "已收到" in await citizen.inner_text("#complaint-state")
        width = await citizen.evaluate("document.documentElement.scrollWidth")
        await shot(citizen, out, "tracking-phone.png")
        assert width <= 390
        found = await Complaint.get(tracking_code=code)
        assert found.anonymous and found.name == "" and found.need_id == s.need.id
        before = await _county_row(citizen, base)
        assert before == {"received": "1", "concluded": "0", "on-time": "0", "overdue": "0"}

        office = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await login(office, base, "county_officer", next="/complaints/office?mine=1", wait=None)
        await office.wait_for_url(f"{base}/complaints/office?mine=1")
        await office.click(f"a[href='/complaints/office/{found.id}']")
        await office.wait_for_selector("form[action$='/handle']")
        assert "村道只铺了一半" in await office.inner_text(".story")
        await office.select_option("select[name=action]", "accept")
        await office.click("form[action$='/handle'] button[type=submit]")
        await office.wait_for_selector(".flash")
        await office.select_option("select[name=action]", "conclude")
        await office.select_option("select[name=outcome]", "upheld")
        await office.fill("textarea[name=measures]", "责令施工方限期复工，约谈项目负责人。")
        await office.fill("textarea[name=public_summary]", "经核查情况属实，已责令施工方复工。")
        await office.click("form[action$='/handle'] button[type=submit]")
        await office.wait_for_selector(".flash")
        await shot(office, out, "office-concluded.png")

        # Anyone with the code follows it, without an account.
        follower = await browser.new_page(viewport=PHONE_VIEWPORT)
        await follower.goto(f"{base}/complaints/track")
        await follower.fill("input[name=code]", code.lower())
        await follower.click("form[action='/complaints/track'] button[type=submit]")
        await follower.wait_for_selector("#public-summary")
        assert "已办结" in await follower.inner_text("#complaint-state")
        assert "已责令施工方复工" in await follower.inner_text("#public-summary")
        await shot(follower, out, "tracking-concluded-phone.png")
        after = await _county_row(follower, base)
        assert after == {"received": "1", "concluded": "1", "on-time": "1", "overdue": "0"}
