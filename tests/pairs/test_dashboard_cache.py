"""The dashboards' cache (``fupin.core.cache``) on both databases: a reload after no write is
a lookup, and a pledge or a donation — any committed write — is on the very next load; the
data generation it is keyed by moves with every committed write transaction and with nothing
else. And the supervision counts the national and province dashboards now show, linked to their
lists, equal the lists' own totals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core.clock import now, today_cn
from fupin.db import data_generation, transaction
from fupin.disclosure.service import alerts as supervision
from fupin.money.service import donations, pledges
from fupin.pairs.service import dashboards
from fupin.regions.models import Region
from tests.disclosure.support import last_steps
from tests.money.support import WAN, build_money, due, make_need
from tests.pairs.test_dashboard_figures import ADMIN

pytestmark = pytest.mark.both_databases


async def _national() -> dashboards.RegionDashboard:
    return await dashboards.region_dashboard(
        actor=ADMIN, level="national", year=today_cn().year, today=today_cn()
    )


async def test_a_pledge_and_a_donation_are_on_the_next_dashboard_load(world) -> None:
    m = await build_money(world)
    before = await _national()
    hits = dashboards.CACHE.hits
    assert await _national() is before  # no write since: the same figures, from the cache
    assert dashboards.CACHE.hits == hits + 1

    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    pledged = await _national()
    assert pledged.money.pledged_fen == before.money.pledged_fen + 30 * WAN
    assert pledged.money.pledges == before.money.pledges + 1

    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=10 * WAN,
        received_on=today_cn(),
        payment_reference="BANK-CACHE-1",
    )
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    received = await _national()
    assert received.money.received_fen == pledged.money.received_fen + 10 * WAN
    province = await dashboards.region_dashboard(
        actor=ADMIN, level="province", code="530000", year=today_cn().year, today=today_cn()
    )
    assert province.money.received_fen == received.money.received_fen


async def test_the_generation_moves_with_committed_writes_only(world) -> None:
    """A committed transaction that wrote moves it once; one rolled back, or one that changed
    nothing (an outbox worker's poll finding no work), leaves it where it was."""
    village = world.village.code
    start = await data_generation()
    async with transaction():
        await Region.filter(code=village).update(name="改名一")
    assert await data_generation() == start + 1

    with pytest.raises(RuntimeError):
        async with transaction():
            await Region.filter(code=village).update(name="改名二")
            raise RuntimeError("rolled back")
    assert await data_generation() == start + 1  # the rolled-back bump went with it

    async with transaction():
        await Region.filter(code="__none__").update(name="x")  # matches nothing
        await Region.filter(code=village).first()
    assert await data_generation() == start + 1

    # A nested transaction is part of the outer one: one bump.
    async with transaction(), transaction():
        await Region.filter(code=village).update(name="改名三")
    assert await data_generation() == start + 2


async def test_national_and_province_alert_counts_equal_the_lists_totals(world) -> None:
    """Needs funded long ago and idle, funded with a recent lifecycle event, funded with a
    recent file only, and one in progress with both old: the SQL count of stalled needs agrees
    with the list, nationally and in the province; every other count is the list's total."""
    long_ago = now() - timedelta(days=400)
    recent = now() - timedelta(days=2)
    needs = [await make_need(world.village, state="funded", title=f"需求{i}") for i in range(5)]
    needs.append(await make_need(world.other_village, state="in_progress", title="外省需求"))
    for need, event_at, file_at in [
        (needs[0], long_ago, None),  # stalled
        (needs[1], recent, None),  # a recent step
        (needs[2], long_ago, recent),  # a recent file
        (needs[3], long_ago, long_ago),  # stalled
        (needs[4], None, None),  # never a step: stalled
        (needs[5], long_ago, long_ago),  # stalled, in the other province (if any)
    ]:
        await last_steps(need, event_at, file_at)
    for area in (
        supervision.Area("national"),
        supervision.Area("province", world.village.province_code or ""),
        supervision.Area("county", world.village.county_code or ""),
    ):
        lists = {a.code: a.total for a in await supervision.all_alerts(area)}
        counts = {a.code: a.total for a in await supervision.alert_counts(area)}
        assert counts == lists, area
        assert counts["stalled_needs"] >= 3, area
    national = supervision.Area("national")
    cached = {a.code: a.total for a in await supervision.dashboard_counts(national)}
    assert cached == {a.code: a.total for a in await supervision.all_alerts(national)}


async def test_the_national_dashboard_page_shows_the_alert_counts_linked_to_the_lists(
    world, client_as
) -> None:
    await make_need(world.village, state="funded", title="无进展的需求")
    page = await client_as("national_admin").get("/dashboards/national")
    assert page.status_code == 200
    assert 'href="/supervision/alerts/stalled_needs"' in page.text
    province = world.village.province_code
    page = await client_as("national_admin").get(f"/dashboards/province/{province}")
    assert page.status_code == 200
    assert f'href="/supervision/alerts/stalled_needs?region={province}"' in page.text
