"""A small, real-shaped world for tests: regions, a participant of each kind, a user per role.

Users get a password hash computed once per process (Argon2 is deliberately slow), and clients
log in by carrying a session cookie signed with the app's own secret, as the browser would.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from itsdangerous import TimestampSigner
from stdnum.cn import uscc as stdnum_uscc

from fupin.accounts.models import Participant, User
from fupin.accounts.service import users as accounts
from fupin.accounts.service.reference import load_all
from fupin.regions.models import Region

TEST_PASSWORD = "test-password-123"
CSRF = "test-csrf-token"
COUNTY = "532627"  # 广南县, 云南省文山州 (poverty county)
OTHER_COUNTY = "513431"  # 昭觉县, 四川省凉山州 (poverty county, 三区三州)
PROVINCE = "530000"
OTHER_PROVINCE = "510000"


@cache
def password_hash() -> str:
    return accounts.hash_password(TEST_PASSWORD)


def valid_uscc(body: str) -> str:
    return body + stdnum_uscc.calc_check_digit(body)


async def make_village(county_code: str, suffix: str = "201", name: str = "石门村") -> Region:
    township = (
        await Region.filter(level="township", county_code=county_code).order_by("code").first()
    )
    assert township is not None, f"no townships for {county_code}"
    village, _ = await Region.get_or_create(
        code=township.code + suffix,
        defaults={
            "name": name,
            "level": "village",
            "kind": "村",
            "parent_id": township.code,
            "province_code": township.province_code,
            "prefecture_code": township.prefecture_code,
            "county_code": township.county_code,
            "full_name": f"{township.full_name} {name}",
            "is_poor_village": True,
            "is_generated": True,
        },
    )
    return village


async def make_user(
    role: str, username: str, *, region: str | None = None, participant: int | None = None
) -> User:
    return await User.create(
        username=username,
        display_name=username,
        password_hash=password_hash(),
        role=role,
        region_id=region,
        participant_id=participant,
    )


@dataclass
class World:
    village: Region
    other_village: Region
    participants: dict[str, Participant] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


KIND_BODIES = {
    "enterprise": "91530100MA6K2D3X1",
    "social_org": "53530000MJ0123456",
    "central_unit": "11100000000012345",
    "east_partner": "11310000000067890",
    "democratic_party": "51530000500012345",
}


async def build_world(data_dir: Path) -> World:
    await load_all(data_dir)
    village = await make_village(COUNTY)
    other_village = await make_village(OTHER_COUNTY, "202", "新庄村")
    world = World(village=village, other_village=other_village)
    for kind in (
        "enterprise",
        "social_org",
        "individual",
        "central_unit",
        "east_partner",
        "democratic_party",
        "military",
    ):
        body = KIND_BODIES.get(kind)
        world.participants[kind] = await Participant.create(
            kind=kind,
            name=f"测试{kind}",
            uscc=valid_uscc(body) if body else None,
            region_id=PROVINCE,
        )
    plan = {
        "national_admin": {},
        "province_office": {"region": PROVINCE},
        "county_officer": {"region": COUNTY},
        "village_worker": {"region": village.code},
        "participant_member": {"participant": world.participants["enterprise"].id},
        "auditor": {},
        # The same roles elsewhere, for "outside my scope" checks.
        "other_province_office": {"region": OTHER_PROVINCE},
        "other_county_officer": {"region": OTHER_COUNTY},
        "other_village_worker": {"region": other_village.code},
        "other_participant_member": {"participant": world.participants["social_org"].id},
    }
    for key, scope in plan.items():
        role = key.removeprefix("other_")
        world.users[key] = await make_user(role, key, **scope)
    return world


def session_cookie(secret: str, data: dict[str, object]) -> str:
    """The value Starlette's SessionMiddleware would set for this session."""
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(secret).sign(payload).decode()
