"""Builders for the matching tests: public needs as rows in the state a test needs (the needs
lifecycle has its own tests), cooperation pairs, pledges through the money service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.money.service import pledges
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.support.world import World, make_user, make_village

YUAN = 100
WAN = 10_000 * YUAN


def days(n: int) -> date:
    """``n`` days from China's today, read when called (tests/test_midnight.py)."""
    return today_cn() + timedelta(days=n)


async def need(
    region: Region | str,
    *,
    title: str = "村道硬化工程",
    category: str = "roads",
    target_fen: int = 20 * WAN,
    pledged_fen: int = 0,
    received_fen: int = 0,
    deadline: date | None = None,
    state: str = "published",
    people: int = 200,
    published_days_ago: int = 3,
    **extra: Any,
) -> Need:
    if isinstance(region, str):
        region = await Region.get(code=region)
    county = region.county_code or region.code
    return await Need.create(
        region_id=region.code,
        county_code=county,
        province_code=region.province_code,
        category=category,
        title=title,
        description="测试需求说明，描述村情和建设内容。",
        target_fen=target_fen,
        pledged_fen=pledged_fen,
        received_fen=received_fen,
        beneficiary_households=max(1, people // 4),
        beneficiary_people=people,
        deadline=deadline or days(60),
        state=state,
        published_at=datetime.now(UTC) - timedelta(days=published_days_ago)
        if state not in ("draft", "submitted", "returned")
        else None,
        **extra,
    )


async def pair(
    helper: Participant, region_code: str, *, kind: str = "designated", **extra: Any
) -> Pair:
    return await Pair.create(
        kind=kind,
        helper_id=helper.id,
        helped_region_id=region_code,
        start_year=extra.pop("start_year", today_cn().year - 3),
        end_year=extra.pop("end_year", None),
        **extra,
    )


async def actor(world: World, key: str) -> Actor:
    return await accounts.actor_for(world.users[key])


async def member_of(participant: Participant, username: str) -> Actor:
    user = await make_user("participant_member", username, participant=participant.id)
    return await accounts.actor_for(user)


async def pledge(donor: Actor, target: Need, amount_fen: int, *, anonymous: bool = False) -> Any:
    return await pledges.make_pledge(
        actor=donor,
        need_id=target.id,
        amount_fen=amount_fen,
        due_date=days(30),
        anonymous=anonymous,
    )


async def second_village(world: World) -> Region:
    """Another village in 广南县 (world.village's county)."""
    return await make_village(world.village.county_code, "202", "新寨村")
