"""Public notices (公告公示): publishing with masked personal data and the hotline, the display
period, corrections inside the county only, the after-completion draft from the need's records,
the notices a county still owes — and the refusals that write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.disclosure.models import Disclosure, DisclosureAttachment
from fupin.disclosure.rules.notices import (
    KINDS,
    display_until,
    mask_personal_data,
    may_take_down,
    min_display_days,
)
from fupin.disclosure.service import notices
from fupin.disclosure.service.files import Upload
from fupin.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from fupin.needs.models import Need
from tests.disclosure.support import CHANNEL, png_bytes, scene


def test_the_nine_kinds_and_the_display_period() -> None:
    assert len(KINDS) == 9
    assert min_display_days("village") == 10 and min_display_days("project") == 10
    assert min_display_days("township") == 10 and min_display_days("county") is None
    day = today_cn()
    end = display_until(day, 10)
    assert end == day + timedelta(days=9)
    assert not may_take_down(end, end) and may_take_down(end, end + timedelta(days=1))
    assert not may_take_down(None, day + timedelta(days=10_000))


def test_personal_data_is_masked_but_the_office_number_kept() -> None:
    text = "张三 身份证 53262719800101123X 电话 13812345678，座机 0876-7654321；举报 0876-5012345"
    masked = mask_personal_data(text, keep_phones=("0876-5012345",))
    assert "53262719800101123X" not in masked and "532***********123X" in masked
    assert "13812345678" not in masked and "138****5678" in masked
    assert "0876-7654321" not in masked and "0876-*******" in masked
    assert "0876-5012345" in masked


async def _publish(s, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "level": "project",
        "kind": "implementation",
        "title": "石门村村道硬化项目实施前公示",
        "body": "受益户：李四，身份证 532627198001011234，电话 13912345678。",
        "complaint_channel": CHANNEL,
        "need_id": s.need.id,
        "stage": "before",
    }
    values.update(overrides)
    return await notices.publish(s.officer, **values)


@pytest.mark.both_databases
async def test_a_county_publishes_a_need_notice_masked_with_the_hotline(world, tmp_path) -> None:
    s = await scene(world)
    notice = await _publish(s, files=[Upload("名单.png", png_bytes())], attachments_dir=tmp_path)
    assert notice.county_code == "532627" and notice.need_id == s.need.id
    assert "532627198001011234" not in notice.body and "13912345678" not in notice.body
    assert "12317" in notice.complaint_channel and "0876-5012345" in notice.complaint_channel
    assert notice.min_display_days == 10
    assert notice.display_until == today_cn() + timedelta(days=9)
    assert await DisclosureAttachment.filter(disclosure_id=notice.id).count() == 1
    log = await AuditLog.get(action="disclosure.publish", object_id=str(notice.id))
    assert log.after["masked"] is True and log.actor_id == s.officer.user_id
    items, total = await notices.list_notices(need_id=s.need.id)
    assert total == 1 and items[0].id == notice.id
    assert [n.id for n in (await notices.list_notices(county_code="532627"))[0]] == [notice.id]


@pytest.mark.both_databases
async def test_a_notice_cannot_come_down_early_and_a_portal_notice_never(world) -> None:
    s = await scene(world)
    board = await _publish(s)
    before = await AuditLog.all().count()
    with pytest.raises(RuleViolation) as early:
        await notices.take_down(s.officer, board.id, reason="项目调整")
    assert early.value.code == "display_period_running"
    assert (await Disclosure.get(id=board.id)).state == "published"
    assert await AuditLog.all().count() == before
    later = today_cn() + timedelta(days=10)
    done = await notices.take_down(s.officer, board.id, reason="公示期满", today=later)
    assert done.state == "taken_down"
    portal = await _publish(s, level="county", need_id=None, region_code="532627")
    assert portal.min_display_days is None and portal.display_until is None
    with pytest.raises(RuleViolation) as kept:
        await notices.take_down(
            s.officer, portal.id, reason="x", today=later + timedelta(days=3650)
        )
    assert kept.value.code == "portal_notice_stays"


@pytest.mark.both_databases
async def test_a_correction_points_to_a_notice_of_the_same_county_only(world) -> None:
    s = await scene(world)
    first = await _publish(s)
    fixed = await _publish(s, title="更正：石门村村道硬化项目实施前公示", corrects_id=first.id)
    assert fixed.corrects_id == first.id
    # 昭觉县's officer cannot correct (or publish about) 广南县's notice.
    other_region = world.other_village.code
    count = await Disclosure.all().count()
    with pytest.raises(RuleViolation) as refused:
        await notices.publish(
            s.other_officer,
            level="village",
            kind="implementation",
            title="更正",
            body="更正内容",
            complaint_channel="昭觉县扶贫办",
            region_code=other_region,
            corrects_id=first.id,
        )
    assert refused.value.code == "correction_other_county"
    with pytest.raises(PermissionDenied):
        await notices.publish(
            s.other_officer,
            level="project",
            kind="implementation",
            title="越权",
            body="正文",
            complaint_channel="x",
            need_id=s.need.id,
        )
    assert await Disclosure.all().count() == count


@pytest.mark.both_databases
async def test_bad_input_writes_nothing(world, tmp_path) -> None:
    s = await scene(world)
    with pytest.raises(InvalidInput) as bad:
        await _publish(s, title="", kind="nothing", complaint_channel="")
    assert {e.field for e in bad.value.errors} == {"title", "kind", "complaint_channel"}
    files = tmp_path / "files"
    with pytest.raises(InvalidInput):
        await _publish(s, files=[Upload("a.png", b"<script>")], attachments_dir=files)
    with pytest.raises(NotFound):
        await _publish(s, corrects_id=99999)
    assert await Disclosure.all().count() == 0
    assert not files.exists()


@pytest.mark.both_databases
async def test_the_completion_draft_comes_from_the_records_and_missing_notices(world) -> None:
    s = await scene(world)
    owed, total = await notices.missing_notices("532627")
    assert total == 1 and owed[0].need_id == s.need.id and owed[0].stage == "before"
    draft = await notices.completion_draft(s.officer, s.need.id, stage="after")
    assert "测试enterprise" in draft.body and "¥1,000,000.00" in draft.body
    assert len(draft.photos) == 1 and draft.stage == "after"
    await _publish(s)  # the before-implementation notice
    assert (await notices.missing_notices("532627"))[1] == 0
    await Need.filter(id=s.need.id).update(state="completed")
    owed, total = await notices.missing_notices("532627")
    assert total == 1 and owed[0].stage == "after"
    await _publish(
        s,
        stage="after",
        title=draft.title,
        body=draft.body,
        need_photo_ids=[p.id for p in draft.photos],
    )
    assert (await notices.missing_notices("532627"))[1] == 0
    with pytest.raises(PermissionDenied):
        await notices.completion_draft(s.other_officer, s.need.id)
