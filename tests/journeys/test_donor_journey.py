"""A donor's journey on a desktop, on the demo: find a need, pledge to it (a mistyped amount
comes back in the form), read whom to pay and how, change the pledge (a mistyped amount again
comes back), see the headline figures on /me, the receipt of a gift, the tax page, the one inbox (its
progress filter with the needs followed and supported, the invitations answered on /me/inbox),
the withdrawal page that says what withdrawing does; then /me and the pledge page on a phone.
Every page: axe, screenshot (and on the phone, nothing wider than the screen)."""

from __future__ import annotations

import pytest

from fupin.accounts.models import User
from fupin.accounts.service.users import actor_for
from fupin.money.models import Donation, Pledge, Receipt, RecipientOrg
from fupin.money.service import recipients
from fupin.needs.models import Need
from tests.journeys.support import Journey, assert_headline_money
from tests.support.browser import DESKTOP, PHONE_TOUCH, chromium, serve

pytestmark = pytest.mark.browser

ACCOUNT = "6222 0211 0203 4567 890"


async def test_donor_finds_a_need_pledges_and_is_told_how_to_pay(demo) -> None:
    county = await RecipientOrg.get(kind="government", region_id="532627")
    officer = await actor_for(await User.get(username="guangnan"))
    await recipients.set_bank_account(
        actor=officer,
        org_id=county.id,
        bank_name="中国农业银行广南县支行",
        account_name=county.name,
        account_number=ACCOUNT,
    )
    need = max(
        await Need.filter(state="published", county_code="532627"),
        key=lambda n: n.target_fen - n.pledged_fen,
    )
    assert need.target_fen - need.pledged_fen >= 20_000_00
    donor = await User.get(username="donor")
    async with serve(demo) as base, chromium() as browser:
        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        j = Journey(await context.new_page(), base, "donor")
        await j.login("donor")
        await j.visit("/needs", "01-needs.png")
        text = await j.visit(f"/needs/{need.id}", "02-need-page.png")
        assert need.title in text
        # the anonymous checkbox is a target a finger can hit
        box = await j.box("form.pledge-form input[name=anonymous]")
        assert box["width"] >= 24 and box["height"] >= 24

        # a mistyped amount comes back in the form, with what was typed and a message by it
        await j.page.fill("form.pledge-form input[name=amount]", "两万")
        await j.page.click("form.pledge-form button[type=submit]")
        text = await j.check("03-pledge-refused.png")
        assert "返回首页" not in text
        assert await j.page.input_value("form[action='/pledges'] input[name=amount]") == "两万"
        assert await j.page.locator("#error-amount").is_visible()

        await j.page.fill("form[action='/pledges'] input[name=amount]", "20000")
        await j.page.click("form[action='/pledges'] button[type=submit]")
        text = await j.check("04-pledge-page.png")
        pledge = (
            await Pledge.filter(need_id=need.id, participant_id=donor.participant_id)
            .order_by("-id")
            .first()
        )
        assert pledge is not None and pledge.amount_fen == 20_000_00
        assert j.page.url.endswith(f"/pledges/{pledge.id}")
        # whom to pay, how, with which reference, and what happens next
        payment = await j.page.inner_text("#payment")
        for wanted in (county.name, "中国农业银行广南县支行", ACCOUNT.replace(" ", "")):
            assert wanted in payment, (wanted, payment)
        for wanted in ("付款附言", f"FP-P{pledge.id}", "接下来", "税前扣除"):
            assert wanted in payment, (wanted, payment)
        await j.page.screenshot(path=str(j.out / "pledge-payment.png"))  # for the README

        # changing the pledge with a mistyped amount keeps the form
        await j.page.fill(f"form[action='/pledges/{pledge.id}/amend'] input[name=amount]", "abc")
        await j.page.fill(f"form[action='/pledges/{pledge.id}/amend'] input[name=reason]", "追加")
        await j.page.click(f"form[action='/pledges/{pledge.id}/amend'] button[type=submit]")
        text = await j.check("05-amend-refused.png")
        assert "返回首页" not in text
        form = f"form[action='/pledges/{pledge.id}/amend']"
        assert await j.page.input_value(f"{form} input[name=amount]") == "abc"
        assert await j.page.input_value(f"{form} input[name=reason]") == "追加"

        # /me: headline money in 万元 / 亿元, never clipped
        await j.visit("/me", "06-me.png")
        figures = await j.figures()
        assert_headline_money(figures["有效认捐"])
        assert_headline_money(figures["已确认捐赠"])
        clipped = await j.page.eval_on_selector_all(
            ".figure strong", "els => els.filter(e => e.scrollWidth > e.clientWidth).length"
        )
        assert clipped == 0
        await j.visit("/me/pledges", "07-my-pledges.png")
        await j.visit("/me/donations", "08-my-donations.png")
        gift = await Donation.filter(donor_id=donor.participant_id, state="confirmed").first()
        assert gift is not None
        await j.visit(f"/donations/{gift.id}", "09-donation.png")
        receipt = await Receipt.filter(donation_id=gift.id).first()
        if receipt is not None:
            await j.visit(f"/receipts/{receipt.id}", "10-receipt.png")
        await j.visit("/tax", "11-tax.png")
        await j.visit("/me/recommendations", "12-recommendations.png")
        # one inbox in the navigation, with the unread count; the invitation page is reached
        # from it (the invitation filter), not from the navigation
        await j.visit("/me/notifications", "13-notifications.png")
        assert await j.page.locator("#site-nav a[href='/me/notifications']").count() == 1
        for gone in ("/me/inbox", "/me/updates"):
            assert await j.page.locator(f"#site-nav a[href='{gone}']").count() == 0
        await j.visit("/me/notifications?kind=need_progress", "14-progress.png")
        assert await j.page.locator("#my-needs").is_visible()
        await j.visit("/me/notifications?kind=invitation", "15-invitation-notices.png")
        await j.page.click("p.lead a[href='/me/inbox']")
        await j.check("16-invitations.png")
        assert j.page.url.endswith("/me/inbox")
        text = await j.visit(f"/pledges/{pledge.id}/withdraw", "17-withdraw.png")
        assert need.title in text
        await context.close()

        # on a phone: /me's amounts are not clipped, the pledge page fits the screen
        context = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        j = Journey(await context.new_page(), base, "donor-phone", phone=True)
        await j.login("donor")
        await j.visit("/me", "01-me.png")
        clipped = await j.page.eval_on_selector_all(
            ".figure strong", "els => els.filter(e => e.scrollWidth > e.clientWidth).length"
        )
        assert clipped == 0
        await j.visit(f"/pledges/{pledge.id}", "02-pledge-page.png")
        await context.close()
