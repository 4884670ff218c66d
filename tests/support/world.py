"""A small, real-shaped world for tests: regions, a participant of each kind, a user per role.

Users get a password hash computed once per process (Argon2 is deliberately slow), and clients
log in by carrying a session cookie signed with the app's own secret, as the browser would. The
cookie names a real server-side session (``login_cookie``, ``LoggedInClient``): the app takes the
acting user only from a live session row.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from itsdangerous import TimestampSigner
from stdnum.cn import uscc as stdnum_uscc

from fupin.accounts.models import Participant, User
from fupin.accounts.service import sessions
from fupin.accounts.service import users as accounts
from fupin.accounts.service.reference import load_all
from fupin.core.policy import RouteAction, route_allows
from fupin.regions.models import Region
from fupin.settings import Settings

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
    # 9xx: a code the registry does not use (its villages are numbered 001-399), so a test
    # village never lands on one of the real villages the subset loads.
    village, _ = await Region.get_or_create(
        code=township.code + "9" + suffix[-2:],
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
            "origin": "generated",
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

    def user_let_in(self, action: RouteAction) -> str:
        """The first user (key) whose role a route's declared ``action`` lets in: a role it does
        not name is refused before the handler reads anything (docs/security.md
        "Permissions"), so a test of the input acts as one it lets in."""
        return next(k for k, u in self.users.items() if route_allows(action, u.role))


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
        # 扶贫监督员 of the province: reads across it, files observations.
        "supervisor": {"region": PROVINCE},
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


#: The key of the server-side session's id in the cookie.
SESSION_KEY = sessions.COOKIE_KEY


async def start_session(user: User, *, user_agent: str = "pytest") -> str:
    """A live server-side session for ``user``, as a login creates it; returns the cookie's id."""
    return await sessions.start(
        user=user,
        ip="127.0.0.1",
        user_agent=user_agent,
        max_age_seconds=Settings().session_max_age_seconds,
    )


async def login_cookie(secret: str, user: User, *, csrf: str | None = CSRF) -> str:
    """The cookie of a browser logged in as ``user``: a new server-side session and the CSRF
    token ``csrf`` (none when None)."""
    data: dict[str, object] = {SESSION_KEY: await start_session(user)}
    if csrf is not None:
        data["csrf"] = csrf
    return session_cookie(secret, data)


class LoggedInClient(httpx.AsyncClient):
    """A client that logs in as ``user`` on its first request (sessions are database rows, and
    the fixtures that hand out clients are synchronous): until then it carries the anonymous
    cookie it was given, from then on a cookie naming its own new session."""

    def __init__(self, *args: Any, secret: str, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._login: tuple[str, User] | None = (secret, user)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if self._login is not None:
            secret, user = self._login
            self._login = None
            self.cookies.set("fupin_session", await login_cookie(secret, user))
            request.headers.pop("Cookie", None)
            self.cookies.set_cookie_header(request)
        return await super().send(request, **kwargs)
