"""Builders for the money tests: published needs, recipient organisations, acting users.

Needs are created as rows in the state the test needs (the needs lifecycle has its own tests);
everything about money goes through the money services.

Dates are read from the platform's clock when a test uses them, never kept from import: a run
that straddles midnight China time imports before it and runs tests after (tests/test_midnight.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fupin.accounts.models import Participant
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.money.models import Pledge, RecipientOrg
from fupin.money.service import recipients
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.support.world import World, make_user, valid_uscc

YUAN = 100
WAN = 10_000 * YUAN


def due() -> date:
    """A due date any pledge made today may have: two months on, well before the need's
    deadline (``make_need``)."""
    return days(60)


def days(n: int) -> date:
    return today_cn() + timedelta(days=n)


async def make_need(
    region: Region,
    *,
    target_fen: int = 100 * WAN,
    state: str = "published",
    title: str = "村道硬化工程",
) -> Need:
    return await Need.create(
        region_id=region.code,
        county_code=region.county_code or region.code,
        province_code=region.province_code,
        category="roads",
        title=title,
        description="测试需求",
        target_fen=target_fen,
        deadline=days(90),
        state=state,
        # Drafted years ago: money may arrive in an earlier year, never before the need's
        # drafting (tests/money/test_donation_dates.py).
        created_at=datetime(today_cn().year - 5, 1, 1, tzinfo=UTC),
    )


async def made_on(pledge: Pledge, day: date) -> Pledge:
    """A pledge made on ``day`` (``make_pledge(today=…)`` checks the due date against that day;
    this records it as the pledge's creation, which money received may not precede)."""
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    await Pledge.filter(id=pledge.id).update(created_at=at)
    return await Pledge.get(id=pledge.id)


@dataclass
class Money:
    """A published need in 广南县 (a poverty county), its county government as recipient, a
    qualified foundation, and actors for the donor, the county officer and the foundation."""

    world: World
    need: Need
    county_gov: RecipientOrg
    foundation: RecipientOrg
    donor: Actor
    other_donor: Actor
    officer: Actor
    other_officer: Actor
    foundation_member: Actor
    extra: dict[str, Any]


async def actor(world: World, key: str) -> Actor:
    return await accounts.actor_for(world.users[key])


async def build_money(world: World, *, target_fen: int = 100 * WAN) -> Money:
    need = await make_need(world.village, target_fen=target_fen)
    county_gov = await recipients.create_recipient_org(
        actor=None, kind="government", name="广南县人民政府", code="GOV532627", region_code="532627"
    )
    fund_participant = await Participant.create(
        kind="social_org",
        name="测试公益基金会",
        uscc=valid_uscc("53530000MJ0999999"),
        region_id="530000",
    )
    foundation = await recipients.create_recipient_org(
        actor=None,
        kind="qualified_org",
        name="测试公益基金会",
        uscc=fund_participant.uscc or "",
        region_code="530000",
        participant_id=fund_participant.id,
    )
    this_year = today_cn().year
    await recipients.add_qualification(
        actor=None,
        org_id=foundation.id,
        start_year=this_year - 1,
        end_year=this_year + 1,
        list_reference="测试名单",
    )
    member = await make_user("participant_member", "fund_member", participant=fund_participant.id)
    return Money(
        world=world,
        need=need,
        county_gov=county_gov,
        foundation=foundation,
        donor=await actor(world, "participant_member"),
        other_donor=await actor(world, "other_participant_member"),
        officer=await actor(world, "county_officer"),
        other_officer=await actor(world, "other_county_officer"),
        foundation_member=await accounts.actor_for(member),
        extra={},
    )


async def fresh(need: Need) -> Need:
    return await Need.get(id=need.id)
