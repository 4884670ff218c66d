"""The pages and the API of disclosure and supervision: publishing a notice from the
after-completion draft, the county and need pages linking to it, filing and following a
complaint by tracking code, handling it, the statistics, the alerts with their CSV, the docking
figures — and bad input answered in the form with nothing written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fupin.disclosure.models import Complaint, Disclosure
from fupin.needs.models import Need
from tests.disclosure.support import CHANNEL, big_png, png_bytes, scene
from tests.support.world import CSRF


@pytest.mark.both_databases
async def test_publish_from_the_draft_and_find_it_from_the_need_and_county(
    client_as, world
) -> None:
    s = await scene(world)
    officer = client_as("county_officer")
    form = await officer.get(f"/disclosures/new?need={s.need.id}&stage=after")
    assert form.status_code == 200 and "¥1,000,000.00" in form.text
    body = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert body is not None
    page = await officer.get(f"/needs/{s.need.id}")
    assert "发布完成后公告" in page.text  # the need page offers both notices
    workspace = await officer.get("/workspace")  # the funded need lacks its notice
    assert f"/disclosures/new?need={s.need.id}&amp;stage=before" in workspace.text
    missing = await officer.get("/api/v1/disclosures/missing")
    assert [m["need_id"] for m in missing.json()["items"]] == [s.need.id]
    sent = await officer.post(
        "/disclosures",
        data={
            "csrf_token": CSRF,
            "need_id": str(s.need.id),
            "stage": "after",
            "level": "project",
            "kind": "implementation",
            "title": "石门村村道完成公告",
            "body": "到账 ¥1,000,000.00；联系人 13812345678",
            "complaint_channel": CHANNEL,
        },
        files={"files": ("验收.png", png_bytes(), "image/png")},
    )
    assert sent.status_code == 303, sent.text[:500]
    notice = await Disclosure.get(need_id=s.need.id)
    # After completion: the before-implementation notice is still owed, not this one.
    assert (await officer.get("/api/v1/disclosures/missing")).json()["total"] == 1
    public = client_as(None)
    shown = await public.get(sent.headers["location"])
    assert shown.status_code == 200 and "138****5678" in shown.text and "12317" in shown.text
    need_page = await public.get(f"/needs/{s.need.id}")
    assert f"/disclosures/{notice.id}" in need_page.text
    county_page = await public.get("/regions/532627")
    assert f"/disclosures/{notice.id}" in county_page.text
    listed = await public.get("/api/v1/disclosures?county=532627")
    assert listed.json()["total"] == 1
    detail = await public.get(f"/api/v1/disclosures/{notice.id}")
    assert detail.json()["files"][0]["content_type"] == "image/png"
    file_id = detail.json()["files"][0]["id"]
    served = await public.get(f"/disclosures/{notice.id}/files/{file_id}")
    assert served.status_code == 200 and served.headers["x-content-type-options"] == "nosniff"
    early = await officer.post(
        f"/disclosures/{notice.id}/take-down", data={"csrf_token": CSRF, "reason": "调整"}
    )
    assert early.status_code == 409 and "公示期未满" in early.text
    assert (await Disclosure.get(id=notice.id)).state == "published"


@pytest.mark.both_databases
async def test_a_complaint_by_form_and_api_is_followed_and_handled(client_as, world) -> None:
    s = await scene(world)
    public = client_as(None)
    form = await public.get(f"/complaints/new?subject=need&target={s.need.id}")
    assert form.status_code == 200
    sent = await public.post(
        "/complaints",
        data={
            "csrf_token": CSRF,
            "subject": "need",
            "target_id": str(s.need.id),
            "content": "村道只铺了一半，施工队已经撤场。",
            "anonymous": "1",
        },
        files={"files": ("现场.png", png_bytes(), "image/png")},
    )
    assert sent.status_code == 303
    code = sent.headers["location"].rsplit("/", 1)[1]
    tracked = await public.get(sent.headers["location"])
    assert tracked.status_code == 200 and code in tracked.text and "已收到" in tracked.text
    api = await public.get(f"/api/v1/complaints/track/{code}")
    assert api.json()["state"] == "received" and "content" not in api.json()
    found = await Complaint.get(tracking_code=code)
    officer = client_as("county_officer")
    desk = await officer.get(f"/complaints/office/{found.id}")
    assert desk.status_code == 200 and "村道只铺了一半" in desk.text
    assert "现场.png" in desk.text  # the handling office sees the file's name
    accepted = await officer.post(
        f"/complaints/office/{found.id}/handle", data={"csrf_token": CSRF, "action": "accept"}
    )
    assert accepted.status_code == 303
    concluded = await officer.post(
        f"/api/v1/complaints/{found.id}/transition",
        json={
            "action": "conclude",
            "outcome": "upheld",
            "measures": "责令复工",
            "public_summary": "经核查属实，已责令复工。",
        },
        headers={"X-CSRF-Token": CSRF},
    )
    assert concluded.status_code == 200 and concluded.json()["state"] == "concluded"
    stats = await public.get("/api/v1/complaints/statistics?county=532627")
    assert stats.json()["items"][0]["concluded_on_time"] == 1
    page = await public.get("/complaints/statistics")
    assert "广南县" in page.text
    # The province reads it without the complainant; the public API filing works too.
    province = client_as("province_office")
    assert (await province.get(f"/api/v1/complaints/{found.id}")).status_code == 200
    # a file's name may name the complainant: another office's page shows the file, not it
    read_only = await province.get(f"/complaints/office/{found.id}")
    assert read_only.status_code == 200 and "村道只铺了一半" in read_only.text
    assert "现场.png" not in read_only.text and "image/png" in read_only.text
    filed = await public.post(
        "/api/v1/complaints",
        json={
            "subject": "county",
            "county_code": "532627",
            "content": "县里对举报不予答复，已经超过一个月。",
            "anonymous": False,
            "name": "赵六",
            "contact": "13600000000",
        },
    )
    assert filed.status_code == 201 and filed.json()["handler_level"] == "province"
    new_id = (await Complaint.get(tracking_code=filed.json()["tracking_code"])).id
    as_handler = await province.get(f"/api/v1/complaints/{new_id}")
    assert as_handler.json()["contact"] == "13600000000"
    as_county = await officer.get(f"/api/v1/complaints/{new_id}")
    assert "contact" not in as_county.json()


@pytest.mark.both_databases
async def test_bad_complaints_come_back_in_the_form_and_write_nothing(client_as, world) -> None:
    s = await scene(world)
    public = client_as(None)
    scripted = await public.post(
        "/complaints",
        data={
            "csrf_token": CSRF,
            "subject": "need",
            "target_id": str(s.need.id),
            "content": "<script>alert(1)</script>村道没有修",
            "anonymous": "1",
        },
    )
    assert scripted.status_code == 422 and 'id="error-content"' in scripted.text
    assert "<script>alert(1)</script>" not in scripted.text  # shown escaped
    oversized = await public.post(
        "/complaints",
        data={
            "csrf_token": CSRF,
            "subject": "need",
            "target_id": str(s.need.id),
            "content": "证据照片见附件，村道没有修完。",
            "anonymous": "1",
        },
        files={"files": ("big.png", big_png(), "image/png")},
    )
    assert oversized.status_code == 422 and 'id="error-files"' in oversized.text
    assert await Complaint.all().count() == 0
    flood = {
        "subject": "need",
        "target_id": s.need.id,
        "content": "同一个人不断地提交同样的举报内容。",
    }
    answers = [(await public.post("/api/v1/complaints", json=flood)).status_code for _ in range(6)]
    assert answers == [201] * 5 + [429]
    assert await Complaint.all().count() == 5


@pytest.mark.both_databases
async def test_alerts_csv_and_docking_figures(client_as, world) -> None:
    s = await scene(world)
    published = datetime.now(UTC) - timedelta(days=3, hours=1)
    await Need.filter(id=s.need.id).update(state="funded", published_at=published)
    officer = client_as("county_officer")
    api = await officer.get("/api/v1/supervision/alerts")
    counts = {a["code"]: a["count"] for a in api.json()["items"]}
    assert set(counts) == {
        "stalled_needs",
        "donations_without_receipt",
        "receipts_without_official_numbers",
        "concentration",
        "overdue_pledges",
    }
    stalled = await officer.get("/api/v1/supervision/alerts/stalled_needs?threshold=0")
    assert stalled.json()["count"] == 1 and stalled.json()["rows"][0]["need_id"] == s.need.id
    csv = await officer.get("/supervision/alerts/stalled_needs?threshold=0&format=csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeff")
    assert str(s.need.id) in csv.text
    supervisor = client_as("supervisor")
    assert (await supervisor.get("/supervision")).status_code == 200
    assert (await client_as("village_worker").get("/supervision")).status_code == 403
    dashboard = await officer.get("/dashboards/county/532627")
    assert "监督预警" in dashboard.text and "对接率" in dashboard.text
    figures = await client_as(None).get("/api/v1/docking?by=county")
    body = figures.json()
    assert body["total"]["needs"] == 1 and body["total"]["rate_pct_x100"] == 10000
    assert body["groups"][0]["name"] == "广南县"
    # Published 3 days and an hour ago, pledged in full (and so funded) just now.
    assert body["total"]["median_days_to_first_pledge_x10"] == 30
    assert body["total"]["median_days_to_funded_x10"] == 30
    assert (await client_as(None).get("/docking")).status_code == 200
