"""Permissions of the money records that once leaked (docs/security.md "Permissions").

Printing a receipt is the recipient's and the donor's act: read-only roles (the auditor, the
province offices) read a receipt but record no print, so the donor's own first print stays the
original. A province office reads donations, receipts and pledges by the NEED's place, not by
where the receiving organisation is registered.
"""

from __future__ import annotations

import pytest

from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.money.models import Receipt
from fupin.money.service import donations, pledges, receipts
from tests.money.support import WAN, build_money, due, make_need
from tests.support.world import CSRF

pytestmark = pytest.mark.both_databases


async def _receipted(m):  # type: ignore[no-untyped-def]
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=10 * WAN,
        received_on=today_cn(),
        payment_reference="BANK-PRINT-1",
        confirm=True,
    )
    return pledge, donation, await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)


async def _token(world, key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await accounts.create_api_token(user=world.users[key])}"}


async def test_read_only_roles_record_no_print_and_the_donors_first_print_is_the_original(
    client_as, world
) -> None:
    m = await build_money(world)
    _, _, receipt = await _receipted(m)
    for key in ("auditor", "province_office", "national_admin"):
        # They may read the receipt …
        assert (await client_as(key).get(f"/receipts/{receipt.id}")).status_code == 200
        # … but not print it: neither through the API nor through the page's form.
        api = await client_as(None).post(
            f"/api/v1/receipts/{receipt.id}/prints", headers=await _token(world, key)
        )
        assert api.status_code == 403, (key, api.text)
        page = await client_as(key).post(f"/receipts/{receipt.id}/print", data={"csrf_token": CSRF})
        assert page.status_code == 403, (key, page.status_code)
        shown = (await client_as(key).get(f"/receipts/{receipt.id}")).text
        assert f'action="/receipts/{receipt.id}/print"' not in shown
    assert (await Receipt.get(id=receipt.id)).print_count == 0
    first = await client_as(None).post(
        f"/api/v1/receipts/{receipt.id}/prints",
        headers=await _token(world, "participant_member"),
    )
    assert first.status_code == 200 and first.json()["copy"] == 1
    page = await client_as("participant_member").post(
        f"/receipts/{receipt.id}/print", data={"csrf_token": CSRF}
    )
    assert page.status_code == 200 and "副本" in page.text  # the second copy is the duplicate
    # The recipient's officers print too.
    _, copy = await receipts.record_print(actor=m.officer, receipt_id=receipt.id)
    assert copy == 3


async def test_a_province_office_reads_money_by_the_needs_place_not_the_recipients(
    client_as, world
) -> None:
    """Yunnan registers the foundation; the need lies in Sichuan. Yunnan's office reads neither
    the donation (with its payment reference) nor the receipt nor the pledge; Sichuan's does."""
    m = await build_money(world)
    sichuan_need = await make_need(world.other_village, title="四川的需求")
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=sichuan_need.id, amount_fen=5 * WAN, due_date=due()
    )
    donation = await donations.record_donation(
        actor=m.foundation_member,
        recipient_id=m.foundation.id,
        pledge_id=pledge.id,
        amount_fen=5 * WAN,
        received_on=today_cn(),
        payment_reference="SECRET-REF-42",
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.foundation_member, donation_id=donation.id)
    urls = [
        f"/donations/{donation.id}",
        f"/receipts/{receipt.id}",
        f"/pledges/{pledge.id}",
        f"/api/v1/donations/{donation.id}",
        f"/api/v1/receipts/{receipt.id}",
        f"/api/v1/pledges/{pledge.id}",
    ]
    yunnan = client_as("province_office")
    sichuan = client_as("other_province_office")
    for url in urls:
        refused = await yunnan.get(url)
        assert refused.status_code == 403, (url, refused.status_code)
        assert "SECRET-REF-42" not in refused.text
        allowed = await sichuan.get(url)
        assert allowed.status_code == 200, (url, allowed.status_code)
    assert "SECRET-REF-42" in (await sichuan.get(f"/donations/{donation.id}")).text
    # The recipient's own officers still read what they received, wherever the need is.
    assert (
        await client_as(None).get(
            f"/api/v1/donations/{donation.id}", headers=await _token_for(m.foundation_member)
        )
    ).status_code == 200


async def _token_for(actor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from fupin.accounts.models import User

    user = await User.get(id=actor.user_id)
    return {"Authorization": f"Bearer {await accounts.create_api_token(user=user)}"}


async def test_another_provinces_office_never_sees_an_individuals_id_number(
    client_as, world
) -> None:
    individual = world.participants["individual"]  # registered in Yunnan
    individual.id_number_masked = "5301**********001X"
    await individual.save(update_fields=["id_number_masked"])
    yunnan, sichuan = client_as("province_office"), client_as("other_province_office")
    for url in (f"/participants/{individual.id}", f"/api/v1/participants/{individual.id}"):
        assert "5301**********001X" in (await yunnan.get(url)).text, url
        assert "5301**********001X" in (await client_as("national_admin").get(url)).text, url
        other = await sichuan.get(url)
        assert other.status_code == 200 and "5301**********001X" not in other.text, url
        assert "id_number_masked" not in other.text, url
