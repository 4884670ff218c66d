"""The whole round in headless Chromium: the office creates a 2021–2025
round with its categories, ranks it, reviews a nominee's evidence, puts the list on notice; the
public page shows the notice period ending on the right working day; a member of the public
objects; the office decides; once the period is over the office publishes the final list and
the public page shows it. Screenshots: test-artifacts/commendation/walk-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.commendation.models import CommendationRound, Objection
from fupin.commendation.rules.calendar import PRC_HOLIDAYS, PRC_MAKEUP_WORKDAYS, notice_period_end
from fupin.core.clock import today_cn
from tests.support.browser import DESKTOP_VIEWPORT, artifacts, chromium, login, serve, shot
from tests.tax.builders import seed_round_world

pytestmark = pytest.mark.browser


async def test_create_rank_review_notice_object_decide_final_in_chromium(db, world) -> None:
    seed = await seed_round_world(world)
    out = artifacts("commendation")
    async with serve(db) as base, chromium() as browser:
        office = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await login(office, base, "national_admin", next="/commendation/office/new", wait=None)
        await office.wait_for_url(f"{base}/commendation/office/new")
        # 1. Create the round with three categories.
        await office.fill("input[name=title]", "2021–2025 年度社会扶贫表彰")
        await office.fill("input[name=first_year]", "2021")
        await office.fill("input[name=last_year]", "2025")
        await office.fill("input[name=notice_working_days]", "5")
        await office.fill("input[name=objection_channel]", "国务院扶贫办 电话 12317")
        for prefix, quota in (
            ("dedication_collective_", "2"),
            ("dedication_individual_", "1"),
            ("contribution_collective_", "1"),
        ):
            await office.check(f"input[name={prefix}include]")
            await office.fill(f"input[name={prefix}quota]", quota)
        await office.fill("input[name=dedication_collective_min_money]", "100000")
        await office.click("form[action='/commendation/office/new'] button[type=submit]")
        await office.wait_for_url(f"{base}/commendation/office/*")
        rid = int(office.url.rstrip("/").rsplit("/", 1)[1])
        # 2. Rank.
        await office.click(f"form[action='/commendation/office/{rid}/rank'] button")
        await office.wait_for_selector("table.ranking tr.status-nominee")
        nominees = await office.locator("table.ranking tr.status-nominee").count()
        assert nominees >= 3
        await shot(office, out, "walk-1-ranked.png")
        # 3. Review one nominee's evidence.
        e1 = seed.people["e1"].name
        await office.click(f"tr:has-text('{e1}') >> text=证明材料")
        await office.wait_for_selector("dl.figures-list")
        await shot(office, out, "walk-2-evidence.png")
        await office.goto(f"{base}/commendation/office/{rid}")
        # 4. Notice from today.
        await office.click(f"form[action='/commendation/office/{rid}/notice'] button")
        await office.wait_for_load_state("networkidle")
        found = await CommendationRound.get(id=rid)
        assert found.state == "notice"
        today = today_cn()
        end = notice_period_end(
            start=today,
            working_days=5,
            holidays=PRC_HOLIDAYS,
            makeup_workdays=PRC_MAKEUP_WORKDAYS,
        )
        # five working days, the first day included when it is one (counted here independently)
        span = [today + timedelta(days=i) for i in range((end - today).days + 1)]
        working = [
            d
            for d in span
            if (d.weekday() < 5 and d not in PRC_HOLIDAYS) or d in PRC_MAKEUP_WORKDAYS
        ]
        assert found.notice_end == end and len(working) == 5 and working[-1] == end
        public = await browser.new_page(viewport=DESKTOP_VIEWPORT)
        await public.goto(f"{base}/commendation/{rid}")
        box = await public.inner_text(".notice-box")
        assert today.isoformat() in box and end.isoformat() in box and "5" in box
        assert e1 in await public.inner_text("ol.nominee-list")
        # 5. A member of the public objects to e1.
        nomination = public.locator(f"ol.nominee-list li:has-text('{e1}')")
        nomination_id = await nomination.get_attribute("data-nomination")
        await public.select_option("select[name=nomination_id]", value=nomination_id)
        await public.fill("textarea[name=content]", "该单位 2022 年的实物捐赠估值偏高，请核实。")
        await public.fill("input[name=name]", "王五")
        await public.fill("input[name=contact]", "13800000000")
        await public.click("form.stack button[type=submit]")
        await public.wait_for_selector(".flash")
        await shot(public, out, "walk-3-public-notice.png")
        (objection,) = await Objection.filter(round_id=rid)
        # 6. The office decides: not upheld, with its finding.
        await office.goto(f"{base}/commendation/office/{rid}/objections")
        form = office.locator(f"#o{objection.id} form")
        await form.locator("textarea[name=resolution]").fill("经核实，估值有发票为证，异议不成立。")
        await form.locator("button[value=dismissed]").click()
        await office.wait_for_load_state("networkidle")
        assert (await Objection.get(id=objection.id)).state != "open"
        # 7. The five working days pass (the test cannot wait them): the period ended yesterday.
        await CommendationRound.filter(id=rid).update(
            notice_start=today - timedelta(days=10), notice_end=today - timedelta(days=1)
        )
        await office.goto(f"{base}/commendation/office/{rid}")
        await office.click(f"form[action='/commendation/office/{rid}/final'] button")
        await office.wait_for_load_state("networkidle")
        assert (await CommendationRound.get(id=rid)).state == "final"
        await shot(office, out, "walk-4-final-office.png")
        # 8. The public final list.
        await public.goto(f"{base}/commendation/{rid}")
        text = await public.inner_text("article.commendation")
        assert "已公布表彰名单" in text and e1 in text
        assert await public.locator("form[action$='/objections']").count() == 0
        await shot(public, out, "walk-5-public-final.png")
