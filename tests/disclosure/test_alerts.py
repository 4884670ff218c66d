"""Supervision alerts, each list against its threshold on records made through the services
(docs/domain.md §3.10), and the docking figures' arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.disclosure.rules.alerts import ALERTS, top_share_pct_x100
from fupin.disclosure.rules.docking import NeedDocking, docking_figures, median_x10, whole_days
from fupin.disclosure.service import alerts
from fupin.money.models import Donation, Pledge, Receipt
from fupin.money.service import donations, pledges, receipts
from fupin.needs.models import Attachment, Need, NeedEvent
from tests.disclosure.support import scene
from tests.money.support import WAN, due, make_need
from tests.support.world import make_village

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _need(**overrides) -> NeedDocking:  # type: ignore[no-untyped-def]
    values = {
        "province_code": "530000",
        "county_code": "532627",
        "category": "roads",
        "published_at": AT,
        "target_fen": 100,
        "pledged_fen": 0,
        "state": "published",
        "first_pledge_at": None,
        "funded_at": None,
    }
    values.update(overrides)
    return NeedDocking(**values)


def test_docking_arithmetic() -> None:
    assert median_x10([]) is None and median_x10([3]) == 30 and median_x10([1, 2]) == 15
    assert median_x10([5, 1, 4, 2]) == 30
    assert whole_days(AT, AT + timedelta(hours=30)) == 1
    needs = [
        _need(pledged_fen=100, state="funded", first_pledge_at=AT + timedelta(days=2),
              funded_at=AT + timedelta(days=6)),
        _need(county_code="532628", first_pledge_at=AT + timedelta(days=4), pledged_fen=50),
        _need(category="water", target_fen=0, state="in_progress", funded_at=AT),
        _need(province_code="510000", county_code="513431"),
    ]  # fmt: skip
    total, by_province = docking_figures(needs, "province")
    assert (total.needs, total.fully_pledged, total.rate_pct_x100) == (4, 2, 5000)
    assert total.median_days_to_first_pledge_x10 == 30  # 2 and 4 days
    assert total.median_days_to_funded_x10 == 30  # 0 and 6 days
    assert [(f.key, f.needs) for f in by_province] == [("530000", 3), ("510000", 1)]
    _total, by_category = docking_figures(needs, "category")
    assert {f.key: f.rate_pct_x100 for f in by_category} == {"roads": 3333, "water": 10000}
    with pytest.raises(ValueError):
        docking_figures(needs, "village")


def test_every_alert_documents_its_threshold_and_the_top_share() -> None:
    assert set(ALERTS) == {
        "stalled_needs",
        "donations_without_receipt",
        "receipts_without_official_numbers",
        "concentration",
        "overdue_pledges",
    }
    assert all(a.explanation and a.unit in ("days", "pct_x100") for a in ALERTS.values())
    assert top_share_pct_x100([900, *[10] * 9]) == (9090, 1)
    assert top_share_pct_x100([5] * 20) == (1000, 2)
    assert top_share_pct_x100([]) == (0, 0)


async def _codes(area: alerts.Area) -> dict[str, int]:
    return {found.code: found.total for found in await alerts.all_alerts(area)}


@pytest.mark.both_databases
async def test_each_list_follows_its_threshold(world) -> None:
    s = await scene(world)
    county = alerts.Area("county", "532627", "广南县")
    elsewhere = alerts.Area("county", "513431", "昭觉县")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    # A funded need idle for 40 days; the photo (a file is progress too) as old.
    assert (await Need.get(id=s.need.id)).state == "funded"
    await NeedEvent.filter(need_id=s.need.id).update(at=long_ago)
    await Attachment.filter(need_id=s.need.id).update(created_at=long_ago)
    stalled = await alerts.alert_list(county, "stalled_needs")
    assert [r["need_id"] for r in stalled.rows] == [s.need.id] and stalled.rows[0][
        "idle_days"
    ] >= 40
    assert (await alerts.alert_list(county, "stalled_needs", 60)).total == 0
    # The confirmed donation has no receipt: listed once it waited past 7 days.
    donation = await Donation.get(need_id=s.need.id)
    assert (await alerts.alert_list(county, "donations_without_receipt")).total == 0
    await Donation.filter(id=donation.id).update(received_on=today_cn() - timedelta(days=10))
    waiting = await alerts.alert_list(county, "donations_without_receipt")
    assert [r["donation_id"] for r in waiting.rows] == [donation.id]
    receipt = await receipts.issue_receipt(actor=s.officer, donation_id=donation.id)
    assert (await alerts.alert_list(county, "donations_without_receipt")).total == 0
    # The receipt lacks the official numbers: listed after 30 days, gone once entered.
    await Receipt.filter(id=receipt.id).update(issued_on=today_cn() - timedelta(days=31))
    official = await alerts.alert_list(county, "receipts_without_official_numbers")
    assert [r["receipt_id"] for r in official.rows] == [receipt.id]
    await receipts.enter_official_numbers(
        actor=s.officer,
        donation_id=donation.id,
        receipt_code="53010124",
        receipt_number="0000012345",
        check_code="a1b2c3",
    )
    assert (await alerts.alert_list(county, "receipts_without_official_numbers")).total == 0
    # A pledge 5 days past due and unpaid, not in a pair.
    other = await make_need(world.village, title="饮水工程", target_fen=50 * WAN)
    late = await pledges.make_pledge(
        actor=s.money.donor, need_id=other.id, amount_fen=20 * WAN, due_date=due()
    )
    await Pledge.filter(id=late.id).update(due_date=today_cn() - timedelta(days=5))
    overdue = await alerts.alert_list(county, "overdue_pledges")
    assert overdue.rows[0]["unpaid_fen"] == 20 * WAN and overdue.rows[0]["pledges"] == 1
    assert (await alerts.alert_list(county, "overdue_pledges", 10)).total == 0
    assert (await _codes(elsewhere)) == dict.fromkeys(ALERTS, 0)
    # Ten asking villages, one of which got 90 % of the year's money.
    villages = [await make_village("532627", f"2{i:02d}", f"测试{i}村") for i in range(1, 11)]
    for i, village in enumerate(villages):
        need = await make_need(village, title=f"项目{i}", target_fen=1000 * WAN)
        await Need.filter(id=need.id).update(published_at=datetime.now(UTC))
        await donations.record_donation(
            actor=s.officer,
            recipient_id=s.money.county_gov.id,
            amount_fen=(900 if i == 0 else 10) * WAN,
            received_on=today_cn(),
            need_id=need.id,
            donor_id=world.participants["enterprise"].id,
            confirm=True,
        )
    concentrated = await alerts.alert_list(county, "concentration")
    assert [r["county_code"] for r in concentrated.rows] == ["532627"]
    assert (await alerts.alert_list(county, "concentration", 9500)).total == 0
