"""Every headline figure a page shows — the county inbox, the workspace's state tabs, the donor's
/me and the dashboards' cards — read off the rendered page and recomputed here in plain Python
from the raw rows, on SQLite and PostgreSQL.

The rows are the dashboard tests' data set (needs in every state over several years, pledges in
every state routed to the county government or to nobody, donations confirmed, unconfirmed and
reversed), so a sum that keeps one row of a per-pledge query, a join that repeats rows or a
missing state filter shows up as a difference with what the table beside it lists.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from fupin.core.clock import today_cn
from fupin.core.display import short_money
from fupin.money.models import Donation, Pledge, Receipt, RecipientOrg
from fupin.needs.models import Need
from fupin.needs.rules import STATES
from fupin.pairs.service.tables import pct_text
from tests.pairs import recompute
from tests.pairs.data import build

OPEN = ("pledged", "partially_paid")
FIGURE = re.compile(
    r'<div class="figure[^"]*"><strong>(.*?)</strong><span>(.*?)</span></div>', re.DOTALL
)


def headline(fen: int) -> str:
    """A card's figure as the page shows it (the headline rule, in Chinese)."""
    return short_money(fen, "zh")


def _figures(html: str) -> dict[str, str]:
    """Card label (tags stripped) → the figure it shows."""
    return {
        re.sub(r"<[^>]+>", "", label).strip(): value.strip()
        for value, label in FIGURE.findall(html)
    }


def _in_area(code: str, need: Need) -> bool:
    """A county government's area: its county, or every county of its prefecture or province."""
    if len(code) == 6 and code.endswith("0000"):
        return need.province_code == code
    if code.endswith("00"):
        return need.county_code.startswith(code[:4])
    return need.county_code == code


@pytest.mark.both_databases
async def test_county_inbox_headline_figures_are_the_sums_of_the_rows(client_as, world) -> None:
    await build(world)
    org = await RecipientOrg.get(code="GOVTEST")
    needs = {n.id: n for n in await Need.all()}
    expected = [
        p
        for p in await Pledge.all()
        if p.state in OPEN
        and (
            p.recipient_id == org.id
            or (p.recipient_id is None and _in_area(org.region_id or "", needs[p.need_id]))
        )
    ]
    assert len(expected) > 3  # the data set routes several open pledges to the county
    expected_fen = sum(p.amount_fen - p.paid_fen for p in expected)
    donations = [d for d in await Donation.all() if d.recipient_id == org.id]
    received_fen = sum(d.amount_fen for d in donations if d.state == "confirmed")
    reversed_ids = {d.reverses_id for d in donations if d.reverses_id}
    receipted = {r.live_for_id for r in await Receipt.all() if r.live_for_id}
    missing = sum(
        1
        for d in donations
        if d.state == "confirmed"
        and d.reverses_id is None
        and d.id not in reversed_ids
        and d.id not in receipted
    )

    page = await client_as("county_officer").get(f"/inbox?org={org.id}")
    assert page.status_code == 200
    cards = _figures(page.text)
    assert cards["预计到账（未兑现认捐）"] == headline(expected_fen)
    assert cards["已确认到账"] == headline(received_fen)
    assert cards["已确认但未开收据"] == str(missing)
    # the table under the headline lists the same pledges, and its column adds up to it
    table = page.text.split("预计到账的认捐</h2>", 1)[1].split("</table>", 1)[0]
    open_cells = re.findall(r'<td class="num">(¥[\d,.]+)</td>', table)
    assert len(open_cells) == len(expected)
    assert sum(int(c.strip("¥").replace(",", "").replace(".", "")) for c in open_cells) == (
        expected_fen
    )


@pytest.mark.both_databases
async def test_workspace_and_me_headline_figures_are_the_sums_of_the_rows(client_as, world) -> None:
    await build(world)
    today = today_cn()
    # the workspace's tabs: needs of the officer's county per state, overdue ones as expired
    counts = dict.fromkeys(STATES, 0)
    for need in await Need.filter(county_code="532627"):
        state = need.state
        if state == "published" and need.deadline < today:
            state = "expired"
        counts[state] += 1
    page = await client_as("county_officer").get("/workspace")
    assert page.status_code == 200
    tabs = dict(re.findall(r'href="/workspace\?state=(\w+)"[^>]*>[^<]*<b>(\d+)</b>', page.text))
    assert {s: int(n) for s, n in tabs.items()} == counts
    total = re.search(r'href="/workspace"[^>]*>[^<]*<b>(\d+)</b>', page.text)
    assert total is not None and int(total.group(1)) == sum(counts.values())

    # /me: what the donor has pledged, what it gave, its honour rate
    donor = world.participants["enterprise"]
    mine = [p for p in await Pledge.all() if p.participant_id == donor.id]
    come_due = [
        p
        for p in mine
        if p.state in ("honoured", "lapsed") or (p.state in OPEN and p.due_date < today)
    ]
    honoured = sum(1 for p in come_due if p.state == "honoured")
    given = sum(
        d.amount_fen
        for d in await Donation.all()
        if d.donor_id == donor.id and d.state == "confirmed"
    )
    assert mine and come_due
    me = await client_as("participant_member").get("/me")
    cards = _figures(me.text)
    assert cards["有效认捐"] == headline(sum(p.committed_fen for p in mine))
    assert cards["已确认捐赠"] == headline(given)
    rate = f"{honoured * 100 // len(come_due)}%"
    assert cards[f"兑现率（已兑现 {honoured} / 到期 {len(come_due)}）"] == rate


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("path", "level", "code"),
    [
        ("/dashboards/national", "national", None),
        ("/dashboards/province/530000", "province", "530000"),
        ("/dashboards/county/532627", "county", "532627"),
    ],
)
async def test_dashboard_headline_cards_are_the_sums_of_the_rows(
    client_as, world, path: str, level: str, code: str | None
) -> None:
    await build(world)
    rows = await recompute.load()
    today: date = today_cn()
    for year in (2025, None):
        want = recompute.region_figures(rows, level, code, year, today)
        total: recompute.Sums = want["total"]
        page = await client_as("national_admin").get(f"{path}?year={year or 'all'}")
        assert page.status_code == 200, page.text[:300]
        cards = _figures(page.text)
        where = f"{path} {year}"
        assert cards["公开需求"] == f"{total.needs:,}", where
        assert cards["需求目标金额"] == headline(total.target), where
        assert cards["认捐"] == headline(total.pledged), where
        assert cards["到账"] == headline(total.received), where
        assert cards["兑现率（笔数）"] == pct_text(total.honour_pct), where
        assert cards["兑现率（金额）"] == pct_text(total.paid_pct), where
        villages = next(v for k, v in cards.items() if k.startswith("受益村"))
        assert villages == f"{want['villages_reached']:,}", where
        assert f"提出需求的村 {want['villages_asking']:,}" in next(
            k for k in cards if k.startswith("受益村")
        ), where
