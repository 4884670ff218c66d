"""A participant's public page: its named giving need by need and year by year, with the public
honour rate; anonymous money is in none of it."""

from __future__ import annotations

import pytest

from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.money.service import donations, giving, pledges
from fupin.money.service.honour import honour_rate
from fupin.needs.models import Need
from tests.money.support import WAN, Money, build_money, due, make_need
from tests.support.world import World, make_village

ANON_FEN = 1_234_567


async def _gifts(world: World) -> tuple[Money, Need]:
    """Named and anonymous money of one donor on two needs, and a withdrawn named pledge."""
    m = await build_money(world)
    donor = m.donor
    second = await make_need(await make_village("532627", "231", "上寨村"), title="饮水安全工程")
    paid = await pledges.make_pledge(
        actor=donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=paid.id,
        amount_fen=30 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await pledges.make_pledge(actor=donor, need_id=second.id, amount_fen=10 * WAN, due_date=due())
    hidden = await pledges.make_pledge(
        actor=donor, need_id=second.id, amount_fen=ANON_FEN, due_date=due(), anonymous=True
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=hidden.id,
        amount_fen=ANON_FEN,
        received_on=today_cn(),
        confirm=True,
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=donor.participant_id,
        amount_fen=ANON_FEN,
        received_on=today_cn(),
        anonymous=True,
        confirm=True,
    )
    withdrawn = await pledges.make_pledge(
        actor=donor, need_id=second.id, amount_fen=5 * WAN, due_date=due()
    )
    await pledges.withdraw_pledge(actor=donor, pledge_id=withdrawn.id, reason="预算调整")
    return m, second


@pytest.mark.both_databases
async def test_public_giving_counts_named_money_only(world) -> None:
    m, second = await _gifts(world)
    pid = m.donor.participant_id
    assert pid is not None
    got = await giving.public_giving(pid)
    lines = {line.need_id: line for line in got.lines}
    assert set(lines) == {m.need.id, second.id}
    assert (lines[m.need.id].pledged_fen, lines[m.need.id].received_fen) == (30 * WAN, 30 * WAN)
    assert (lines[second.id].pledged_fen, lines[second.id].received_fen) == (10 * WAN, 0)
    assert lines[second.id].place.endswith("上寨村")
    assert (got.need_count, got.place_count) == (2, 2)
    assert (got.pledged_fen, got.received_fen) == (40 * WAN, 30 * WAN)
    assert [(y.year, y.pledged_fen, y.received_fen, y.needs) for y in got.years] == [
        (today_cn().year, 40 * WAN, 30 * WAN, 2)
    ]
    # the one honour-rate definition, public: the anonymous pledge (honoured too) is left out
    assert got.honour == await honour_rate(participant_id=pid, public=True)
    assert (got.honour.due_count, got.honour.honoured_count) == (1, 1)
    assert (await honour_rate(participant_id=pid)).due_count == 2


async def test_the_participant_page_lists_named_giving_and_hides_anonymous(client, world) -> None:
    m, second = await _gifts(world)
    response = await client.get(f"/participants/{m.donor.participant_id}")
    assert response.status_code == 200
    text = response.text
    assert f'href="/needs/{m.need.id}"' in text and f'href="/needs/{second.id}"' in text
    assert f'data-figure="received">{format_yuan(30 * WAN)}<' in text
    assert f'data-figure="pledged">{format_yuan(40 * WAN)}<' in text
    assert 'data-figure="honour">100%' in text
    assert f'data-year="{today_cn().year}"' in text
    for mark in ("12,345.67", "12345.67", "1234567"):
        assert mark not in text


async def test_a_participant_without_named_giving_says_so(client, world) -> None:
    response = await client.get(f"/participants/{world.participants['military'].id}")
    assert response.status_code == 200
    assert "还没有公开的捐赠记录" in response.text
