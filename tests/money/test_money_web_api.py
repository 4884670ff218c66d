"""Money pages and API: forms with hidden idempotency keys, the pledge box partial, /me, the
recipient's inbox, receipts (print, duplicates, official numbers), the ledger page and exports,
and the API's Idempotency-Key contract and refusals."""

from __future__ import annotations

import re

import pytest

from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.ledger import rules as ledger_chain
from fupin.money.models import Donation, IdempotencyRecord, Pledge, RecipientOrg
from fupin.money.service import donations, pledges, receipts
from fupin.needs.models import Need
from tests.money.support import WAN, build_money, due, fresh, make_need
from tests.support.world import CSRF

KEY = "form-key-0123456789"


def _form(**values: object) -> dict[str, str]:
    return {"csrf_token": CSRF, **{k: str(v) for k, v in values.items()}}


async def _api(world, key: str = "participant_member") -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = await accounts.create_api_token(user=world.users[key])
    return {"Authorization": f"Bearer {token}"}


# --- the pledge box partial ---------------------------------------------------------------------


async def test_pledge_box_shows_the_form_with_a_fresh_key_to_participants_only(app, world) -> None:
    m = await build_money(world)
    template = app.state.templates.env.get_template("money/_pledge_box.html")
    html = template.render(need=m.need, actor=m.donor, csrf_token=CSRF)
    assert 'action="/pledges"' in html and f'value="{m.need.id}"' in html
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
    assert len(keys) == 1
    again = template.render(need=m.need, actor=m.donor, csrf_token=CSRF)
    assert re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', again) != keys
    visitor = template.render(need=m.need, actor=None, csrf_token="")
    assert 'action="/pledges"' not in visitor and "/login?next=/needs/" in visitor
    officer = template.render(need=m.need, actor=m.officer, csrf_token=CSRF)
    assert 'action="/pledges"' not in officer
    draft = await make_need(world.village, state="draft")
    assert 'action="/pledges"' not in template.render(need=draft, actor=m.donor, csrf_token=CSRF)


# --- pledging through the pages -----------------------------------------------------------------


async def test_pledge_form_records_once_per_key_and_refuses_over_pledging_with_the_open_amount(
    client_as, world
) -> None:
    m = await build_money(world, target_fen=50 * WAN)
    client = client_as("participant_member")
    page = await client.get(f"/pledges/new?need_id={m.need.id}")
    assert page.status_code == 200 and 'name="idempotency_key"' in page.text
    data = _form(
        need_id=m.need.id, amount="300,000.00", due_date=due().isoformat(), idempotency_key=KEY
    )
    first = await client.post("/pledges", data=data)
    assert first.status_code == 303 and re.fullmatch(r"/pledges/\d+", first.headers["location"])
    second = await client.post("/pledges", data=data)  # double click / resubmitted page
    assert second.status_code == 303 and second.headers["location"] == first.headers["location"]
    assert await Pledge.all().count() == 1
    detail = await client.get(first.headers["location"])
    assert detail.status_code == 200 and "¥300,000.00" in detail.text
    over = await client_as("other_participant_member").post(
        "/pledges",
        data=_form(
            need_id=m.need.id,
            amount="200001",
            due_date=due().isoformat(),
            idempotency_key=KEY + "x",
        ),
    )
    assert over.status_code == 409
    assert (
        "¥200,000.00" in over.text and 'name="amount"' in over.text
    )  # the form again, with the open amount
    assert await Pledge.all().count() == 1


async def test_pledge_form_with_bad_input_names_the_field_and_writes_nothing(
    client_as, world
) -> None:
    m = await build_money(world)
    client = client_as("participant_member")
    for amount in ("0", "-5", "1.234", "abc"):
        response = await client.post(
            "/pledges",
            data=_form(
                need_id=m.need.id, amount=amount, due_date=due().isoformat(), idempotency_key=KEY
            ),
        )
        assert response.status_code == 422, amount
    bad_key = await client.post(
        "/pledges",
        data=_form(
            need_id=m.need.id, amount="100", due_date=due().isoformat(), idempotency_key="short"
        ),
    )
    assert bad_key.status_code == 422 and "idempotency_key" in bad_key.text
    assert not await Pledge.exists()


async def test_amend_and_withdraw_through_the_pledge_page(client_as, world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    client = client_as("participant_member")
    response = await client.post(
        f"/pledges/{pledge.id}/amend",
        data=_form(amount="150000", due_date=due().isoformat(), reason="追加", idempotency_key=KEY),
    )
    assert response.status_code == 303
    assert (await Pledge.get(id=pledge.id)).amount_fen == 15 * WAN
    page = await client.get(f"/pledges/{pledge.id}")
    assert "修改" in page.text and "追加" in page.text
    response = await client.post(
        f"/pledges/{pledge.id}/withdraw", data=_form(reason="调整", idempotency_key=KEY + "w")
    )
    assert response.status_code == 303
    assert (await fresh(m.need)).pledged_fen == 0
    assert (
        await client_as("other_participant_member").get(f"/pledges/{pledge.id}")
    ).status_code == 403


@pytest.mark.both_databases
async def test_me_shows_what_is_due_my_pledges_and_donations(client_as, world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=4 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    client = client_as("participant_member")
    me = await client.get("/me")
    assert me.status_code == 200
    assert "¥60,000.00" in me.text and m.need.title in me.text  # the unpaid part is due
    assert (await client.get("/me/pledges")).status_code == 200
    assert "¥40,000.00" in (await client.get("/me/donations")).text
    assert (await client_as("county_officer").get("/me")).status_code == 403


# --- the recipient's side -----------------------------------------------------------------------


@pytest.mark.both_databases
async def test_inbox_record_confirm_receipt_print_and_official_numbers(client_as, world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    officer = client_as("county_officer")
    inbox = await officer.get("/inbox")
    assert inbox.status_code == 200 and f"pledge_id={pledge.id}" in inbox.text
    form = await officer.get(f"/donations/new?org={m.county_gov.id}&pledge_id={pledge.id}")
    assert form.status_code == 200 and 'name="idempotency_key"' in form.text
    data = _form(
        org=m.county_gov.id,
        pledge_id=pledge.id,
        amount="100000",
        received_on=today_cn().isoformat(),
        kind="cash",
        payment_reference="BANK-9",
        idempotency_key=KEY,
    )
    recorded = await officer.post("/donations", data=data)
    assert recorded.status_code == 303
    donation_url = recorded.headers["location"]
    assert (await officer.post("/donations", data=data)).headers["location"] == donation_url
    donation_id = int(donation_url.rsplit("/", 1)[1])
    assert await Donation.all().count() == 1
    confirmed = await officer.post(f"{donation_url}/confirm", data=_form(idempotency_key=KEY + "c"))
    assert confirmed.status_code == 303
    again = await officer.post(f"{donation_url}/confirm", data=_form(idempotency_key=KEY + "d"))
    assert again.status_code == 409 and "已经确认" in again.text
    issued = await officer.post(f"{donation_url}/receipt", data=_form(idempotency_key=KEY + "r"))
    assert issued.status_code == 303
    receipt_url = issued.headers["location"]
    page = await officer.get(receipt_url)
    assert f"GOV532627-{today_cn().year}-000001" in page.text and "非税前扣除凭证" in page.text
    assert "壹拾万元整" in page.text
    donor = client_as("participant_member")
    first = await donor.post(f"{receipt_url}/print", data=_form())
    second = await donor.post(f"{receipt_url}/print", data=_form())
    assert first.status_code == second.status_code == 200
    assert "副本" not in first.text and "副本" in second.text
    assert (await client_as("other_participant_member").get(receipt_url)).status_code == 403
    official = await officer.post(
        f"{receipt_url}/official",
        data=_form(receipt_code="53010124", receipt_number="0000000042", check_code="9f8e7d"),
    )
    assert official.status_code == 303
    assert "非税前扣除凭证" not in (await officer.get(receipt_url)).text
    assert (await Donation.get(id=donation_id)).official_receipt_number == "0000000042"
    assert (await client_as("other_county_officer").get(donation_url)).status_code == 403


async def test_recipients_are_listed_publicly_and_registered_by_offices(client_as, world) -> None:
    m = await build_money(world)
    listing = await client_as(None).get("/recipients")
    assert listing.status_code == 200 and m.foundation.name in listing.text
    admin = client_as("national_admin")
    response = await admin.post(
        "/recipients",
        data=_form(
            kind="government", name="昭觉县人民政府", code="GOV513431", region_code="513431"
        ),
    )
    assert response.status_code == 303
    org = await RecipientOrg.get(code="GOV513431")
    bad = await admin.post(
        "/recipients", data=_form(kind="government", name="某乡政府", code="TOWN01", region_code="")
    )
    assert (
        bad.status_code == 422 and "县级或以上" in bad.text
    )  # a township is no qualifying channel
    refused = await client_as("participant_member").post(
        "/recipients", data=_form(kind="other", name="x", code="XX01")
    )
    assert refused.status_code == 403
    qual = await admin.post(
        f"/recipients/{m.foundation.id}/qualifications",
        data=_form(start_year=2018, end_year=2020, list_reference="2018年第一批名单"),
    )
    assert qual.status_code == 303
    assert "2018年第一批名单" in (await client_as(None).get(f"/recipients/{m.foundation.id}")).text
    assert org.kind == "government"


# --- the public ledger --------------------------------------------------------------------------


@pytest.mark.both_databases
async def test_ledger_page_shows_daily_heads_and_the_exports_verify(client_as, world) -> None:
    m = await build_money(world)
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due())
    public = client_as(None)
    page = await public.get("/ledger")
    assert page.status_code == 200 and "verify_ledger.py" in page.text and "--head" in page.text
    jsonl = await public.get("/ledger/export.jsonl")
    entries = ledger_chain.loads_jsonl(jsonl.content)
    result = ledger_chain.verify_chain(entries)
    assert result.ok and result.count >= 1
    assert result.head_hash in page.text  # today's head is on the page
    csv = await public.get("/ledger/export.csv")
    assert (
        ledger_chain.verify_chain(ledger_chain.loads_csv(csv.content)).head_hash == result.head_hash
    )
    api = await public.get("/api/v1/ledger/export?format=jsonl")
    assert api.content == jsonl.content
    heads = (await public.get("/api/v1/ledger/heads")).json()["items"]
    assert heads[0]["hash"] == result.head_hash
    script = await public.get("/ledger/verify_ledger.py")
    assert script.status_code == 200 and b"def main" in script.content


async def test_honour_rates_page(client_as, world) -> None:
    await build_money(world)
    response = await client_as(None).get("/honour-rates")
    assert response.status_code == 200 and "兑现率" in response.text


# --- the API ----------------------------------------------------------------------------------


async def test_api_retry_returns_the_first_result_and_a_reused_key_with_other_input_is_refused(
    client, world
) -> None:
    m = await build_money(world)
    headers = {**await _api(world), "Idempotency-Key": "api-key-0001"}
    body = {
        "need_id": m.need.id,
        "amount_fen": 5 * WAN,
        "due_date": due().isoformat(),
        "anonymous": True,
    }
    first = await client.post("/api/v1/pledges", json=body, headers=headers)
    assert first.status_code == 201, first.text
    retry = await client.post("/api/v1/pledges", json=body, headers=headers)
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/api/v1/pledges", json={**body, "amount_fen": 6 * WAN}, headers=headers
    )
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    assert await Pledge.all().count() == 1 and await IdempotencyRecord.all().count() == 1


@pytest.mark.parametrize(
    "key", ["short", "x" * 129, "has space inside", "中文的键值一二三四".encode()]
)
async def test_api_malformed_idempotency_key_is_refused_naming_the_header(
    client, world, key
) -> None:
    m = await build_money(world)
    headers = {**await _api(world), "Idempotency-Key": key}
    response = await client.post(
        "/api/v1/pledges",
        json={"need_id": m.need.id, "amount_fen": WAN, "due_date": due().isoformat()},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not await Pledge.exists()


async def test_api_refusals_are_clear_and_write_nothing(client, world) -> None:
    m = await build_money(world, target_fen=10 * WAN)
    donor = await _api(world)
    officer = await _api(world, "county_officer")
    draft = await make_need(world.village, state="draft")
    cases = [
        ({"need_id": m.need.id, "amount_fen": 0, "due_date": due().isoformat()}, 422, "amount_fen"),
        (
            {"need_id": m.need.id, "amount_fen": "100", "due_date": due().isoformat()},
            422,
            "amount_fen",
        ),
        (
            {"need_id": m.need.id, "amount_fen": 11 * WAN, "due_date": due().isoformat()},
            409,
            "amount_fen",
        ),
        ({"need_id": draft.id, "amount_fen": WAN, "due_date": due().isoformat()}, 409, "need_id"),
        ({"need_id": m.need.id, "amount_fen": WAN, "due_date": "tomorrow"}, 422, "due_date"),
    ]
    for body, status, field in cases:
        response = await client.post("/api/v1/pledges", json=body, headers=donor)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["field"] == field
    over = await client.post(
        "/api/v1/pledges",
        json={"need_id": m.need.id, "amount_fen": 11 * WAN, "due_date": due().isoformat()},
        headers=donor,
    )
    assert (
        over.json()["error"]["open_fen"] == 10 * WAN
        and over.json()["error"]["open"] == "¥100,000.00"
    )
    assert not await Pledge.exists()
    pledge = (
        await client.post(
            "/api/v1/pledges",
            json={"need_id": m.need.id, "amount_fen": 4 * WAN, "due_date": due().isoformat()},
            headers=donor,
        )
    ).json()
    recorded = await client.post(
        "/api/v1/donations",
        json={
            "recipient_id": m.county_gov.id,
            "pledge_id": pledge["id"],
            "amount_fen": 4 * WAN,
            "received_on": today_cn().isoformat(),
        },
        headers=officer,
    )
    assert recorded.status_code == 201, recorded.text
    donation_id = recorded.json()["id"]
    early = await client.post(f"/api/v1/donations/{donation_id}/receipts", headers=officer)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_confirmed"
    assert (
        await client.post(f"/api/v1/donations/{donation_id}/confirm", headers=officer)
    ).status_code == 200
    twice = await client.post(f"/api/v1/donations/{donation_id}/confirm", headers=officer)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_confirmed"
    edit = await client.patch(
        f"/api/v1/donations/{donation_id}", json={"amount_fen": 1}, headers=officer
    )
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "donation_locked"
    assert (await Donation.get(id=donation_id)).amount_fen == 4 * WAN
    assert (
        await client.get(
            f"/api/v1/donations/{donation_id}",
            headers=await _api(world, "other_participant_member"),
        )
    ).status_code == 403
    receipt = await client.post(f"/api/v1/donations/{donation_id}/receipts", headers=officer)
    assert receipt.status_code == 201 and receipt.json()["is_tax_voucher"] is False
    assert receipt.json()["labels"] == ["非税前扣除凭证"]


@pytest.mark.both_databases
async def test_api_full_flow_reverse_void_reissue_and_official_numbers(client, world) -> None:
    m = await build_money(world)
    officer = await _api(world, "county_officer")
    donor_id = m.world.participants["individual"].id
    recorded = await client.post(
        "/api/v1/donations",
        json={
            "recipient_id": m.county_gov.id,
            "need_id": m.need.id,
            "donor_id": donor_id,
            "amount_fen": 2 * WAN,
            "received_on": today_cn().isoformat(),
            "confirm": True,
            "payment_reference": "B-1",
        },
        headers={**officer, "Idempotency-Key": "record-0001"},
    )
    assert recorded.status_code == 201 and recorded.json()["state"] == "confirmed"
    assert recorded.json()["targeted"] is True
    donation_id = recorded.json()["id"]
    receipt = (
        await client.post(f"/api/v1/donations/{donation_id}/receipts", headers=officer)
    ).json()
    official = await client.put(
        f"/api/v1/receipts/{receipt['id']}/official-numbers",
        json={"receipt_code": "53010124", "receipt_number": "0000000001", "check_code": "abc123"},
        headers=officer,
    )
    assert official.status_code == 200 and official.json()["is_tax_voucher"] is True
    reissued = await client.post(
        f"/api/v1/receipts/{receipt['id']}/reissue", json={"reason": "名称有误"}, headers=officer
    )
    assert reissued.status_code == 201 and reissued.json()["reissue_of"] == receipt["id"]
    assert reissued.json()["serial"] == 2
    reversal = await client.post(
        f"/api/v1/donations/{donation_id}/reverse", json={"reason": "退款"}, headers=officer
    )
    assert reversal.status_code == 201 and reversal.json()["amount_fen"] == -2 * WAN
    inbox = (
        await client.get(f"/api/v1/recipients/{m.county_gov.id}/inbox", headers=officer)
    ).json()
    assert inbox["received_total_fen"] == 0
    rates = (await client.get("/api/v1/honour-rates")).json()
    assert rates["rate_percent"] is None
    money = (await client.get(f"/api/v1/needs/{m.need.id}/pledges")).json()
    assert money["received_fen"] == 0 and money["open_fen"] == m.need.target_fen


async def test_api_need_pledges_hide_anonymous_donors_from_the_public(client, world) -> None:
    m = await build_money(world)
    await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due(), anonymous=True
    )
    await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    items = (await client.get(f"/api/v1/needs/{m.need.id}/pledges")).json()["items"]
    donors = sorted((item["anonymous"], item["donor"]["id"]) for item in items)
    assert donors == [(False, m.world.participants["social_org"].id), (True, None)]
    hidden = await make_need(world.village, state="draft")
    assert (await client.get(f"/api/v1/needs/{hidden.id}/pledges")).status_code == 404
    assert await Need.filter(id=hidden.id).exists()


async def test_receipt_and_donation_are_only_readable_by_donor_recipient_and_offices(
    client, world
) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
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
    expectations = {
        "participant_member": 200,
        "county_officer": 200,
        "auditor": 200,
        "province_office": 200,
        "other_participant_member": 403,
        "other_county_officer": 403,
        "other_province_office": 403,
        "village_worker": 403,
    }
    for key, status in expectations.items():
        headers = await _api(world, key)
        assert (
            await client.get(f"/api/v1/receipts/{receipt.id}", headers=headers)
        ).status_code == status, key
        assert (
            await client.get(f"/api/v1/donations/{donation.id}", headers=headers)
        ).status_code == status, key
    assert (await client.get(f"/api/v1/receipts/{receipt.id}")).status_code == 401


async def test_the_need_page_carries_the_pledge_box_and_names_only_named_donors(
    client_as, world
) -> None:
    m = await build_money(world)
    await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=3 * WAN, due_date=due(), anonymous=True
    )
    await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=2 * WAN, due_date=due()
    )
    page = await client_as("participant_member").get(f"/needs/{m.need.id}")
    assert page.status_code == 200
    assert 'action="/pledges"' in page.text and 'name="idempotency_key"' in page.text
    public = await client_as(None).get(f"/needs/{m.need.id}")
    assert m.world.participants["social_org"].name in public.text
    assert m.world.participants["enterprise"].name not in public.text
    assert "匿名捐赠人" in public.text and "¥50,000.00" in public.text


async def test_a_refused_donation_form_is_shown_again_with_what_was_typed(client_as, world) -> None:
    m = await build_money(world)
    officer = client_as("county_officer")
    blank = await officer.get(f"/donations/new?org={m.county_gov.id}")
    assert (
        blank.status_code == 200
        and f'name="received_on" value="{today_cn().isoformat()}"' in blank.text
    )
    refused = await officer.post(
        "/donations",
        data=_form(
            org=m.county_gov.id,
            need_id=m.need.id,
            donor_id=world.participants["enterprise"].id,
            amount="一万",
            received_on=today_cn().isoformat(),
            payment_reference="BANK-77",
            idempotency_key=KEY,
        ),
    )
    assert refused.status_code == 422
    assert 'value="一万"' in refused.text and 'value="BANK-77"' in refused.text
    assert await Donation.all().count() == 0
