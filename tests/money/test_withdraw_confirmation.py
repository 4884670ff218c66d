"""Withdrawing a pledge is a decision, not a click: the pledge page links to a confirmation page
that says what the withdrawal frees and what it does to the need, and asks why; the reason is
required on the page, in the API (422 naming ``reason``) and in the service."""

from __future__ import annotations

import re

import pytest

from fupin.core.clock import today_cn
from fupin.core.schemas import Body
from fupin.errors import InvalidInput
from fupin.money.models import Pledge
from fupin.money.service import donations, pledges
from tests.money.support import WAN, build_money, due, fresh
from tests.money.test_money_web_api import _api, _form


@pytest.mark.both_databases
async def test_withdrawing_asks_for_confirmation_and_a_reason_and_says_what_it_frees(
    client_as, world
) -> None:
    m = await build_money(world, target_fen=50 * WAN)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=20 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=5 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    client = client_as("participant_member")
    detail = await client.get(f"/pledges/{pledge.id}")
    assert f'href="/pledges/{pledge.id}/withdraw"' in detail.text
    assert f'action="/pledges/{pledge.id}/withdraw"' not in detail.text  # no one-click form
    page = await client.get(f"/pledges/{pledge.id}/withdraw")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "¥150,000.00" in text  # the unpaid part it frees; the ¥50,000 paid stays
    assert "¥300,000.00" in text and "¥450,000.00" in text  # the need's open amount: now → after
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', page.text)
    assert 'name="idempotency_key"' in page.text

    for reason in ("", "   "):
        refused = await client.post(
            f"/pledges/{pledge.id}/withdraw", data=_form(reason=reason, idempotency_key="k" * 16)
        )
        assert refused.status_code == 422
        assert "<textarea" in refused.text and 'name="reason"' in refused.text
        assert re.search(r'class="field-error"[^>]*>[^<]*原因', refused.text)
        assert "返回首页" not in refused.text
    assert (await Pledge.get(id=pledge.id)).state == "partially_paid"
    kept = await client.post(
        f"/pledges/{pledge.id}/withdraw",
        data=_form(reason="x" * 501, idempotency_key="k" * 17),
    )
    assert kept.status_code == 422 and "x" * 501 in kept.text  # what was typed comes back

    done = await client.post(
        f"/pledges/{pledge.id}/withdraw",
        data=_form(reason="预算调整", idempotency_key="k" * 18),
    )
    assert done.status_code == 303
    assert (await fresh(m.need)).pledged_fen == 5 * WAN


@pytest.mark.both_databases
async def test_the_api_and_the_service_require_a_reason(client_as, world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    client = client_as(None)
    headers = await _api(world)
    url = f"/api/v1/pledges/{pledge.id}/withdraw"
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == "reason"
    with pytest.raises(InvalidInput):
        await pledges.withdraw_pledge(actor=m.donor, pledge_id=pledge.id, reason=" ")
    assert (await Pledge.get(id=pledge.id)).state == "pledged"
    ok = await client.post(url, json={"reason": "预算调整"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["state"] == "withdrawn"
    document = (await client.get("/api/v1/openapi.json")).json()
    operation = document["paths"]["/pledges/{pledge_id}/withdraw"]["post"]
    assert "422" in operation["responses"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["required"] == ["reason"] and schema["properties"]["reason"]["minLength"] == 1
    assert Body  # the body is a closed schema like every other
