"""A public ledger people can read (issue 16 point 12): amounts in ¥, event names in words, links
to the need, the receipt and the participant (never an anonymous one), China time, search by
sequence number, receipt number and need; a donation's "#seq" leads to its entry. The
machine-readable exports are unchanged."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from fupin.core.clock import in_china, today_cn
from fupin.ledger import service as ledger
from fupin.money.service import donations, pledges, receipts
from tests.money.support import WAN, build_money, due


def _rows(html: str) -> list[str]:
    body = html[html.index('<table class="ledger"') :]
    body = body[: body.index("</table>")]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.DOTALL)[1:]


@pytest.mark.both_databases
async def test_the_ledger_reads_in_words_links_and_searches(client_as, world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=12 * WAN + 345, due_date=due()
    )
    hidden = await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=WAN, due_date=due(), anonymous=True
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=5 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    public = client_as(None)
    page = await public.get("/ledger")
    assert page.status_code == 200
    rows = _rows(page.text)
    made = next(r for r in rows if "¥120,003.45" in r)
    assert "¥120,003.45" in made and "amount_fen" not in made
    assert "登记认捐" in made and "pledge_made" not in made
    assert f'href="/needs/{m.need.id}"' in made
    donor = m.world.participants["enterprise"]
    assert f'href="/participants/{donor.id}"' in made
    anonymous = next(r for r in rows if "¥10,000.00" in r)
    other = m.world.participants["social_org"]
    assert f'href="/participants/{other.id}"' not in anonymous and other.name not in anonymous
    issued = next(r for r in rows if receipt.number in r)
    assert f'href="/receipts/{receipt.id}"' in issued and f'href="/needs/{m.need.id}"' in issued
    # China time, to the minute.
    entry = next(
        e
        for e in (await ledger.page_of_entries(page=1, per_page=50))[0]
        if e["seq"] == receipt.ledger_seq
    )
    local = in_china(datetime.fromisoformat(entry["at"].replace("Z", "+00:00")))
    assert local.strftime("%Y-%m-%d %H:%M") in issued

    # Search: by sequence number, by receipt number, by need.
    one = _rows((await public.get(f"/ledger?seq={donation.ledger_seq}")).text)
    assert len(one) == 1 and "¥50,000.00" in one[0]
    by_receipt = _rows((await public.get(f"/ledger?receipt={receipt.number}")).text)
    assert len(by_receipt) == 1 and receipt.number in by_receipt[0]
    by_need = _rows((await public.get(f"/ledger?need={m.need.id}")).text)
    assert len(by_need) == 4  # two pledges, the donation, the receipt
    nothing = _rows((await public.get("/ledger?receipt=NOPE-2020-1")).text)
    assert len(nothing) == 1 and "没有" in nothing[0]
    assert hidden.id  # the anonymous pledge is in the need's entries without a name

    # The donation page's "#seq" opens that entry.
    detail = await client_as("participant_member").get(f"/donations/{donation.id}")
    assert f'href="/ledger/entries/{donation.ledger_seq}"' in detail.text

    # The exports stay as they were: the raw payload, amounts in fen.
    exported = (await public.get("/ledger/export.jsonl")).text
    assert '"amount_fen":12000345' in exported.replace(" ", "")


@pytest.mark.both_databases
async def test_an_entry_page_shows_its_chain_to_the_day_head_and_catches_a_rewrite(
    client_as, world
) -> None:
    """/ledger/entries/{seq}: the entry in words and as hashed, and the server's check that its
    hash recomputes and every link up to the last entry of its UTC day holds, ending on the
    published daily head. A row rewritten in the database fails the check, naming it."""
    from fupin.ledger.models import LedgerEntry

    m = await build_money(world)
    first = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=5 * WAN, due_date=due()
    )
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=3 * WAN, due_date=due())
    made = await LedgerEntry.filter(subject=f"pledge:{first.id}").order_by("seq").first()
    assert made is not None
    seq = made.seq
    public = client_as(None)
    heads = await ledger.daily_head_hashes()
    page = await public.get(f"/ledger/entries/{seq}")
    assert page.status_code == 200
    assert 'id="proof"' in page.text and "校验通过" in page.text
    day_seq, day_hash = next((seq, h) for _d, seq, h in heads if seq >= seq)
    assert day_hash in page.text and f"第 {day_seq} 条" in page.text
    assert "¥50,000.00" in page.text
    listing = await public.get("/ledger")
    assert f'href="/ledger/entries/{seq}"' in listing.text
    assert (await public.get("/ledger/entries/999999")).status_code == 404

    row = await LedgerEntry.get(seq=seq)
    await LedgerEntry.filter(seq=row.seq).update(
        payload_json=row.payload_json.replace("5000000", "5000001")
    )
    tampered = await public.get(f"/ledger/entries/{seq}")
    assert "校验失败" in tampered.text and f"第 {seq} 条" in tampered.text
