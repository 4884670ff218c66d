"""Pledges: the state machine, no over-pledging, amendments and withdrawals as history, instalment
schedules, lapsing, honour rates (docs/domain.md §3.5)."""

from __future__ import annotations

import pytest

from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.errors import (
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    PermissionDenied,
    RuleViolation,
)
from fupin.ledger.models import LedgerEntry, LedgerSecret
from fupin.money.models import Pledge, PledgeEvent
from fupin.money.service import donations, honour, pledges
from fupin.money.service import queries as money_queries
from fupin.needs.models import NeedEvent, SearchOutbox
from tests.money.support import WAN, build_money, days, due, fresh, made_on, make_need

pytestmark = pytest.mark.both_databases


async def test_pledge_reserves_the_amount_and_writes_event_ledger_audit_and_outbox(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=30 * WAN, due_date=due()
    )
    assert pledge.state == "pledged" and pledge.committed_fen == 30 * WAN
    assert pledge.recipient_id == m.county_gov.id  # default channel: the county government
    assert (await fresh(m.need)).pledged_fen == 30 * WAN
    assert await PledgeEvent.filter(pledge_id=pledge.id, action="made").count() == 1
    entry = await LedgerEntry.get(subject=f"pledge:{pledge.id}")
    assert entry.kind == "pledge_made" and '"amount_fen":300000' in entry.payload_json
    assert await AuditLog.filter(action="pledge.create", object_id=str(pledge.id)).exists()
    assert await SearchOutbox.filter(need_id=m.need.id).exists()


async def test_pledge_larger_than_open_amount_is_refused_with_the_amount_still_open(world) -> None:
    m = await build_money(world, target_fen=100 * WAN)
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=70 * WAN, due_date=due())
    entries_before = await LedgerEntry.all().count()
    with pytest.raises(RuleViolation) as caught:
        await pledges.make_pledge(
            actor=m.other_donor, need_id=m.need.id, amount_fen=31 * WAN, due_date=due()
        )
    assert caught.value.code == "over_pledge"
    assert caught.value.extra == {"open_fen": 30 * WAN, "open": "¥300,000.00"}
    assert "¥300,000.00" in caught.value.message
    assert (await fresh(m.need)).pledged_fen == 70 * WAN
    assert await Pledge.all().count() == 1
    assert await LedgerEntry.all().count() == entries_before  # nothing written


async def test_covering_the_target_makes_the_need_funded_and_withdrawal_frees_it_at_once(
    world,
) -> None:
    m = await build_money(world, target_fen=50 * WAN)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, due_date=due()
    )
    assert (await fresh(m.need)).state == "funded"
    assert await NeedEvent.filter(need_id=m.need.id, action="fund").exists()
    # a funded need still accepts nothing more
    with pytest.raises(RuleViolation):
        await pledges.make_pledge(
            actor=m.other_donor, need_id=m.need.id, amount_fen=1, due_date=due()
        )
    await pledges.withdraw_pledge(actor=m.donor, pledge_id=pledge.id, reason="预算调整")
    need = await fresh(m.need)
    assert need.pledged_fen == 0 and need.state == "published"
    again = await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=50 * WAN, due_date=due()
    )
    assert again.state == "pledged"


@pytest.mark.parametrize("state", ["draft", "submitted", "in_progress", "withdrawn", "expired"])
async def test_only_published_or_funded_needs_accept_pledges(world, state) -> None:
    m = await build_money(world)
    need = await make_need(world.village, state=state)
    with pytest.raises(RuleViolation) as caught:
        await pledges.make_pledge(actor=m.donor, need_id=need.id, amount_fen=WAN, due_date=due())
    assert caught.value.code == "need_not_open"
    assert not await Pledge.exists()


@pytest.mark.parametrize("amount", [0, -100, True, 10**13])
async def test_zero_negative_or_absurd_amounts_are_refused_naming_the_field(world, amount) -> None:
    m = await build_money(world)
    with pytest.raises(InvalidInput) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=amount, due_date=due()
        )
    assert caught.value.field == "amount_fen"
    assert not await Pledge.exists()


async def test_only_participant_members_pledge(world) -> None:
    m = await build_money(world)
    with pytest.raises(PermissionDenied):
        await pledges.make_pledge(
            actor=m.officer, need_id=m.need.id, amount_fen=WAN, due_date=due()
        )
    with pytest.raises(NotAuthenticated):
        await pledges.make_pledge(actor=None, need_id=m.need.id, amount_fen=WAN, due_date=due())


async def test_amendment_is_an_event_and_raising_obeys_the_open_amount(world) -> None:
    m = await build_money(world, target_fen=100 * WAN)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, due_date=due()
    )
    await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=40 * WAN, due_date=due()
    )
    await pledges.amend_pledge(
        actor=m.donor, pledge_id=pledge.id, amount_fen=60 * WAN, reason="追加"
    )
    with pytest.raises(RuleViolation) as caught:
        await pledges.amend_pledge(actor=m.donor, pledge_id=pledge.id, amount_fen=61 * WAN)
    assert caught.value.extra["open_fen"] == 0
    await pledges.amend_pledge(actor=m.donor, pledge_id=pledge.id, amount_fen=20 * WAN)
    events = await PledgeEvent.filter(pledge_id=pledge.id).order_by("id")
    assert [(e.action, e.amount_before_fen, e.amount_after_fen) for e in events] == [
        ("made", 0, 50 * WAN),
        ("amended", 50 * WAN, 60 * WAN),
        ("amended", 60 * WAN, 20 * WAN),
    ]
    assert (await fresh(m.need)).pledged_fen == 60 * WAN
    kinds = [
        e.kind for e in await LedgerEntry.filter(subject=f"pledge:{pledge.id}").order_by("seq")
    ]
    assert kinds == ["pledge_made", "pledge_amended", "pledge_amended"]


async def test_another_participant_cannot_change_my_pledge(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    with pytest.raises(PermissionDenied):
        await pledges.withdraw_pledge(actor=m.other_donor, pledge_id=pledge.id, reason="不是我的")
    with pytest.raises(PermissionDenied):
        await pledges.amend_pledge(actor=m.other_donor, pledge_id=pledge.id, amount_fen=2 * WAN)


async def test_instalments_must_add_up_and_increase(world) -> None:
    m = await build_money(world)
    good = [pledges.InstalmentSpec(days(30), 20 * WAN), pledges.InstalmentSpec(days(90), 30 * WAN)]
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, instalments=good
    )
    assert pledge.due_date == days(90)
    with pytest.raises(InvalidInput) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=40 * WAN, instalments=good
        )
    assert caught.value.field == "instalments"
    backwards = [
        pledges.InstalmentSpec(days(90), 20 * WAN),
        pledges.InstalmentSpec(days(30), 30 * WAN),
    ]
    with pytest.raises(InvalidInput) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, instalments=backwards
        )
    assert caught.value.field == "instalments[2].due_date"
    with pytest.raises(InvalidInput) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=days(-1)
        )
    assert caught.value.field == "due_date"


async def test_what_is_due_applies_payments_to_the_earliest_instalment(world) -> None:
    m = await build_money(world)
    schedule = [
        pledges.InstalmentSpec(days(10), 20 * WAN),
        pledges.InstalmentSpec(days(40), 30 * WAN),
    ]
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=50 * WAN, instalments=schedule
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=25 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    owing = await money_queries.what_is_due(m.world.participants["enterprise"].id)
    assert [(d.number, d.due_date, d.due_fen) for d in owing] == [(2, days(40), 25 * WAN)]
    assert (await Pledge.get(id=pledge.id)).state == "partially_paid"


async def test_lapse_sweep_frees_the_unpaid_part_and_counts_as_due_not_honoured(world) -> None:
    m = await build_money(world, target_fen=100 * WAN)
    late = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=40 * WAN, due_date=days(-5), today=days(-30)
    )
    part = await pledges.make_pledge(
        actor=m.other_donor,
        need_id=m.need.id,
        amount_fen=30 * WAN,
        due_date=days(-2),
        today=days(-30),
    )
    await made_on(part, days(-30))
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=part.id,
        amount_fen=10 * WAN,
        received_on=days(-3),
        confirm=True,
    )
    kept = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    assert await pledges.lapse_overdue(today=today_cn()) == 2
    assert await pledges.lapse_overdue(today=today_cn()) == 0  # idempotent
    states = {p.id: (p.state, p.committed_fen) for p in await Pledge.all()}
    assert states[late.id] == ("lapsed", 0)
    assert states[part.id] == ("lapsed", 10 * WAN)
    assert states[kept.id] == ("pledged", 10 * WAN)
    assert (await fresh(m.need)).pledged_fen == 20 * WAN
    assert await LedgerEntry.filter(kind="pledge_lapsed").count() == 2
    rate = await honour.honour_rate(today=today_cn())
    assert (rate.due_count, rate.honoured_count, rate.rate_percent) == (2, 0, 0)


async def test_honour_rate_is_honoured_over_due_per_participant_pair_and_overall(world) -> None:
    m = await build_money(world, target_fen=500 * WAN)
    enterprise = m.world.participants["enterprise"].id
    honoured = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=honoured.id,
        amount_fen=10 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await pledges.make_pledge(  # not yet due: does not count
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )
    await pledges.make_pledge(  # overdue, not yet swept: counts as due
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=days(-1), today=days(-10)
    )
    withdrawn = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=5 * WAN, due_date=due()
    )
    await pledges.withdraw_pledge(actor=m.donor, pledge_id=withdrawn.id, reason="预算调整")
    rate = await honour.honour_rate(participant_id=enterprise)
    assert (rate.due_count, rate.honoured_count, rate.rate_percent) == (2, 1, 50)
    assert (rate.due_fen, rate.paid_fen, rate.amount_rate_percent) == (20 * WAN, 10 * WAN, 50)
    overall = await honour.honour_rate()
    assert overall.due_count == 2
    table = await honour.honour_rates_by_participant()
    assert [(r.participant_id, r.rate.rate_percent) for r in table.items] == [(enterprise, 50)]


async def test_anonymous_pledges_are_left_out_of_the_public_per_participant_rates(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor,
        need_id=m.need.id,
        amount_fen=10 * WAN,
        due_date=days(-1),
        today=days(-9),
        anonymous=True,
    )
    assert pledge.anonymous
    enterprise = m.world.participants["enterprise"].id
    assert (await honour.honour_rate(participant_id=enterprise, public=True)).due_count == 0
    assert (await honour.honour_rate(participant_id=enterprise)).due_count == 1
    assert (await honour.honour_rates_by_participant()).items == []


async def test_anonymous_pledge_keeps_the_donor_out_of_the_public_ledger_entry(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due(), anonymous=True
    )
    entry = await LedgerEntry.get(subject=f"pledge:{pledge.id}")
    name = m.world.participants["enterprise"].name
    assert name not in entry.payload_json
    assert '"donor_id":{"commit":' in entry.payload_json
    secrets = {s.field for s in await LedgerSecret.filter(entry_id=entry.seq)}
    assert secrets == {"donor_id", "donor_name"}


async def test_withdrawn_pledge_cannot_be_withdrawn_or_amended_again(world) -> None:
    m = await build_money(world)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    await pledges.withdraw_pledge(actor=m.donor, pledge_id=pledge.id, reason="预算调整")
    with pytest.raises(InvalidTransition):
        await pledges.withdraw_pledge(actor=m.donor, pledge_id=pledge.id, reason="预算调整")
    with pytest.raises(InvalidTransition):
        await pledges.amend_pledge(actor=m.donor, pledge_id=pledge.id, amount_fen=2 * WAN)


async def test_pair_attribution_must_cover_the_needs_region(world) -> None:
    from fupin.accounts.models import Pair

    m = await build_money(world)
    inside = await Pair.filter(helped_region_id="532627").first()
    elsewhere = await Pair.exclude(helped_region_id__in=["532627", "530000", "532600"]).first()
    if inside is not None:
        pledge = await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due(), pair_id=inside.id
        )
        assert pledge.pair_id == inside.id
    assert elsewhere is not None
    with pytest.raises(InvalidInput) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due(), pair_id=elsewhere.id
        )
    assert caught.value.field == "pair_id"
