"""Notices (公告公示) and concluded complaints reach the feeds, the webhooks and the open data;
a complainant's name, contact, text and tracking code reach none of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fupin.core.clock import today_cn
from fupin.disclosure.service import complaints, notices
from fupin.settings import Settings
from fupin.sharing.models import WebhookDelivery, WebhookEvent
from fupin.sharing.service import deliveries, opendata
from fupin.sharing.service import endpoints as webhooks
from tests.disclosure.support import CHANNEL, scene
from tests.sharing.receivers import serve
from tests.sharing.support import check_atom, titles

SECRET_TEXT = "举报人王五反映施工方偷工减料"
NAME, CONTACT = "王五", "13712345678"


async def _concluded(s: Any) -> Any:
    filed = await complaints.file_complaint(
        subject="need",
        target_id=s.need.id,
        content=SECRET_TEXT,
        anonymous=False,
        name=NAME,
        contact=CONTACT,
        source="sender-a",
    )
    await complaints.handle(s.officer, filed.id, "accept")
    await complaints.handle(s.officer, filed.id, "investigate")
    return await complaints.handle(
        s.officer,
        filed.id,
        "conclude",
        outcome="upheld",
        measures="责令施工方返工",
        public_summary="经核查情况属实，已责令返工。",
    )


async def _notice(s: Any) -> Any:
    return await notices.publish(
        s.officer,
        level="village",
        kind="implementation",
        title="石门村饮水工程实施前公示",
        body="项目总投资100万元，全部为社会捐赠。",
        complaint_channel=CHANNEL,
        need_id=s.need.id,
        stage="before",
    )


@pytest.mark.both_databases
async def test_notices_and_concluded_complaints_are_shared_without_the_complainant(
    client: Any, world: Any, db: Settings
) -> None:
    s = await scene(world)
    await deliveries.scan_events(db.base_url)
    endpoint, secret = await webhooks.create(
        s.officer,
        webhooks.EndpointInput(
            "http://127.0.0.1:1/x", "", ["disclosure.published", "complaint.concluded"]
        ),
        allow_loopback=True,
    )
    with serve("example", secret=secret) as receiver:
        await type(endpoint).filter(id=endpoint.id).update(url=receiver.url)
        notice = await _notice(s)
        done = await _concluded(s)

        feed = check_atom((await client.get("/feeds/disclosures.atom?county=532627")).content)
        assert titles(feed) == [notice.title]
        assert check_atom((await client.get("/feeds/disclosures.atom?county=513431")).content) == []
        complaint_feed = await client.get("/feeds/complaints.atom")
        [entry] = check_atom(complaint_feed.content)
        assert "已责令返工" in complaint_feed.text

        await deliveries.scan_events(db.base_url)  # (the need funded before: no delivery)
        assert await deliveries.deliver_due(timeout=1.0, allow_loopback=True) == 2
        assert sorted(e["type"] for e in receiver.events) == [
            "complaint.concluded",
            "disclosure.published",
        ]
        sent = json.dumps(receiver.events, ensure_ascii=False)

    await opendata.generate(db.open_data_dir, db.base_url)
    day = today_cn().isoformat()
    stats = [
        json.loads(line)
        for line in (
            await client.get(f"/open-data/{day}/complaint_statistics.jsonl")
        ).text.splitlines()
    ]
    assert [(r["county_code"], r["received"], r["concluded_on_time"]) for r in stats] == [
        ("532627", 1, 1)
    ]
    notices_file = (await client.get(f"/open-data/{day}/disclosures.csv")).text
    assert notice.title in notices_file

    # The complainant is named nowhere, nor is the case's tracking code.
    shared = [
        complaint_feed.text,
        sent,
        notices_file,
        (await client.get(f"/open-data/{day}/complaint_statistics.csv")).text,
        json.dumps(await WebhookEvent.all().values("data"), ensure_ascii=False),
    ]
    for text in shared:
        for secret_value in (NAME, CONTACT, SECRET_TEXT, done.tracking_code):
            assert secret_value not in text
    assert await WebhookDelivery.filter(state="delivered").count() == 2
