"""In headless Chromium: the county officer records a donation without a pledge by finding
the need and the donor by name — Enter in a picker's search field searches, Enter elsewhere
records. Screenshots go to test-artifacts/money/."""

from __future__ import annotations

import pytest

from fupin.money.models import Donation
from tests.money.support import build_money
from tests.support.browser import DESKTOP, artifacts, chromium, login, serve, shot

pytestmark = pytest.mark.browser


async def test_the_officer_finds_need_and_donor_by_name_in_the_browser(db, world) -> None:
    out = artifacts("money")
    m = await build_money(world)
    donor = world.participants["individual"]
    async with serve(db) as base, chromium() as browser:
        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        page = await context.new_page()
        await login(page, base, "county_officer")
        await page.goto(f"{base}/donations/new?org={m.county_gov.id}")
        await page.fill("input[name=amount]", "800")
        await page.fill("input[name=need_q]", "村道")
        await page.press("input[name=need_q]", "Enter")
        await page.wait_for_load_state("networkidle")
        await page.check(f"input[name=need_id][value='{m.need.id}']")
        assert await page.input_value("input[name=amount]") == "800"  # kept
        await page.fill("input[name=donor_q]", donor.name)
        await page.press("input[name=donor_q]", "Enter")
        await page.wait_for_load_state("networkidle")
        assert await page.is_checked(f"input[name=need_id][value='{m.need.id}']")
        await page.check(f"input[name=donor_id][value='{donor.id}']")
        await shot(page, out, "donation-pickers.png")
        assert not await Donation.exists()
        await page.press("input[name=payment_reference]", "Enter")  # records
        await page.wait_for_url(f"{base}/donations/*")
        donation = await Donation.get()
        assert (donation.need_id, donation.donor_id, donation.amount_fen) == (
            m.need.id,
            donor.id,
            80000,
        )
