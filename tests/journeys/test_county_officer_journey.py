"""A county officer's journey on a desktop, on the demo: the workspace, the inbox's headline
figures, entering the recipient's bank account (an empty bank name comes back in the form), a
donation form with a mistyped amount (kept), a receipt with the official numbers left empty
(kept, with a message by each), the village register and the county dashboard (headline money
in 万元, charts labelled in 元, categories by name). Every page: axe, screenshot."""

from __future__ import annotations

import pytest

from fupin.money.models import Donation, Receipt, RecipientOrg
from fupin.needs.models import Need
from tests.journeys.support import Journey, assert_headline_money
from tests.support.browser import DESKTOP, chromium, serve

pytestmark = pytest.mark.browser


async def test_county_officer_keeps_the_books_of_the_county(demo) -> None:
    county = await RecipientOrg.get(kind="government", region_id="532627")
    receipt = (
        await Receipt.filter(donation__recipient_id=county.id, donation__official_receipt_number="")
        .order_by("-id")
        .first()
    )
    need = await Need.filter(state="published", county_code="532627").first()
    assert need is not None
    async with serve(demo) as base, chromium() as browser:
        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        j = Journey(await context.new_page(), base, "county-officer")
        await j.login("guangnan")
        await j.visit("/workspace", "01-workspace.png")
        await j.visit(f"/inbox?org={county.id}", "02-inbox.png")
        figures = await j.figures()
        assert_headline_money(figures["预计到账（未兑现认捐）"])
        assert_headline_money(figures["已确认到账"])

        # the bank account donors will pay to: an empty bank name comes back in the form
        form = f"form[action='/recipients/{county.id}/bank-account']"
        await j.visit(f"/recipients/{county.id}/bank-account", "03-bank-account.png")
        await j.page.fill(f"{form} input[name=bank_name]", "")
        await j.page.fill(f"{form} input[name=account_name]", county.name)
        await j.page.fill(f"{form} input[name=account_number]", "6222021102034567890")
        await j.page.click(f"{form} button[type=submit]")
        text = await j.check("04-bank-account-refused.png")
        assert "返回首页" not in text and await j.page.locator("#error-bank_name").is_visible()
        assert (
            await j.page.input_value(f"{form} input[name=account_number]") == "6222021102034567890"
        )
        await j.page.fill(f"{form} input[name=bank_name]", "中国农业银行广南县支行")
        await j.page.click(f"{form} button[type=submit]")
        text = await j.check("05-bank-account-saved.png")
        assert "收款账户已保存" in text

        # a donation with a mistyped amount keeps what was typed
        await j.visit(f"/donations/new?org={county.id}", "06-donation-form.png")
        await j.page.fill("form[action='/donations'] input[name=amount]", "1.234")
        # The server's answer is what is checked: the browser's own checks stop at the first
        # empty field and say nothing about the amount.
        await j.page.eval_on_selector("form[action='/donations']", "f => { f.noValidate = true; }")
        await j.page.click("form[action='/donations'] button[data-default]")  # 登记, not a finder
        text = await j.check("07-donation-refused.png")
        assert "返回首页" not in text and await j.page.locator("#error-amount").is_visible()
        assert await j.page.input_value("form[action='/donations'] input[name=amount]") == "1.234"

        if receipt is not None:
            await j.visit(f"/receipts/{receipt.id}", "08-receipt.png")
            official = f"form[action='/receipts/{receipt.id}/official']"
            await j.page.fill(f"{official} input[name=check_code]", "12345")
            await j.page.click(f"{official} button[type=submit]")
            text = await j.check("09-official-numbers-refused.png")
            assert "返回首页" not in text
            assert await j.page.locator("#error-receipt_number").is_visible()
            assert await j.page.input_value(f"{official} input[name=check_code]") == "12345"

        donation = await Donation.filter(recipient_id=county.id, state="confirmed").first()
        assert donation is not None
        await j.visit(f"/donations/{donation.id}", "10-donation.png")
        await j.visit("/regions/532627/villages", "11-villages.png")
        await j.visit(f"/needs/{need.id}/likely-donors", "12-likely-donors.png")
        text = await j.visit("/dashboards/county/532627", "13-county-dashboard.png")
        for label in ("需求目标金额", "认捐", "到账"):
            assert_headline_money((await j.figures())[label])
        assert "roads" not in text and "drinking_water" not in text  # categories by name
        labels = await j.page.eval_on_selector_all(
            ".chart-box svg text", "els => els.map(e => e.textContent)"
        )
        money_labels = [t for t in labels if "万" in t or "亿" in t]
        assert money_labels and all(t.endswith("元") for t in money_labels), money_labels
        await context.close()
