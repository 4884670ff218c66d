"""Building real money records for the tax and commendation tests, through the money services
(record → confirm → receipt → official numbers), never by writing money rows by hand.

Needs are created as rows in state "published" (the needs lifecycle is not under test here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from fupin.accounts.models import Participant
from fupin.accounts.service import users as accounts
from fupin.core.policy import Actor
from fupin.money.models import Donation, Pledge, RecipientOrg
from fupin.money.service import donations, receipts, recipients
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.support.world import World

WAN = 1_000_000  # 1 万元 in fen
GENERAL_COUNTY = "513401"  # 西昌市: not one of the 832 counties, so its needs are not targeted

#: docs/rules.md §1.4 enterprise E: (label, date received, amount in 万元, targeted)
EXAMPLE_DONATIONS: list[tuple[str, date, int, bool]] = [
    ("G2019a", date(2019, 3, 1), 100, False),
    ("G2019b", date(2019, 11, 20), 50, False),
    ("T2019", date(2019, 6, 1), 300, True),
    ("G2020", date(2020, 5, 1), 40, False),
    ("G2021", date(2021, 5, 1), 20, False),
    ("T2021", date(2021, 8, 1), 50, True),
    ("T2026", date(2026, 4, 1), 100, True),
]
EXAMPLE_PROFIT_WAN = {
    2019: 1000,
    2020: 500,
    2021: -200,
    2022: 100,
    2023: 50,
    2024: 0,
    2025: 80,
    2026: 1000,
}
#: The docs/rules.md §1.4 table: year → (cap, brought forward {origin: amount}, current G deducted,
#: new carry-forward, expired {origin: amount}, total deducted), all in fen.
EXAMPLE_TABLE: dict[int, tuple[int, dict[int, int], int, int, dict[int, int], int]] = {
    2019: (120 * WAN, {}, 120 * WAN, 30 * WAN, {}, 420 * WAN),
    2020: (60 * WAN, {2019: 30 * WAN}, 30 * WAN, 10 * WAN, {}, 60 * WAN),
    2021: (0, {}, 0, 20 * WAN, {}, 50 * WAN),
    2022: (12 * WAN, {2020: 10 * WAN, 2021: 2 * WAN}, 0, 0, {}, 12 * WAN),
    2023: (6 * WAN, {2021: 6 * WAN}, 0, 0, {}, 6 * WAN),
    2024: (0, {}, 0, 0, {}, 0),
    2025: (9_600_000, {}, 0, 0, {2021: 12 * WAN}, 0),
    2026: (120 * WAN, {}, 100 * WAN, 0, {}, 100 * WAN),
}


@dataclass
class Channels:
    government: RecipientOrg  # 广南县 (poverty county) government body
    foundation: RecipientOrg  # a qualified public-welfare organisation
    county_actor: Actor
    foundation_actor: Actor
    targeted_need: Need
    general_need: Need
    by_label: dict[str, Donation] = field(default_factory=dict)


async def make_need(region: Region, *, title: str, target_fen: int = 5000 * WAN) -> Need:
    return await Need.create(
        region=region,
        county_code=region.county_code or region.code,
        province_code=region.province_code,
        category="education",
        title=title,
        description="测试需求",
        target_fen=target_fen,
        deadline=date(2030, 12, 31),
        state="published",
        beneficiary_households=10,
        beneficiary_people=40,
        # Drafted before the earliest donation these tests record (a donation may not precede
        # its need's drafting).
        created_at=datetime(2015, 1, 1, tzinfo=UTC),
    )


async def make_channels(world: World) -> Channels:
    government = await recipients.create_recipient_org(
        actor=None,
        kind="government",
        name="广南县人民政府（测试）",
        code="GN532627",
        region_code="532627",
    )
    foundation = await recipients.create_recipient_org(
        actor=None,
        kind="qualified_org",
        name="测试公益基金会",
        code="FOUND0001",
        participant_id=world.participants["social_org"].id,
    )
    await recipients.add_qualification(
        actor=None,
        org_id=foundation.id,
        start_year=2016,
        end_year=2028,
        list_reference="财政部 税务总局 民政部公告（测试）",
    )
    county_actor = await accounts.actor_for(world.users["county_officer"])
    foundation_actor = await accounts.actor_for(world.users["other_participant_member"])
    targeted_need = await make_need(world.village, title="石门村学校改造")
    general_need = await make_need(await Region.get(code=GENERAL_COUNTY), title="西昌市图书室")
    return Channels(
        government=government,
        foundation=foundation,
        county_actor=county_actor,
        foundation_actor=foundation_actor,
        targeted_need=targeted_need,
        general_need=general_need,
    )


async def give(
    channels: Channels,
    donor: Participant,
    *,
    received_on: date,
    amount_fen: int,
    targeted: bool,
    official: bool = True,
    receipt: bool = True,
    anonymous: bool = False,
    kind: str = "cash",
    need: Need | None = None,
) -> Donation:
    """Record, confirm, receipt and (optionally) enter the official numbers of a donation."""
    if targeted:
        org, actor = channels.government, channels.county_actor
        need = need or channels.targeted_need
    else:
        org, actor = channels.foundation, channels.foundation_actor
        need = need or channels.general_need
    extra: dict[str, object] = {}
    if kind == "in_kind":
        extra = {"valuation_basis": "invoice", "fair_value_evidence": "发票（测试）"}
    donation = await donations.record_donation(
        actor=actor,
        recipient_id=org.id,
        need_id=need.id,
        donor_id=donor.id,
        amount_fen=amount_fen,
        received_on=received_on,
        anonymous=anonymous,
        kind=kind,
        **extra,  # type: ignore[arg-type]
    )
    donation = await donations.confirm_donation(actor=actor, donation_id=donation.id)
    if receipt:
        await receipts.issue_receipt(actor=actor, donation_id=donation.id, today=received_on)
        if official:
            donation = await receipts.enter_official_numbers(
                actor=actor,
                donation_id=donation.id,
                receipt_code=f"53{received_on.year % 100:02d}0119",
                receipt_number=f"{donation.id:010d}",
                check_code=f"C{donation.id:05d}",
            )
    return await Donation.get(id=donation.id)


async def build_example_e(world: World) -> Channels:
    """Enterprise E of docs/rules.md §1.4: the seven receipted, qualifying donations of 2019–2026."""
    channels = await make_channels(world)
    donor = world.participants["enterprise"]
    for label, day, amount_wan, targeted in EXAMPLE_DONATIONS:
        channels.by_label[label] = await give(
            channels, donor, received_on=day, amount_fen=amount_wan * WAN, targeted=targeted
        )
    return channels


# --- a demo-like world for commendation rounds ---------------------------------------------


@dataclass
class Seed:
    channels: Channels
    people: dict[str, Participant]
    actors: dict[str, Actor]
    completed_need: Need
    reversed_donation: Donation
    pair_id: int


async def _member_actor(participant: Participant, username: str) -> Actor:
    from tests.support.world import make_user

    user = await make_user("participant_member", username, participant=participant.id)
    return await accounts.actor_for(user)


async def _enterprise(name: str, body: str, *, opt_in: bool = False) -> Participant:
    from tests.support.world import valid_uscc

    return await Participant.create(
        kind="enterprise", name=name, uscc=valid_uscc(body), commendation_opt_in=opt_in
    )


async def made_on(pledge: Pledge, day: date) -> None:
    """A pledge the test makes "on" an earlier day (``make_pledge(today=…)``) records that day
    as its creation, so money received after it is not refused as earlier than the pledge."""
    await Pledge.filter(id=pledge.id).update(
        created_at=datetime(day.year, day.month, day.day, tzinfo=UTC)
    )


async def complete_need(need: Need, world: World) -> None:
    """start → deliver (with evidence) → the village confirms receipt: the need is closed."""
    from fupin.needs.models import Attachment
    from fupin.needs.service import lifecycle

    county = await accounts.actor_for(world.users["county_officer"])
    village = await accounts.actor_for(world.users["village_worker"])
    await lifecycle.transition_need(county, need.id, "start")
    await Attachment.create(
        need_id=need.id, purpose="evidence", sha256="0" * 64, content_type="image/png", size=1
    )
    await lifecycle.transition_need(county, need.id, "deliver", reason="教室已改造并验收")
    await lifecycle.transition_need(village, need.id, "confirm_receipt")


async def seed_round_world(world: World) -> Seed:
    """Confirmed money of several participants in 2016–2026 (docs/rules.md §5.3 situations):
    cash and in-kind, targeted and general, a reversal, anonymous giving with and without
    opt-in, a completed need, pledges honoured and lapsed, a pledge mobilised by a pair."""
    from fupin.accounts.models import Pair
    from fupin.money.service import pledges

    channels = await make_channels(world)
    people = {
        "e1": world.participants["enterprise"],
        "anon": await _enterprise("匿名未同意企业", "91530100MA6K2D3A1"),
        "anon_ok": await _enterprise("匿名已同意企业", "91530100MA6K2D3B1", opt_in=True),
        "prior": await _enterprise("上轮获奖企业", "91530100MA6K2D3C1"),
        "lapser": await _enterprise("逾期认捐企业", "91530100MA6K2D3D1"),
        "small": await _enterprise("小额企业", "91530100MA6K2D3E1"),
        "person": world.participants["individual"],
        "unit": world.participants["central_unit"],
    }
    actors = {
        "e1": await accounts.actor_for(world.users["participant_member"]),
        "lapser": await _member_actor(people["lapser"], "lapser_member"),
        "unit": await _member_actor(people["unit"], "unit_member"),
    }
    give_ = give
    e1 = people["e1"]
    # e1: targeted cash, general in-kind, a reversed gift, a completed need, gifts outside.
    await give_(channels, e1, received_on=date(2021, 5, 10), amount_fen=300 * WAN, targeted=True)
    await give_(
        channels,
        e1,
        received_on=date(2022, 6, 1),
        amount_fen=50 * WAN,
        targeted=False,
        kind="in_kind",
    )
    reversed_donation = await give_(
        channels, e1, received_on=date(2023, 3, 3), amount_fen=100 * WAN, targeted=True
    )
    await donations.reverse_donation(
        actor=channels.county_actor, donation_id=reversed_donation.id, reason="银行退回"
    )
    small_need = await make_need(world.village, title="石门村饮水池", target_fen=20 * WAN)
    await give_(
        channels,
        e1,
        received_on=date(2022, 9, 9),
        amount_fen=20 * WAN,
        targeted=True,
        need=small_need,
    )
    await complete_need(small_need, world)
    await give_(channels, e1, received_on=date(2026, 3, 1), amount_fen=999 * WAN, targeted=True)
    # Anonymous givers.
    await give_(
        channels,
        people["anon"],
        received_on=date(2024, 1, 5),
        amount_fen=500 * WAN,
        targeted=True,
        anonymous=True,
    )
    await give_(
        channels,
        people["anon_ok"],
        received_on=date(2024, 2, 5),
        amount_fen=200 * WAN,
        targeted=False,
        anonymous=True,
    )
    # A previous winner (2016–2020 round, run in the test) who gave again.
    await give_(
        channels, people["prior"], received_on=date(2018, 4, 4), amount_fen=60 * WAN, targeted=False
    )
    await give_(
        channels, people["prior"], received_on=date(2022, 4, 4), amount_fen=90 * WAN, targeted=False
    )
    await give_(
        channels,
        people["small"],
        received_on=date(2025, 12, 31),
        amount_fen=30 * WAN,
        targeted=False,
        official=False,
    )
    await give_(
        channels, people["person"], received_on=date(2025, 7, 7), amount_fen=10 * WAN, targeted=True
    )
    # Pledges: one honoured, one lapsed (honour rate 1/2); a pair-mobilised pledge, honoured.
    lapser = actors["lapser"]
    honoured = await pledges.make_pledge(
        actor=lapser,
        need_id=channels.targeted_need.id,
        amount_fen=80 * WAN,
        due_date=date(2023, 6, 30),
        today=date(2023, 1, 2),
    )
    await made_on(honoured, date(2023, 1, 2))
    paid = await donations.record_donation(
        actor=channels.county_actor,
        recipient_id=channels.government.id,
        pledge_id=honoured.id,
        amount_fen=80 * WAN,
        received_on=date(2023, 5, 5),
    )
    await donations.confirm_donation(actor=channels.county_actor, donation_id=paid.id)
    await pledges.make_pledge(
        actor=lapser,
        need_id=channels.targeted_need.id,
        amount_fen=40 * WAN,
        due_date=date(2024, 3, 1),
        today=date(2024, 1, 2),
    )
    await pledges.lapse_overdue(today=date(2024, 3, 2))
    pair = await Pair.create(
        kind="designated",
        helper_id=people["unit"].id,
        helped_region_id="532627",
        start_year=2021,
        period="2021-2025",
    )
    unit_pledge = await pledges.make_pledge(
        actor=actors["unit"],
        need_id=channels.targeted_need.id,
        amount_fen=150 * WAN,
        due_date=date(2024, 12, 31),
        pair_id=pair.id,
        today=date(2024, 6, 1),
    )
    await made_on(unit_pledge, date(2024, 6, 1))
    unit_gift = await donations.record_donation(
        actor=channels.county_actor,
        recipient_id=channels.government.id,
        pledge_id=unit_pledge.id,
        amount_fen=150 * WAN,
        received_on=date(2024, 9, 9),
    )
    await donations.confirm_donation(actor=channels.county_actor, donation_id=unit_gift.id)
    await receipts.issue_receipt(
        actor=channels.county_actor, donation_id=unit_gift.id, today=date(2024, 9, 9)
    )
    return Seed(
        channels=channels,
        people=people,
        actors=actors,
        completed_need=small_need,
        reversed_donation=reversed_donation,
        pair_id=pair.id,
    )
