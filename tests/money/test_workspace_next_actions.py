"""The workspace lists each need with its next action as a button (issue 16 point 9): record a
donation, confirm it, issue its receipt, enter the official numbers (the recipient's officers),
start, record delivery (the county), confirm receipt (the village worker)."""

from __future__ import annotations

import re

import pytest

from fupin.core.clock import today_cn
from fupin.money.service import donations, pledges, receipts
from fupin.needs.models import Need
from tests.money.support import WAN, build_money, due
from tests.money.test_money_web_api import _form


def _item(html: str, need_id: int) -> str:
    """The workspace's list item of one need."""
    for item in re.findall(r"<li>.*?</li>", html, re.DOTALL):
        if f'href="/needs/{need_id}"' in item:
            return item
    raise AssertionError(f"need {need_id} not listed")


@pytest.mark.both_databases
async def test_the_recipients_officer_sees_the_next_money_action_of_each_need(
    client_as, world
) -> None:
    m = await build_money(world)
    officer = client_as("county_officer")

    async def item() -> str:
        page = await officer.get("/workspace")
        assert page.status_code == 200
        return _item(page.text, m.need.id)

    assert "ws-next" not in await item()  # nothing to do on a need without money yet
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    assert f'href="/donations/new?org={m.county_gov.id}&amp;pledge_id={pledge.id}"' in await item()
    assert "登记到账" in await item()
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=10 * WAN,
        received_on=today_cn(),
    )
    now = await item()
    assert f'href="/donations/{donation.id}"' in now and "确认到账" in now
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    now = await item()
    assert f'href="/donations/{donation.id}"' in now and "开具收据" in now
    assert "确认到账" not in now
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    now = await item()
    assert f'href="/receipts/{receipt.id}"' in now and "录入票据号码" in now
    # Another county's officer is offered nothing on this need (it is not in its workspace).
    other = await client_as("other_county_officer").get("/workspace")
    assert f'href="/needs/{m.need.id}"' not in other.text


async def test_the_county_starts_and_records_delivery_and_the_village_confirms_receipt(
    client_as, world
) -> None:
    m = await build_money(world)
    await Need.filter(id=m.need.id).update(state="funded")
    officer = client_as("county_officer")
    now = _item((await officer.get("/workspace")).text, m.need.id)
    assert f'action="/needs/{m.need.id}/transition"' in now and 'value="start"' in now
    started = await officer.post(
        f"/needs/{m.need.id}/transition",
        data=_form(action="start", back="workspace"),
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/workspace")
    now = _item((await officer.get("/workspace")).text, m.need.id)
    # Delivery needs a description and evidence: the button leads to the need page's form.
    assert f'href="/needs/{m.need.id}#act-deliver"' in now and "登记交付" in now
    detail = await officer.get(f"/needs/{m.need.id}")
    assert 'id="act-deliver"' in detail.text

    await Need.filter(id=m.need.id).update(state="completed")
    # Once delivered, the county's only next step is the after-completion notice it owes.
    now = _item((await officer.get("/workspace")).text, m.need.id)
    assert f"/disclosures/new?need={m.need.id}&amp;stage=after" in now and "/transition" not in now
    worker = client_as("village_worker")
    now = _item((await worker.get("/workspace")).text, m.need.id)
    assert 'value="confirm_receipt"' in now and "确认收到" in now
    done = await worker.post(
        f"/needs/{m.need.id}/transition",
        data=_form(action="confirm_receipt", back="workspace"),
    )
    assert done.status_code == 303
    assert (await Need.get(id=m.need.id)).state == "closed"
