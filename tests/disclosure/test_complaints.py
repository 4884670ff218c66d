"""Complaints (举报): filing named or anonymous with a tracking code, routing, the handling
table, contact visible to the handling office only, escalation by the sweep, the public
statistics — and the refusals (script in the text, oversized file, floods) that write nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

import fupin
from fupin.background import SWEEPS
from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.disclosure.models import Complaint, ComplaintAttachment, ComplaintEvent
from fupin.disclosure.rules.complaints import (
    HANDLING_WORKING_DAYS,
    MACHINE,
    SENDER_LIMIT,
    TARGET_LIMIT,
    first_level,
    has_markup,
    next_level,
)
from fupin.disclosure.service import complaints
from fupin.disclosure.service.files import Upload
from fupin.errors import (
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    RateLimited,
)
from tests.disclosure.support import png_bytes, scene
from tests.money.support import actor


def test_routing_escalation_and_the_table() -> None:
    assert first_level("need") == "county" and first_level("county") == "province"
    assert next_level("county") == "province" and next_level("province") == "national"
    assert next_level("national") is None
    assert MACHINE.targets("received", "accept") == ("accepted",)
    assert MACHINE.targets("investigating", "conclude") == ("concluded",)
    assert MACHINE.get("concluded", "accept") is None
    assert has_markup("<script>alert(1)</script>") and has_markup("<img src=x onerror=1>")
    assert not has_markup("金额 < 100 元，收到 > 3 次")


def test_the_deadline_counts_working_days() -> None:
    # Monday 2026-09-21: 15 working days over Mid-Autumn (25–27 Sep off), the National Day
    # week (1–7 Oct off) and its make-up Saturday (10 Oct worked): Monday 19 October.
    due = complaints.handling_deadline(date(2026, 9, 21))
    assert HANDLING_WORKING_DAYS == 15
    assert due == date(2026, 10, 19)


async def _file(s, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "subject": "need",
        "target_id": s.need.id,
        "content": "村道只铺了一半，施工方已经撤场两个月了。",
        "anonymous": True,
        "source": "sender-a",
    }
    values.update(overrides)
    return await complaints.file_complaint(**values)


@pytest.mark.both_databases
async def test_file_track_handle_and_the_statistics(world, tmp_path) -> None:
    s = await scene(world)
    named = await _file(
        s,
        anonymous=False,
        name="王五",
        contact="13712345678",
        files=[Upload("现场.png", png_bytes())],
        attachments_dir=tmp_path,
    )
    assert len(named.tracking_code) == 12 and named.handler_level == "county"
    assert named.due_on == complaints.handling_deadline(today_cn())
    assert await ComplaintAttachment.filter(complaint_id=named.id).count() == 1
    audit = await AuditLog.get(action="complaint.file", object_id=str(named.id))
    assert "王五" not in str(audit.after) and "13712345678" not in str(audit.after)
    followed = await complaints.track(named.tracking_code.lower())
    assert followed.id == named.id and followed.state == "received"
    # Only the county office handling it sees the contact; the province reads it, no contact.
    assert complaints.contact_visible(s.officer, named)
    assert not complaints.contact_visible(s.province, named)
    assert not complaints.contact_visible(s.supervisor, named)
    await complaints.get_for_office(s.supervisor, named.id)  # reads across its province
    with pytest.raises(PermissionDenied):
        await complaints.get_for_office(s.other_officer, named.id)
    with pytest.raises(PermissionDenied):
        await complaints.handle(s.province, named.id, "accept")
    await complaints.handle(s.officer, named.id, "accept")
    await complaints.handle(s.officer, named.id, "investigate")
    with pytest.raises(InvalidInput) as missing:
        await complaints.handle(s.officer, named.id, "conclude", outcome="upheld")
    assert missing.value.field == "public_summary"
    done = await complaints.handle(
        s.officer,
        named.id,
        "conclude",
        outcome="upheld",
        measures="责令施工方复工，约谈项目负责人",
        public_summary="经核查情况属实，已责令复工；联系人电话 13812345678。",
    )
    assert done.state == "concluded" and "13812345678" not in done.public_summary
    with pytest.raises(InvalidTransition):
        await complaints.handle(s.officer, named.id, "accept")
    refused = await _file(s, source="sender-b", content="这个项目的公示内容看不懂，要求解释。")
    with pytest.raises(InvalidInput):
        await complaints.handle(s.officer, refused.id, "refuse")
    await complaints.handle(
        s.officer, refused.id, "refuse", reason="不属于举报受理范围，已转咨询。"
    )
    stats = await complaints.statistics(county_code="532627")
    assert (stats[0].received, stats[0].concluded_on_time, stats[0].overdue) == (2, 1, 0)
    assert stats[0].not_accepted == 1 and stats[0].county_name == "广南县"
    events = [e.action for e in await ComplaintEvent.filter(complaint_id=named.id)]
    assert events == ["file", "accept", "investigate", "conclude"]
    since = await complaints.concluded_since(done.concluded_at - timedelta(seconds=1))
    assert [c.id for c in since] == [named.id]


@pytest.mark.both_databases
async def test_the_county_handling_goes_to_the_province_and_overdue_ones_escalate(world) -> None:
    s = await scene(world)
    about_county = await _file(s, subject="county", target_id=None, county_code="532627")
    assert about_county.handler_level == "province"
    assert complaints.contact_visible(s.province, about_county)
    late = await _file(s, source="sender-c")
    later = late.level_due_on + timedelta(days=1)
    assert "escalate_overdue" in " ".join(sweep.job for sweep in SWEEPS)
    assert await complaints.escalate_overdue(today=later) == 2
    moved = await Complaint.get(id=late.id)
    assert moved.handler_level == "province" and moved.escalations == 1
    assert moved.level_due_on > later and moved.due_on == late.due_on
    assert (await Complaint.get(id=about_county.id)).handler_level == "national"
    # The county lost it: the province handles it now.
    with pytest.raises(PermissionDenied):
        await complaints.handle(s.officer, late.id, "accept")
    await complaints.handle(s.province, late.id, "accept")
    stats = await complaints.statistics(county_code="532627", today=later)
    assert stats[0].overdue == 2 and stats[0].received == 2
    assert await complaints.escalate_overdue(today=later) == 0  # nothing left to move


@pytest.mark.both_databases
async def test_bad_complaints_write_nothing(world, tmp_path) -> None:
    s = await scene(world)
    files = tmp_path / "files"
    with pytest.raises(InvalidInput) as script:
        await _file(s, content="<script>alert('x')</script> 村道没修好，钱去哪了？")
    assert script.value.code == "markup" and script.value.field == "content"
    with pytest.raises(InvalidInput) as big:
        await _file(
            s,
            files=[Upload("big.png", png_bytes(1600))],
            attachments_dir=files,
            max_bytes=50_000,
        )
    assert big.value.code == "too_large"
    with pytest.raises(InvalidInput) as named:
        await _file(s, anonymous=False, name="", contact="")
    assert {e.field for e in named.value.errors} == {"name", "contact"}
    assert await Complaint.all().count() == 0 and not files.exists()
    for _i in range(SENDER_LIMIT):
        await _file(s)
    with pytest.raises(RateLimited) as flood:
        await _file(s)
    assert flood.value.code == "complaint_rate_limited"
    assert await Complaint.all().count() == SENDER_LIMIT
    assert TARGET_LIMIT > SENDER_LIMIT


@pytest.mark.both_databases
async def test_a_supervisor_observation_enters_the_flow(world) -> None:
    s = await scene(world)
    observation = await _file(
        s, actor=s.supervisor, source="", content="巡查发现项目已停工一个月。"
    )
    assert observation.origin == "supervisor" and observation.filed_by_id == s.supervisor.user_id
    assert observation.handler_level == "county"
    outsider = await actor(world, "supervisor")
    assert outsider.province_code == "530000"
    other = s.money.world.other_village
    from fupin.needs.models import Need

    far = await Need.create(
        region_id=other.code,
        county_code=other.county_code,
        province_code=other.province_code,
        category="roads",
        title="外省需求",
        description="x",
        target_fen=100,
        deadline=today_cn() + timedelta(days=30),
        state="published",
    )
    with pytest.raises(PermissionDenied):
        await _file(s, actor=s.supervisor, target_id=far.id)


@pytest.mark.both_databases
async def test_the_supervisor_hears_of_each_step_of_its_observation(world) -> None:
    """The filer with an account (a supervisor) gets a notification for each handling step and
    for an escalation, linking to the tracking page; an anonymous complaint notifies nobody."""
    from fupin.notify.models import Notification

    s = await scene(world)
    observation = await _file(
        s, actor=s.supervisor, source="", content="巡查发现项目已停工一个月。"
    )
    public = await _file(s, source="sender-z")
    await complaints.handle(s.officer, observation.id, "accept")
    await complaints.handle(s.officer, public.id, "accept")
    await Complaint.filter(id=observation.id).update(level_due_on=today_cn() - timedelta(days=1))
    assert await complaints.escalate_overdue() == 1
    told = await Notification.filter(kind="complaint_status").order_by("id")
    assert [n.user_id for n in told] == [s.supervisor.user_id] * 2
    assert [n.params["status"] for n in told] == ["已受理", "逾期升级：省扶贫办"]
    assert all(n.link == f"/complaints/track/{observation.tracking_code}" for n in told)


async def test_the_escalation_command_moves_an_overdue_complaint(world, db) -> None:
    s = await scene(world)
    late = await _file(s)
    await Complaint.filter(id=late.id).update(level_due_on=today_cn() - timedelta(days=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=db.database_url,
        FUPIN_VAR_DIR=str(db.var_dir),
        PYTHONPATH=str(Path(fupin.__file__).parents[1]),
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "fupin.cli", "complaints", "escalate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "escalated 1 overdue complaints" in result.stdout
    assert (await Complaint.get(id=late.id)).handler_level == "province"
