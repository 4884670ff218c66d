"""After pledging, the donor is told whom to pay and how (issue 16 point 1): the pledge page names
the recipient, its bank account (entered by the recipient's officer, audited, shown only to the
pledger and the offices), a payment reference the recipient sees in its inbox, the due date, the
steps that follow and the tax consequence of the recipient chosen (the channel rules the tax
paper applies)."""

from __future__ import annotations

import re

import pytest

from fupin.core.models import AuditLog
from fupin.money.models import RecipientOrg
from fupin.money.rules.channels import qualifies_for_deduction
from fupin.money.service import pledges
from tests.money.support import WAN, build_money, due
from tests.money.test_money_web_api import _form

ACCOUNT = {
    "bank_name": "中国农业银行广南县支行",
    "account_name": "广南县人民政府扶贫专户",
    "account_number": "2461 0101 0400 12345",
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.both_databases
async def test_the_pledge_page_says_whom_to_pay_how_and_what_follows(client_as, world) -> None:
    m = await build_money(world)
    officer = client_as("county_officer")
    form = await officer.get(f"/recipients/{m.county_gov.id}/bank-account")
    assert form.status_code == 200
    saved = await officer.post(f"/recipients/{m.county_gov.id}/bank-account", data=_form(**ACCOUNT))
    assert saved.status_code in (302, 303), saved.text[:300]
    org = await RecipientOrg.get(id=m.county_gov.id)
    assert (org.bank_name, org.bank_account_name, org.bank_account_number) == (
        ACCOUNT["bank_name"],
        ACCOUNT["account_name"],
        ACCOUNT["account_number"].replace(" ", ""),
    )
    entry = await AuditLog.filter(action="recipient.bank_account", object_id=str(org.id)).first()
    assert entry is not None and entry.after["bank_account_number"] == org.bank_account_number
    # Another county's officer, and the public, may not change it.
    other = await client_as("other_county_officer").post(
        f"/recipients/{m.county_gov.id}/bank-account", data=_form(**ACCOUNT)
    )
    assert other.status_code == 403
    public = await client_as(None).get(f"/recipients/{m.county_gov.id}")
    assert org.bank_account_number not in public.text

    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    reference = pledges.payment_reference(pledge)
    page = await client_as("participant_member").get(f"/pledges/{pledge.id}")
    assert page.status_code == 200
    text = _text(page.text)
    for shown in (
        "广南县人民政府",
        ACCOUNT["bank_name"],
        ACCOUNT["account_name"],
        org.bank_account_number,
        reference,
        f"{due().year}",
        "登记到账",
        "确认到账",
        "开具收据",
        "税前扣除",
    ):
        assert shown in text, shown
    # The tax consequence is the channel rule's own words, not a second copy of the rule.
    decision = qualifies_for_deduction(
        recipient_kind="government", qualification_periods=[], donated_on=due()
    )
    assert decision.ok and decision.reason.message in text
    # Offices over the need read it too; another donor does not.
    assert (
        org.bank_account_number
        in (await client_as("province_office").get(f"/pledges/{pledge.id}")).text
    )
    assert (
        await client_as("other_participant_member").get(f"/pledges/{pledge.id}")
    ).status_code == 403
    # The recipient sees the reference in its inbox next to the pledge.
    inbox = await officer.get("/inbox")
    assert reference in inbox.text


async def test_a_recipient_without_an_account_says_so_and_a_foundation_names_its_qualification(
    client_as, world
) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor,
        need_id=m.need.id,
        amount_fen=10 * WAN,
        due_date=due(),
        recipient_id=m.foundation.id,
    )
    text = _text((await client_as("participant_member").get(f"/pledges/{pledge.id}")).text)
    assert "测试公益基金会" in text
    assert "尚未登记收款账户" in text
    assert "测试名单" in text  # the qualification listing the rule cites


async def test_the_quick_pledge_form_names_its_recipient_and_lets_the_donor_change_it(
    client_as, world
) -> None:
    m = await build_money(world)
    page = await client_as("participant_member").get(f"/needs/{m.need.id}")
    box = page.text[page.text.index('action="/pledges"') :]
    box = box[: box.index("</form>")]
    select = re.search(r'<select name="recipient_id".*?</select>', box, re.DOTALL)
    assert select, "no recipient choice in the quick form"
    chosen = re.search(r'<option value="(\d+)" selected>([^<]+)<', select.group(0))
    assert (
        chosen and int(chosen.group(1)) == m.county_gov.id and "广南县人民政府" in chosen.group(2)
    )
    assert f'value="{m.foundation.id}"' in select.group(0)


async def test_a_bad_account_number_comes_back_in_the_form(client_as, world) -> None:
    m = await build_money(world)
    response = await client_as("county_officer").post(
        f"/recipients/{m.county_gov.id}/bank-account",
        data=_form(**{**ACCOUNT, "account_number": "12ab"}),
    )
    assert response.status_code == 422
    assert 'id="error-account_number"' in response.text and "12ab" in response.text
    assert (await RecipientOrg.get(id=m.county_gov.id)).bank_account_number == ""
