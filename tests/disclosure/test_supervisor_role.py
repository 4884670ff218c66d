"""The supervisor (扶贫监督员): created by the offices above it for a province or a county, reads
its region only (policy scope kind ``region``), files observations and nothing else."""

from __future__ import annotations

import pytest

from fupin.accounts.service import users as accounts
from fupin.core import policy
from fupin.core.policy import Actor, Scope
from fupin.errors import InvalidInput
from tests.money.support import actor

PROVINCE_SUPERVISOR = Actor(1, "s1", "supervisor", "530000", "530000", "")
COUNTY_SUPERVISOR = Actor(2, "s2", "supervisor", "532627", "530000", "532627")
GUANGNAN = Scope(county_code="532627", province_code="530000")
QIUBEI = Scope(county_code="532626", province_code="530000")
ZHAOJUE = Scope(county_code="513431", province_code="510000")


def test_the_region_scope_is_the_county_or_else_the_province() -> None:
    for action in ("complaint.view", "supervision.view", "supervision.observe"):
        assert policy.can(PROVINCE_SUPERVISOR, action, GUANGNAN)
        assert policy.can(PROVINCE_SUPERVISOR, action, QIUBEI)
        assert not policy.can(PROVINCE_SUPERVISOR, action, ZHAOJUE)
        assert policy.can(COUNTY_SUPERVISOR, action, GUANGNAN)
        assert not policy.can(COUNTY_SUPERVISOR, action, QIUBEI)
    # Read-only: no action that writes besides its observations.
    writes = {a for a, roles in policy.RULES.items() if "supervisor" in roles}
    assert writes == {"complaint.view", "supervision.view", "supervision.observe"}
    assert not policy.can(PROVINCE_SUPERVISOR, "complaint.handle", GUANGNAN)
    assert not policy.can(PROVINCE_SUPERVISOR, "disclosure.publish", GUANGNAN)


async def test_offices_create_supervisors_for_a_province_or_a_county(world) -> None:
    national = await actor(world, "national_admin")
    province = await actor(world, "province_office")
    made = await accounts.create_user(
        actor=national, username="jiandu_yn", role="supervisor", region_code="530000"
    )
    assert made.region_id == "530000"
    county = await accounts.create_user(
        actor=province, username="jiandu_gn", role="supervisor", region_code="532627"
    )
    seen = await accounts.actor_for(county)
    assert seen.county_code == "532627" and policy.can(seen, "supervision.view", GUANGNAN)
    with pytest.raises(InvalidInput):
        await accounts.create_user(
            actor=national, username="jiandu_v", role="supervisor", region_code=world.village.code
        )
