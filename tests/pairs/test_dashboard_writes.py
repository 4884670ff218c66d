"""Writes through the services are on the next dashboard load (both databases): publishing a
need and the expiry sweep move the national needs count; a progress update moves the cached
supervision count of stalled needs; a complaint filed moves the data generation. The write
guard (tests/support/write_guard.py) that every test of these areas runs under catches a write
of our code outside ``fupin.db.transaction()``. And the dashboards' JSON carries the
supervision counts its pages show, national, province and county."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fupin.core import audit
from fupin.core.clock import now, today_cn
from fupin.db import data_generation, transaction
from fupin.disclosure.rules.alerts import ALERTS
from fupin.disclosure.service import alerts as supervision
from fupin.disclosure.service import complaints
from fupin.needs.models import Need, NeedEvent
from fupin.needs.service import expiry, lifecycle
from fupin.pairs.service import dashboards
from fupin.progress import service as progress
from tests.money.support import build_money
from tests.needs.support import actors, make_need
from tests.pairs.test_dashboard_figures import ADMIN
from tests.support.write_guard import watching

pytestmark = pytest.mark.both_databases


async def _national() -> dashboards.RegionDashboard:
    return await dashboards.region_dashboard(actor=ADMIN, level="national", year=None)


async def test_publishing_a_need_and_the_expiry_sweep_are_on_the_next_dashboard_load(
    world,
) -> None:
    a = await actors(world)
    need = await make_need(world, "submitted", deadline=today_cn() + timedelta(days=30))
    before = await _national()
    assert await _national() is before  # cached: no write since

    await lifecycle.transition_need(a["county_officer"], need.id, "publish")
    published = await _national()
    assert published.needs == before.needs + 1

    # The deadline passes (a test's own write: the clock, not a use case) and the sweep runs.
    await Need.filter(id=need.id).update(deadline=today_cn() - timedelta(days=1))
    assert await expiry.expire_all_overdue() == 1
    swept = await _national()
    assert swept.needs == before.needs


async def test_a_progress_update_moves_the_data_generation(world, tmp_path) -> None:
    m = await build_money(world)
    await Need.filter(id=m.need.id).update(state="funded")
    start = await data_generation()
    await progress.post_update(
        m.officer,
        m.need.id,
        kind="started",
        text="施工队已进场，开始路基施工。",
        photos=[],
        attachments_dir=Path(tmp_path),
        max_bytes=1024 * 1024,
    )
    assert await data_generation() > start


async def test_a_complaint_filed_moves_the_data_generation(world, tmp_path) -> None:
    need = await make_need(world, "published")
    start = await data_generation()
    await complaints.file_complaint(
        subject="need",
        target_id=need.id,
        content="村道只铺了一半，施工方已经撤场，请县里核实。",
        anonymous=True,
        source="dashboard-writes",
        attachments_dir=Path(tmp_path),
    )
    assert await data_generation() > start


async def test_the_write_guard_catches_a_write_of_our_code_outside_a_transaction(world) -> None:
    """The guard can fail: the audit helper called outside a transaction is reported (as the
    sender), inside one it is not; the test's own writes never are."""
    with watching() as outside:
        await audit.record(actor=None, action="guard.probe", object_type="need", object_id=1)
    assert len(outside.violations) == 1
    assert "core/audit.py" in outside.violations[0]
    assert "INSERT" in outside.violations[0]
    with watching() as inside:
        async with transaction():
            await audit.record(actor=None, action="guard.probe", object_type="need", object_id=1)
        await Need.filter(id=-1).update(title="x")  # the test's own write
    assert inside.violations == []


@pytest.mark.parametrize(
    ("path", "level", "code"),
    [
        ("/api/v1/dashboards/national", "national", ""),
        ("/api/v1/dashboards/provinces/530000", "province", "530000"),
        ("/api/v1/dashboards/counties/532627", "county", "532627"),
    ],
)
async def test_the_dashboards_json_carries_the_supervision_counts_of_its_page(
    world, client_as, path: str, level: str, code: str
) -> None:
    for i in range(2):
        need = await make_need(world, "funded", title=f"无进展的需求{i}")
        await NeedEvent.filter(need_id=need.id).update(at=now() - timedelta(days=400))
    answer = await client_as("national_admin").get(path)
    assert answer.status_code == 200, answer.text
    found = answer.json()["supervision"]
    assert [c["code"] for c in found] == list(ALERTS)
    lists = {a.code: a.total for a in await supervision.all_alerts(supervision.Area(level, code))}
    assert {c["code"]: c["count"] for c in found} == lists
    assert {c["code"]: c["count"] for c in found}["stalled_needs"] >= 2
    assert all(c["label"] and c["threshold"] == ALERTS[c["code"]].threshold for c in found)
