"""The poverty office's journey on a desktop, on the demo: the province office's dashboards
(headline money in 万元 / 亿元 under one rule, charts labelled in 元, categories by name), the
pairs' assessment and a pair's page, the village register's change log; the national office's
dashboard and commendation rounds. Every page: axe, screenshot."""

from __future__ import annotations

import pytest

from fupin.pairs.models import PairYear
from tests.journeys.support import Journey, assert_headline_money
from tests.support.browser import DESKTOP, chromium, serve

pytestmark = pytest.mark.browser


async def _dashboard_reads_well(j: Journey, text: str) -> None:
    for label in ("需求目标金额", "认捐", "到账"):
        assert_headline_money((await j.figures())[label])
    assert "roads" not in text and "drinking_water" not in text and "万元万" not in text
    labels = await j.page.eval_on_selector_all(
        ".chart-box svg text", "els => els.map(e => e.textContent)"
    )
    money_labels = [t for t in labels if "万" in t or "亿" in t]
    assert all(t.endswith("元") for t in money_labels), money_labels


async def test_poverty_office_reads_the_dashboards(demo) -> None:
    pair_year = await PairYear.all().order_by("pair_id").first()
    assert pair_year is not None
    async with serve(demo) as base, chromium() as browser:
        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        j = Journey(await context.new_page(), base, "poverty-office")
        await j.login("yunnan")
        await j.visit("/dashboards", "01-dashboards.png")
        text = await j.visit("/dashboards/province/530000", "02-province.png")
        await _dashboard_reads_well(j, text)
        text = await j.visit("/dashboards/county/532627", "03-county.png")
        await _dashboard_reads_well(j, text)
        await j.visit("/dashboards/pairs", "04-pairs.png")
        await j.visit(f"/dashboards/pairs/{pair_year.pair_id}", "05-pair.png")
        await j.visit("/regions/changes", "06-village-changes.png")
        await j.visit("/honour-rates", "07-honour-rates.png")
        await context.close()

        context = await browser.new_context(**DESKTOP, locale="zh-CN")
        j = Journey(await context.new_page(), base, "poverty-office")
        await j.login("admin")
        text = await j.visit("/dashboards/national", "08-national.png")
        await _dashboard_reads_well(j, text)
        await j.visit("/commendation/office", "09-commendation-office.png")
        await j.visit("/admin/audit", "10-audit.png")
        await context.close()
