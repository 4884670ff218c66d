"""Files through the JSON API: a complaint or a notice sent as multipart/form-data carries its
files, checked as the HTML forms check them (content sniffed, scripts and oversized files
refused, at most so many), listed in the answers — the complaint's file names only to the office
that may see the complainant — and a refusal writes nothing, neither rows nor files."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.disclosure.models import (
    Complaint,
    ComplaintAttachment,
    Disclosure,
    DisclosureAttachment,
)
from fupin.disclosure.rules.complaints import MAX_ATTACHMENTS
from fupin.needs.models import Attachment
from fupin.settings import Settings
from tests.disclosure.support import CHANNEL, big_png, png_bytes, scene
from tests.support.world import CSRF


def _stored(settings: Settings) -> list[Path]:
    root = settings.attachments_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.both_databases
async def test_a_complaint_with_files_through_the_api(client_as, world, db) -> None:
    s = await scene(world)
    public = client_as(None)
    sent = await public.post(
        "/api/v1/complaints",
        data={
            "subject": "need",
            "target_id": str(s.need.id),
            "content": "村道只铺了一半，照片和验收单附后。",
            "anonymous": "false",
            "name": "张三",
            "contact": "13812345678",
        },
        files=[
            ("files", ("张三拍的现场.png", png_bytes(), "image/png")),
            ("files", ("验收单.png", png_bytes(40), "image/png")),
        ],
    )
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert [f["content_type"] for f in answer["files"]] == ["image/png", "image/png"]
    assert "张三" not in sent.text and "original_name" not in answer["files"][0]
    tracked = (await public.get(f"/api/v1/complaints/track/{answer['tracking_code']}")).json()
    assert len(tracked["files"]) == 2
    found = await Complaint.get(tracking_code=answer["tracking_code"])
    assert not found.anonymous and found.name == "张三"
    assert await ComplaintAttachment.filter(complaint_id=found.id).count() == 2
    assert len(_stored(db)) == 2  # both files are on disk (the scene's photo is not)
    # The county handles a need's complaint: it reads the names; the province does not.
    handling = (await client_as("county_officer").get(f"/api/v1/complaints/{found.id}")).json()
    assert {f["original_name"] for f in handling["files"]} == {"张三拍的现场.png", "验收单.png"}
    office = await client_as("province_office").get(f"/api/v1/complaints/{found.id}")
    assert office.status_code == 200 and len(office.json()["files"]) == 2
    assert "张三" not in office.text and "contact" not in office.json()
    # JSON still files a complaint without files.
    plain = await public.post(
        "/api/v1/complaints",
        json={
            "subject": "need",
            "target_id": s.need.id,
            "content": "施工队已经撤场，村道没有修完。",
        },
    )
    assert plain.status_code == 201, plain.text
    assert plain.json()["files"] == []


@pytest.mark.both_databases
async def test_a_notice_with_files_through_the_api(client_as, world, db) -> None:
    s = await scene(world)
    photo = await Attachment.get(need_id=s.need.id)
    officer = client_as("county_officer")
    sent = await officer.post(
        "/api/v1/disclosures",
        data={
            "level": "project",
            "kind": "implementation",
            "stage": "before",
            "need_id": str(s.need.id),
            "title": "石门村村道实施前公示",
            "body": "资金 ¥1,000,000.00；联系人 13812345678",
            "complaint_channel": CHANNEL,
            "need_photo_ids": str(photo.id),
        },
        files=[("files", ("预算表.png", png_bytes(), "image/png"))],
        headers={"X-CSRF-Token": CSRF},
    )
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    assert answer["need_id"] == s.need.id and "138****5678" in answer["body"]
    assert sorted(f["original_name"] for f in answer["files"]) == ["site.png", "预算表.png"]
    notice = await Disclosure.get(id=answer["id"])
    assert await DisclosureAttachment.filter(disclosure_id=notice.id).count() == 2
    detail = await client_as(None).get(f"/api/v1/disclosures/{notice.id}")
    assert len(detail.json()["files"]) == 2


@pytest.mark.both_databases
async def test_bad_files_through_the_api_write_nothing(client_as, world, db) -> None:
    s = await scene(world)
    public = client_as(None)
    complaint = {
        "subject": "need",
        "target_id": str(s.need.id),
        "content": "证据照片见附件，村道没有修完。",
    }
    bad_files = {
        "too_large": [("files", ("big.png", big_png(), "image/png"))],
        "type_mismatch": [("files", ("a.png", b"<script>alert(1)</script>", "image/png"))],
        "unsupported_type": [
            ("files", ("run.exe", b"MZ\x90\x00" * 10, "application/x-msdownload"))
        ],
        "too_many": [
            ("files", (f"p{i}.png", png_bytes(20 + i), "image/png"))
            for i in range(MAX_ATTACHMENTS + 1)
        ],
    }
    for code, files in bad_files.items():
        refused = await public.post("/api/v1/complaints", data=complaint, files=files)
        assert refused.status_code == 422, (code, refused.status_code, refused.text[:300])
        error = refused.json()["error"]
        assert error["code"] == code and error["field"] == "files", (code, error)
    officer = client_as("county_officer")
    notice = {
        "level": "project",
        "kind": "implementation",
        "stage": "before",
        "need_id": str(s.need.id),
        "title": "石门村村道实施前公示",
        "body": "资金已到位。",
        "complaint_channel": CHANNEL,
    }
    # A notice's files may be as large as the upload limit (the complaints' are smaller).
    over_limit = b"\x89PNG\r\n\x1a\n" + bytes(db.max_upload_bytes)
    bad_files["too_large"] = [("files", ("big.png", over_limit, "image/png"))]
    for code in ("too_large", "type_mismatch", "unsupported_type"):
        refused = await officer.post(
            "/api/v1/disclosures",
            data=notice,
            files=bad_files[code],
            headers={"X-CSRF-Token": CSRF},
        )
        assert refused.status_code == 422, (code, refused.text[:300])
        assert refused.json()["error"]["code"] == code
    # A form field that does not fit is named like its JSON twin.
    wrong = await public.post(
        "/api/v1/complaints",
        data={**complaint, "subject": "nothing"},
        files=[("files", ("a.png", png_bytes(), "image/png"))],
    )
    assert wrong.status_code == 422 and "subject" in wrong.text
    assert await Complaint.all().count() == 0 and await ComplaintAttachment.all().count() == 0
    assert await Disclosure.all().count() == 0 and await DisclosureAttachment.all().count() == 0
    assert _stored(db) == []
