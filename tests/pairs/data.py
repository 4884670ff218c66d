"""Demo-like money for dashboard tests, written as raw rows with chosen dates.

The money services stamp ``created_at`` with the current time, so a data set spread over several
years (and over the China-time year boundary) is written directly: needs in villages and
county-wide, pledges in every state with consistent paid / committed amounts, pledges attributed
to the real pairs, confirmed, unconfirmed, cancelled and reversing donations, and donations given
without a pledge. ``Need.pledged_fen`` / ``received_fen`` and the dashboards' money rollups are
kept equal to the rows, as the money services keep them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.db import transaction
from fupin.money.models import Donation, Pledge, RecipientOrg
from fupin.money.service import rollups as money_rollups
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.support.world import World, make_village

CATEGORIES = ("roads", "drinking_water", "housing", "industry", "education", "health", "other")
STATES = (
    "published",
    "published",
    "funded",
    "in_progress",
    "completed",
    "closed",
    "draft",
    "withdrawn",
    "expired",
)
YEARS = (2024, 2025)
#: "today" for the tests that depend on it (unfunded needs, due pledges): inside 2025 Q3→Q4.
TODAY = date(2025, 11, 20)


@dataclass
class DashboardData:
    world: World
    east_west: Pair  # 上海市 → 云南省 (2021–)
    sichuan: Pair  # 浙江省 → 四川省 (2021–)
    designated: Pair  # 外交部 → 金平县 532530
    needs: list[Need] = field(default_factory=list)
    pledges: list[Pledge] = field(default_factory=list)
    donations: list[Donation] = field(default_factory=list)


def _instant(rng: random.Random, year: int) -> datetime:
    start = datetime(year, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(0, 364 * 24 * 3600))


async def build(
    world: World, *, seed: int = 7, n_needs: int = 60, n_pledges: int = 160
) -> DashboardData:
    rng = random.Random(seed)
    east_west = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    sichuan = await Pair.get(kind="east_west", helped_region_id="510000", start_year=2021)
    designated = await Pair.get(kind="designated", helped_region_id="532530")
    data = DashboardData(world, east_west, sichuan, designated)

    villages = [world.village, world.other_village]
    for i, suffix in enumerate(
        ("203", "204", "205", "206", "209", "210", "211", "212", "213", "214", "215", "216")
    ):
        villages.append(await make_village("532627", suffix, f"测试村{i}"))
    for i, suffix in enumerate(("207", "208")):
        villages.append(await make_village("513431", suffix, f"凉山村{i}"))
    counties = [await Region.get(code=c) for c in ("532627", "513431", "532530")]
    places = villages + counties

    org = await RecipientOrg.create(
        kind="government", name="测试县人民政府", code="GOVTEST", region_id="532627"
    )
    donors = [
        world.participants[k]
        for k in ("enterprise", "social_org", "individual", "military", "democratic_party")
    ]
    helpers = [await Participant.get(id=p.helper_id) for p in (east_west, sichuan, designated)]
    # Still open when the API (which uses the real date) is asked; read now, not at import
    # (tests/test_midnight.py).
    far_deadline = max(TODAY, today_cn()) + timedelta(days=400)

    for i in range(n_needs):
        place = rng.choice(places)
        state = rng.choice(STATES)
        published = None if state == "draft" else _instant(rng, rng.choice((*YEARS, 2023)))
        target = rng.randrange(5, 500) * 1000_00
        need = await Need.create(
            region_id=place.code,
            county_code=place.county_code or place.code,
            province_code=place.province_code,
            category=rng.choice(CATEGORIES),
            title=f"测试需求{i}",
            description="测试",
            target_fen=target,
            deadline=rng.choice(
                (TODAY - timedelta(days=10), TODAY + timedelta(days=30), far_deadline)
            ),
            state=state,
            published_at=published,
        )
        data.needs.append(need)
    # Two needs published exactly around the China-time new year (UTC 16:00 on 31 Dec).
    for i, instant in enumerate(
        (datetime(2024, 12, 31, 15, 59, tzinfo=UTC), datetime(2024, 12, 31, 16, 0, tzinfo=UTC))
    ):
        need = await Need.create(
            region_id=world.village.code,
            county_code="532627",
            province_code="530000",
            category="roads",
            title=f"跨年需求{i}",
            description="测试",
            target_fen=1_000_000_00,
            deadline=far_deadline,
            state="published",
            published_at=instant,
        )
        data.needs.append(need)

    pledgeable = [
        n
        for n in data.needs
        if n.state in ("published", "funded", "in_progress", "completed", "closed")
    ]
    pledged_by_need: dict[int, int] = {}
    received_by_need: dict[int, int] = {}
    for i in range(n_pledges):
        need = rng.choice(pledgeable)
        pairs_here = [
            p
            for p in (east_west, sichuan, designated)
            if (p.helped_region_id == need.province_code or p.helped_region_id == need.county_code)
        ]
        if pairs_here and rng.random() < 0.35:
            who = await Participant.get(id=rng.choice(pairs_here).helper_id)
        else:
            who = rng.choice(donors + helpers)
        pair = rng.choice(pairs_here) if pairs_here and rng.random() < 0.5 else None
        amount = rng.randrange(1, 200) * 100_00
        state = rng.choice(
            ("pledged", "partially_paid", "honoured", "honoured", "withdrawn", "lapsed")
        )
        paid = {"pledged": 0, "partially_paid": amount // 2, "honoured": amount}.get(state, 0)
        if state in ("withdrawn", "lapsed") and rng.random() < 0.5:
            paid = amount // 3
        committed = amount if state in ("pledged", "partially_paid", "honoured") else paid
        created = _instant(rng, rng.choice(YEARS))
        if i == 0:
            created = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)  # 2025-01-01 01:00 in China
        due = created.date() + timedelta(days=rng.choice((30, 120, 400)))
        pledge = await Pledge.create(
            need_id=need.id,
            participant_id=who.id,
            pair_id=pair.id if pair else None,
            amount_fen=amount,
            paid_fen=paid,
            committed_fen=committed,
            due_date=due,
            state=state,
            anonymous=rng.random() < 0.2,
        )
        await Pledge.filter(id=pledge.id).update(created_at=created)
        pledge.created_at = created
        data.pledges.append(pledge)
        pledged_by_need[need.id] = pledged_by_need.get(need.id, 0) + committed
        if paid:
            received = created.date() + timedelta(days=rng.randrange(0, 200))
            if i == 1:
                received = date(2024, 12, 31)
            donation = await _donation(need, who, org, paid, received, "confirmed", pledge=pledge)
            data.donations.append(donation)
            received_by_need[need.id] = received_by_need.get(need.id, 0) + paid
    # Rows the dashboards must leave out or net: unconfirmed, cancelled, and a reversal.
    some = rng.choice(pledgeable)
    data.donations.append(
        await _donation(some, donors[0], org, 77_00, date(2025, 3, 1), "recorded")
    )
    data.donations.append(
        await _donation(some, donors[0], org, 88_00, date(2025, 3, 2), "cancelled")
    )
    original = next(d for d in data.donations if d.state == "confirmed" and d.amount_fen > 0)
    reversal = await _donation(
        await Need.get(id=original.need_id),
        await Participant.get(id=original.donor_id),
        org,
        -original.amount_fen,
        date(2025, 6, 30),
        "confirmed",
        reverses=original,
    )
    data.donations.append(reversal)
    received_by_need[original.need_id] -= original.amount_fen
    # Gifts without a pledge, by a helper, inside and outside its helped region.
    for need in rng.sample(pledgeable, 6):
        helper = helpers[rng.randrange(len(helpers))]
        donation = await _donation(
            need,
            helper,
            org,
            rng.randrange(1, 50) * 1000_00,
            date(2025, rng.randrange(1, 12), 15),
            "confirmed",
        )
        data.donations.append(donation)
        received_by_need[need.id] = received_by_need.get(need.id, 0) + donation.amount_fen
    for need in data.needs:
        need.pledged_fen = pledged_by_need.get(need.id, 0)
        need.received_fen = received_by_need.get(need.id, 0)
        await Need.filter(id=need.id).update(
            pledged_fen=need.pledged_fen, received_fen=need.received_fen
        )
        # What the money services do at the end of each transaction (after_need_money_change):
        # the dashboards read these rollups; the tests recompute every figure from the raw rows.
        async with transaction():
            await money_rollups.refresh_need(need.id)
    return data


async def _donation(
    need: Need,
    donor: Participant,
    org: RecipientOrg,
    amount: int,
    received: date,
    state: str,
    *,
    pledge: Pledge | None = None,
    reverses: Donation | None = None,
) -> Donation:
    return await Donation.create(
        need_id=need.id,
        pledge_id=pledge.id if pledge else (reverses.pledge_id if reverses else None),
        recipient_id=org.id,
        donor_id=donor.id,
        amount_fen=amount,
        received_on=received,
        state=state,
        reverses_id=reverses.id if reverses else None,
    )
