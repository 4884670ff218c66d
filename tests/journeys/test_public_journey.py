"""The public's journey, on the demo, without signing in: the home page, the needs list and a
need, search, the readable ledger (an entry found by its sequence number), honour rates,
participants, places (the county grid's links big enough to tap), pairs, the commendation
notice; on a phone a receipt that fits the screen and the menu; in English, money that reads
"¥314,000" or "¥8.43 million", never "× 10,000 yuan". Every page: axe, screenshot."""

from __future__ import annotations

import re

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Receipt
from fupin.needs.models import Need
from tests.journeys.support import Journey
from tests.support.browser import DESKTOP, PHONE_TOUCH, chromium, serve

pytestmark = pytest.mark.browser


async def test_the_public_reads_needs_ledger_and_places(demo) -> None:
    need = await Need.filter(state="published").order_by("-pledged_fen").first()
    assert need is not None
    participant = await Participant.filter(is_demo=True, kind="enterprise").first()
    pair = await Pair.all().order_by("id").first()
    entry = await LedgerEntry.all().order_by("-seq").first()
    receipt = await Receipt.all().order_by("id").first()
    assert participant and pair and entry and receipt
    async with serve(demo) as base, chromium() as browser:
        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        j = Journey(await context.new_page(), base, "public")
        await j.visit("/", "01-home.png")
        await j.visit("/needs", "02-needs.png")
        text = await j.visit(f"/needs/{need.id}", "03-need.png")
        assert need.title in text
        await j.page.screenshot(path=str(j.out / "need-page.png"))  # for the README
        await j.visit("/search?q=饮水", "04-search.png")
        text = await j.visit("/ledger", "05-ledger.png")
        assert not re.search(r"\d\s*分", text)  # amounts in ¥, never raw fen
        await j.page.evaluate(
            "[...document.querySelectorAll('h2')].find(h => h.textContent.trim() === '记录')"
            ".scrollIntoView()"
        )
        await j.page.screenshot(path=str(j.out / "ledger.png"))  # the records, for the README
        text = await j.visit(f"/ledger?seq={entry.seq}", "06-ledger-entry.png")
        assert str(entry.seq) in text
        await j.visit("/honour-rates", "07-honour-rates.png")
        await j.visit("/participants", "08-participants.png")
        await j.visit(f"/participants/{participant.id}", "09-participant.png")
        await j.visit("/regions", "10-regions.png")
        for box in await j.page.eval_on_selector_all(
            ".grid-list a",
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
        ):
            assert box[0] >= 24 and box[1] >= 24, box
        await j.visit("/regions/532627", "11-county.png")
        await j.visit("/pairs", "12-pairs.png")
        await j.visit(f"/pairs/{pair.id}", "13-pair.png")
        await j.visit("/commendation", "14-commendation.png")
        await j.visit(f"/receipts/{receipt.id}", "15-receipt.png")

        # in English: money as English reads it
        await j.page.goto(f"{base}/lang/en?next=/")
        text = await j.check("16-home-en.png")
        assert "10,000 yuan" not in text and "×" not in text
        text = await j.visit("/needs", "17-needs-en.png")
        assert "10,000 yuan" not in text and "×" not in text
        await context.close()

        # on a phone: the receipt's long codes wrap, the ledger and a need fit the screen
        context = await browser.new_context(**PHONE_TOUCH, locale="zh-CN")
        j = Journey(await context.new_page(), base, "public-phone", phone=True)
        await j.visit(f"/receipts/{receipt.id}", "01-receipt.png")
        await j.visit("/ledger", "02-ledger.png")
        await j.visit(f"/needs/{need.id}", "03-need.png")
        await j.visit("/regions", "04-regions.png")
        await context.close()
