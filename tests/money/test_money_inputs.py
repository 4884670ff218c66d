"""Bad input to every money form and call is refused naming the field, and writes nothing.

The JSON bodies, query and path parameters of the money API are covered by the generated
tests/test_api_contract.py; here: the Idempotency-Key header of each money-creating call, the
document's description of it and of the ledger export, and each HTML form of the money pages,
which validate through the schemas of money/schemas (core.schemas.validate_form).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.money.api import donations as donations_api
from fupin.money.api import ledger as ledger_api
from fupin.money.api import pledges as pledges_api
from fupin.money.api import receipts as receipts_api
from fupin.money.models import Donation, IdempotencyRecord, Pledge, Receipt, RecipientOrg
from fupin.money.schemas.common import IdempotencyHeaders
from fupin.money.service import donations, pledges, receipts
from fupin.needs.models import Need
from tests.money.support import WAN, Money, build_money, due
from tests.support.contract import document
from tests.support.world import CSRF

MONEY_CREATING = [
    endpoint
    for module in (pledges_api, donations_api, receipts_api)
    for endpoint in module.endpoints
    if endpoint.headers is IdempotencyHeaders
]


def _form(**values: object) -> dict[str, str]:
    return {"csrf_token": CSRF, **{k: str(v) for k, v in values.items()}}


def _named(response: httpx.Response) -> set[str]:
    """The fields a refused page names (the form shown again, or the error page)."""
    assert response.status_code == 422, response.text[:500]
    listed = re.findall(r"<li><strong>([\w\[\].-]+)</strong>：", response.text)
    beside = re.findall(r'<span class="field-error" id="error-([\w\[\].-]+)"', response.text)
    return {*listed, *beside}


async def _token(world: Any, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await accounts.create_api_token(user=world.users[key])}"}


async def _confirmed(m: Money) -> tuple[Pledge, Donation, Receipt]:
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=2 * WAN, due_date=due()
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=WAN,
        received_on=today_cn(),
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    return pledge, donation, receipt


# --- the API: the Idempotency-Key header ----------------------------------------------------


def test_every_money_creating_call_documents_its_idempotency_key() -> None:
    assert {(e.method, e.path) for e in MONEY_CREATING} == {
        ("POST", "/pledges"),
        ("POST", "/pledges/{pledge_id}/amend"),
        ("POST", "/pledges/{pledge_id}/withdraw"),
        ("POST", "/donations"),
        ("POST", "/donations/{donation_id}/confirm"),
        ("POST", "/donations/{donation_id}/reverse"),
        ("POST", "/donations/{donation_id}/receipts"),
        ("POST", "/receipts/{receipt_id}/reissue"),
    }
    for endpoint in MONEY_CREATING:
        operation = document()["paths"][endpoint.path][endpoint.method.lower()]
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and header["required"] is False
        assert header["schema"]["pattern"] == "^[\\x21-\\x7e]{8,128}$"
        assert "Idempotent-Replayed" in header["description"]
        assert {"409", "422"} <= set(operation["responses"])


def test_the_ledger_export_is_described_as_json_lines_and_csv() -> None:
    operation = document()["paths"]["/ledger/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == set(ledger_api.EXPORT_MEDIA_TYPES)
    (fmt,) = operation["parameters"]
    assert fmt["name"] == "format" and fmt["schema"]["enum"] == ["jsonl", "csv"]


@pytest.mark.parametrize("endpoint", MONEY_CREATING, ids=lambda e: f"{e.method} {e.path}")
async def test_a_malformed_key_is_refused_naming_the_header_before_anything_else(
    client: httpx.AsyncClient, world: Any, endpoint: Any
) -> None:
    headers = {
        **await _token(world, world.user_let_in(endpoint.action)),
        "Idempotency-Key": "short",
    }
    url = "/api/v1" + re.sub(r"\{\w+\}", "999999", endpoint.path)  # no such object
    response = await client.post(url, json={"no_such_field": 1}, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("Idempotency-Key", "bad_idempotency_key")
    assert not await IdempotencyRecord.exists()


async def test_a_retried_confirmation_is_answered_once_and_a_reused_key_refused(
    client: httpx.AsyncClient, world: Any
) -> None:
    m = await build_money(world)
    officer = await _token(world, "county_officer")
    recorded = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=world.participants["enterprise"].id,
        amount_fen=WAN,
        received_on=today_cn(),
    )
    url = f"/api/v1/donations/{recorded.id}/confirm"
    keyed = {**officer, "Idempotency-Key": "confirm-0001"}
    first = await client.post(url, headers=keyed)
    again = await client.post(url, headers=keyed)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.text == first.text and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    reverse = f"/api/v1/donations/{recorded.id}/reverse"
    keyed = {**officer, "Idempotency-Key": "reverse-0001"}
    assert (await client.post(reverse, json={"reason": "退款"}, headers=keyed)).status_code == 201
    other = await client.post(reverse, json={"reason": "另一个原因"}, headers=keyed)
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    assert await Donation.filter(reverses_id=recorded.id).count() == 1


# --- the HTML forms -------------------------------------------------------------------------


async def test_the_pledge_form_shown_again_names_each_bad_field(client_as: Any, world: Any) -> None:
    m = await build_money(world)
    client = client_as("participant_member")
    refused = await client.post(
        "/pledges",
        data=_form(need_id=m.need.id, pair_id="abc", due_date="tomorrow", idempotency_key="x"),
    )
    assert _named(refused) == {"amount", "pair_id", "due_date", "idempotency_key"}
    assert 'action="/pledges"' in refused.text  # the form again
    schedule = await client.post(
        "/pledges",
        data=_form(need_id=m.need.id, amount="100", instalments="2026-03-01", recipient_id="x"),
    )
    assert _named(schedule) == {"instalments", "recipient_id"}
    assert "第 1 行应为“日期 金额”" in schedule.text
    no_need = await client.post("/pledges", data=_form(need_id="abc", amount="100"))
    assert _named(no_need) == {"need_id"}  # no need, no form to show again: the error page
    assert not await Pledge.exists()


async def test_the_amend_and_withdraw_forms_name_the_bad_field(client_as: Any, world: Any) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    client = client_as("participant_member")
    amend = await client.post(
        f"/pledges/{pledge.id}/amend", data=_form(due_date="31/12/2030", reason="x" * 501)
    )
    assert _named(amend) == {"amount", "due_date", "reason"}
    withdraw = await client.post(f"/pledges/{pledge.id}/withdraw", data=_form(reason="x" * 501))
    assert withdraw.status_code == 422
    assert re.search(r'<span class="field-error" id="error-reason"', withdraw.text)
    assert (await Pledge.get(id=pledge.id)).state == "pledged"


async def test_the_amend_form_takes_back_the_schedule_the_pledge_page_shows(
    client_as: Any, world: Any
) -> None:
    m = await build_money(world)
    parts = [
        pledges.InstalmentSpec(due(), 20 * WAN),
        pledges.InstalmentSpec(due().replace(year=due().year + 1), 30 * WAN),
    ]
    # a project paid over two years: its deadline lies beyond the last instalment
    await Need.filter(id=m.need.id).update(deadline=parts[-1].due_date)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, instalments=parts
    )
    client = client_as("participant_member")
    page = await client.get(f"/pledges/{pledge.id}")
    shown = re.search(r'<textarea name="instalments" rows="3">([^<]*)</textarea>', page.text)
    assert shown is not None and shown.group(1).splitlines()[0] == f"{due().isoformat()} 200000"
    # The schedule as shown, its last instalment raised by ¥100,000.
    schedule = shown.group(1).replace(" 300000", " 400000")
    response = await client.post(
        f"/pledges/{pledge.id}/amend",
        data=_form(amount="600000", instalments=schedule, reason="追加"),
    )
    assert response.status_code == 303, re.findall(r"<li>.*?</li>", response.text)
    assert (await Pledge.get(id=pledge.id)).amount_fen == 60 * WAN


async def test_the_donation_form_shown_again_names_each_bad_field(
    client_as: Any, world: Any
) -> None:
    m = await build_money(world)
    officer = client_as("county_officer")
    refused = await officer.post(
        "/donations",
        data=_form(
            org=m.county_gov.id,
            need_id=m.need.id,
            donor_id="abc",
            received_on="tomorrow",
            kind="gold",
            anonymous="maybe",
            payment_reference="x" * 65,
        ),
    )
    assert _named(refused) == {
        "donor_id",
        "donor_q",  # the donor's refusal is also shown by its picker's search field
        "amount",
        "received_on",
        "kind",
        "anonymous",
        "payment_reference",
    }
    assert 'action="/donations"' in refused.text and f'value="{"x" * 65}"' in refused.text
    no_org = await officer.post("/donations", data=_form(org="abc", amount="100"))
    assert _named(no_org) == {"org"}
    assert not await Donation.exists()


async def test_the_donation_page_forms_name_the_bad_field(client_as: Any, world: Any) -> None:
    m = await build_money(world)
    _pledge, donation, _receipt = await _confirmed(m)
    officer = client_as("county_officer")
    base = f"/donations/{donation.id}"
    assert _named(await officer.post(f"{base}/reverse", data=_form(reason="x" * 501))) == {"reason"}
    bad_key = _form(idempotency_key="has space in it")
    assert _named(await officer.post(f"{base}/reverse", data=bad_key)) == {"idempotency_key"}
    assert _named(await officer.post(f"{base}/confirm", data=bad_key)) == {"idempotency_key"}
    assert _named(await officer.post(f"{base}/receipt", data=bad_key)) == {"idempotency_key"}
    # cancelling is for a donation recorded but not yet confirmed: its page has the form
    recorded = await donations.record_donation(
        actor=m.officer, recipient_id=m.county_gov.id, amount_fen=WAN, received_on=today_cn(),
        need_id=m.need.id, donor_id=m.world.participants["individual"].id,
    )  # fmt: skip
    cancel = await officer.post(f"/donations/{recorded.id}/cancel", data=_form(reason="x" * 501))
    assert _named(cancel) == {"reason"}
    assert not await Donation.filter(reverses_id=donation.id).exists()
    assert (await Donation.get(id=recorded.id)).state == "recorded"


async def test_the_receipt_forms_name_the_bad_field(client_as: Any, world: Any) -> None:
    m = await build_money(world)
    _pledge, _donation, receipt = await _confirmed(m)
    officer = client_as("county_officer")
    base = f"/receipts/{receipt.id}"
    official = await officer.post(
        f"{base}/official", data=_form(receipt_number="1" * 21, check_code="abc")
    )
    assert _named(official) == {"receipt_code", "receipt_number"}
    assert _named(await officer.post(f"{base}/void", data=_form(reason="x" * 501))) == {"reason"}
    reissue = await officer.post(f"{base}/reissue", data=_form(idempotency_key="short"))
    assert _named(reissue) == {"idempotency_key"}
    assert (await Receipt.get(id=receipt.id)).state == "issued"
    assert await Receipt.all().count() == 1


async def test_the_recipient_forms_name_the_bad_field(client_as: Any, world: Any) -> None:
    m = await build_money(world)
    admin = client_as("national_admin")
    refused = await admin.post(
        "/recipients", data=_form(kind="guild", participant_id="abc", region_code="1" * 13)
    )
    assert _named(refused) == {"kind", "name", "participant_id", "region_code"}
    assert 'action="/recipients"' in refused.text
    qualification = await admin.post(
        f"/recipients/{m.foundation.id}/qualifications",
        data=_form(start_year="abc", end_year="1999"),
    )
    assert _named(qualification) == {"start_year", "end_year", "list_reference"}
    assert await RecipientOrg.all().count() == 2


@pytest.mark.parametrize(
    ("who", "url", "field"),
    [
        ("participant_member", "/me/pledges?state=promised", "state"),
        ("participant_member", "/me/donations?page=0", "page"),
        ("county_officer", "/inbox?org=abc", "org"),
        (None, "/recipients?kind=guild", "kind"),
        (None, "/ledger?kind=gossip", "kind"),
        (None, "/ledger?per_page=101", "per_page"),
        (None, "/honour-rates?page=abc", "page"),
        ("participant_member", "/pledges/new?need_id=abc", "need_id"),
    ],
)
async def test_the_list_filters_name_the_bad_parameter(
    client_as: Any, world: Any, who: str | None, url: str, field: str
) -> None:
    await build_money(world)
    assert _named(await client_as(who).get(url)) == {field}
