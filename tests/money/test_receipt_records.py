"""A receipt's record agrees with itself: a new receipt for a donation whose receipt was voided
says which it replaces; the voided receipt's page offers only what would work; the receipt names
the officer who issued it by display name, never by login name (docs/domain.md §3.6)."""

from __future__ import annotations

import pytest

from fupin.accounts.models import User
from fupin.core.clock import today_cn
from fupin.money.models import Receipt
from fupin.money.service import donations, receipts
from tests.money.support import WAN, build_money
from tests.support.world import CSRF

pytestmark = pytest.mark.both_databases


async def _confirmed_donation(m):  # type: ignore[no-untyped-def]
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        amount_fen=5 * WAN,
        received_on=today_cn(),
        payment_reference="BANK-7",
        donor_id=m.world.participants["enterprise"].id,
    )
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    return donation


async def test_issuing_after_a_void_links_the_voided_receipt(client_as, world) -> None:
    m = await build_money(world)
    donation = await _confirmed_donation(m)
    first = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    await receipts.void_receipt(actor=m.officer, receipt_id=first.id, reason="抬头有误")
    second = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert second.reissue_of_id == first.id

    officer = client_as("county_officer")
    api = await officer.get(f"/api/v1/receipts/{second.id}")
    assert api.json()["reissue_of"] == first.id
    voided_page = await officer.get(f"/receipts/{first.id}")
    assert f"/receipts/{first.id}/reissue" not in voided_page.text
    assert f'href="/receipts/{second.id}"' in voided_page.text


async def test_a_voided_receipt_of_a_reversed_donation_offers_no_reissue(client_as, world) -> None:
    m = await build_money(world)
    donation = await _confirmed_donation(m)
    first = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    await donations.reverse_donation(actor=m.officer, donation_id=donation.id, reason="银行退票")
    assert (await Receipt.get(id=first.id)).state == "voided"
    page = await client_as("county_officer").get(f"/receipts/{first.id}")
    assert f"/receipts/{first.id}/reissue" not in page.text
    assert "捐赠已冲正" in page.text


async def test_a_voided_receipt_without_a_successor_offers_a_reissue_that_works(
    client_as, world
) -> None:
    m = await build_money(world)
    donation = await _confirmed_donation(m)
    first = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    await receipts.void_receipt(actor=m.officer, receipt_id=first.id, reason="抬头有误")
    officer = client_as("county_officer")
    page = await officer.get(f"/receipts/{first.id}")
    assert f"/receipts/{first.id}/reissue" in page.text
    answer = await officer.post(
        f"/receipts/{first.id}/reissue",
        data={"csrf_token": CSRF, "idempotency_key": "reissue-key-0001"},
    )
    assert answer.status_code == 303
    assert await Receipt.exists(reissue_of_id=first.id, state="issued")


async def test_the_receipt_names_the_officer_by_display_name(client_as, world) -> None:
    m = await build_money(world)
    user = await User.get(id=m.officer.user_id)
    user.display_name = "李会计"
    await user.save()
    donation = await _confirmed_donation(m)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    assert receipt.issued_by_label == "李会计"
    page = await client_as("county_officer").get(f"/receipts/{receipt.id}")
    assert "李会计" in page.text
    assert f"<dd>{user.username}</dd>" not in page.text
    # a receipt written before, with the login name stored, still shows the person's name
    await Receipt.filter(id=receipt.id).update(issued_by_label=user.username)
    again = await client_as("county_officer").get(f"/receipts/{receipt.id}")
    assert "李会计" in again.text and f"<dd>{user.username}</dd>" not in again.text
