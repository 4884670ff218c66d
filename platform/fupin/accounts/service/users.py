"""Accounts: password hashing, login with rate limiting, API tokens, user creation."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fupin.accounts.models import ROLES, ApiToken, LoginAttempt, Participant, User
from fupin.core import audit, clock
from fupin.core.policy import Actor, Scope, require
from fupin.db import transaction
from fupin.errors import InvalidInput, NotAuthenticated, PermissionDenied, RateLimited
from fupin.i18n import _
from fupin.regions.models import Region

#: Argon2id with the library's RFC 9106 "low memory" profile (64 MiB, 3 passes): memory-hard.
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
#: Which level of region each office role is scoped to.
ROLE_REGION_LEVEL = {
    "province_office": "province",
    "county_officer": "county",
    "village_worker": "village",
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def actor_for(user: User) -> Actor:
    region = await user.region if user.region_id else None
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        region_code=region.code if region else "",
        province_code=region.province_code if region else "",
        county_code=(region.county_code or (region.code if region.level == "county" else ""))
        if region
        else "",
        participant_id=user.participant_id,
    )


async def _recent_failures(username: str, ip: str, window_seconds: int) -> int:
    since = clock.now() - timedelta(seconds=window_seconds)
    by_user = await LoginAttempt.filter(username=username, at__gte=since).count()
    by_ip = await LoginAttempt.filter(ip=ip, at__gte=since).count() if ip else 0
    # An IP may try several accounts, but not unboundedly: 4× the per-account limit.
    return max(by_user, by_ip // 4)


async def authenticate(
    *, username: str, password: str, ip: str, max_failures: int, window_seconds: int
) -> User:
    """Check a login. Failures are counted per account and per address in the database, so
    the limit holds across app processes and restarts (BRIEF §5: login rate-limited)."""
    username = username.strip()
    if await _recent_failures(username, ip, window_seconds) >= max_failures:
        raise RateLimited(
            _("登录失败次数过多，请 %(minutes)d 分钟后再试。", minutes=window_seconds // 60)
        )
    user = await User.get_or_none(username=username, is_active=True)
    if user is None or not verify_password(user.password_hash, password):
        await LoginAttempt.create(username=username, ip=ip)
        raise NotAuthenticated(_("用户名或密码不正确。"), field="password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    await user.save(update_fields=["password_hash", "last_login_at"])
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(*, user: User, name: str = "") -> str:
    """Return a new bearer token; only its SHA-256 is stored (shown to the user once)."""
    token = "fp_" + secrets.token_urlsafe(32)
    async with transaction():
        row = await ApiToken.create(
            user=user, name=name, token_hash=_token_hash(token), prefix=token[:8]
        )
        await audit.record(
            actor=await actor_for(user),
            action="api_token.create",
            object_type="api_token",
            object_id=row.id,
            after={"name": name, "prefix": row.prefix},
        )
    return token


async def revoke_api_token(*, token: ApiToken, actor: Actor) -> None:
    async with transaction():
        token.revoked_at = clock.now()
        await token.save(update_fields=["revoked_at"])
        await audit.record(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.id,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at},
        )


async def user_for_token(token: str) -> User | None:
    row = await ApiToken.get_or_none(
        token_hash=_token_hash(token), revoked_at__isnull=True
    ).prefetch_related("user")
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = clock.now()
    await row.save(update_fields=["last_used_at"])
    return row.user


async def create_user(
    *,
    actor: Actor | None,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    region_code: str | None = None,
    participant_id: int | None = None,
    ip: str = "",
) -> User:
    """Create an account. ``actor`` None means the CLI/demo loader (trusted operator)."""
    errors = []
    if not USERNAME_RE.match(username or ""):
        errors.append(("username", _("用户名须为 3–64 位字母、数字、下划线、点或连字符。")))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors.append(("password", _("密码至少 %(n)d 位。", n=MIN_PASSWORD_LENGTH)))
    if role not in ROLES:
        errors.append(("role", _("未知角色。")))
    if errors:
        field, message = errors[0]
        raise InvalidInput(message, field=field)
    region = None
    if role in ROLE_REGION_LEVEL:
        if not region_code:
            raise InvalidInput(_("该角色必须指定所辖地区。"), field="region_code")
        region = await Region.get_or_none(code=region_code)
        if region is None:
            raise InvalidInput(_("地区代码不存在：%(code)s", code=region_code), field="region_code")
        if region.level != ROLE_REGION_LEVEL[role]:
            raise InvalidInput(_("该角色的地区层级不符。"), field="region_code")
    participant = None
    if role == "participant_member":
        if participant_id is None:
            raise InvalidInput(_("参与方成员必须指定所属参与方。"), field="participant_id")
        participant = await Participant.get_or_none(id=participant_id)
        if participant is None:
            raise InvalidInput(_("参与方不存在。"), field="participant_id")
    if actor is not None:
        scope = (
            Scope(
                region_code=region.code,
                county_code=region.county_code or region.code,
                province_code=region.province_code,
            )
            if region
            else None
        )
        require(actor, "user.create", scope)
        # Offices create accounts below their own level only; only the national office
        # creates national administrators, auditors and participant members.
        if actor.role != "national_admin" and role in (
            "national_admin",
            "auditor",
            "province_office",
            "participant_member",
        ):
            raise PermissionDenied(_("只有国家扶贫办管理员可以创建该角色的账号。"))
    if await User.exists(username=username):
        raise InvalidInput(_("用户名已被使用。"), field="username", code="duplicate")
    async with transaction():
        user = await User.create(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=role,
            region=region,
            participant=participant,
        )
        await audit.record(
            actor=actor,
            actor_label=None if actor else "cli",
            action="user.create",
            object_type="user",
            object_id=user.id,
            after={
                "username": username,
                "role": role,
                "region_code": region.code if region else None,
                "participant_id": participant.id if participant else None,
            },
            ip=ip,
        )
    return user
