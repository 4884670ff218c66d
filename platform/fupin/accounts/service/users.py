"""Accounts: login with its lock-out, API tokens, creating, deactivating and reactivating
accounts, changing one's own password (docs/security.md)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q

from fupin.accounts.models import ROLES, ApiToken, LoginAttempt, Participant, PasswordLink, User
from fupin.accounts.rules import (
    CREATABLE_ROLES,
    DEFAULT_TOKEN_DAYS,
    TOKEN_LIFETIME_DAYS,
    LoginLimits,
    address_delay,
    may_create_role,
)
from fupin.accounts.service import sessions
from fupin.accounts.service.passwords import (
    check_against_async,
    check_new_password,
    hash_password,
    hash_password_async,
    needs_rehash,
    verify_password,
)
from fupin.core import audit, clock
from fupin.core.policy import Actor, Scope, require
from fupin.core.sql import dialect
from fupin.db import transaction
from fupin.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited
from fupin.i18n import _
from fupin.regions.models import Region

__all__ = ["hash_password", "verify_password"]  # kept here for the callers of old

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
#: Which level of region each office role is scoped to.
ROLE_REGION_LEVEL: dict[str, tuple[str, ...]] = {
    "province_office": ("province",),
    "county_officer": ("county",),
    "village_worker": ("village",),
    # A supervisor (扶贫监督员) watches a province or one county.
    "supervisor": ("province", "county"),
}
#: Login attempts older than this are deleted by the sweep (far beyond any lock-out window).
KEEP_ATTEMPTS_DAYS = 30
#: Waiting before a busy address's attempt is checked (replaced in tests).
_sleep = asyncio.sleep


async def actor_for(user: User) -> Actor:
    region = await Region.get_or_none(code=user.region_id) if user.region_id else None
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


# --- login -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    id: int
    earlier_for_account: int
    earlier_for_address: int


async def _register_attempt(username: str, ip: str, window_seconds: int) -> _Attempt:
    """Record the attempt as pending *before* its password is checked, and count what precedes
    it, in one transaction serialised per user name (SQLite: BEGIN IMMEDIATE holds the write
    lock; PostgreSQL: a transaction-scoped advisory lock on the name). So of fifteen parallel
    attempts each sees the ones before it, and only the first ``max_failures`` are checked."""
    since = clock.now() - timedelta(seconds=window_seconds)
    async with transaction() as conn:
        if dialect(conn) == "postgres":
            await conn.execute_query(
                "SELECT pg_advisory_xact_lock(hashtext($1))", ["fupin.login:" + username]
            )
        row = await LoginAttempt.create(username=username, ip=ip, outcome="pending")
        last_ok = (
            await LoginAttempt.filter(username=username, outcome="ok", id__lt=row.id)
            .order_by("-id")
            .first()
            .values_list("id", flat=True)
        )
        # A success forgives the failures before it; pending attempts count as failures until
        # they are settled (that is what makes the limit hold under parallel requests).
        account = LoginAttempt.filter(
            username=username, at__gte=since, outcome__in=("pending", "failed"), id__lt=row.id
        )
        if last_ok is not None:
            account = account.filter(id__gt=last_ok)
        address = (
            await LoginAttempt.filter(
                ip=ip, at__gte=since, outcome__in=("pending", "failed"), id__lt=row.id
            ).count()
            if ip
            else 0
        )
        return _Attempt(row.id, await account.count(), address)


async def _checked(
    *,
    username: str,
    password: str,
    ip: str,
    limits: LoginLimits,
    action: str,
    actor: Actor | None = None,
) -> User:
    """One password check under the limits: locked accounts are refused before any check,
    busy addresses wait, unknown names cost the same Argon2 time as wrong passwords. Failures
    and refusals go to the audit log with the address (``<action>.failure`` / ``.locked``)."""
    attempt = await _register_attempt(username, ip, limits.window_seconds)
    label = actor.username if actor else (username or "?")
    if attempt.earlier_for_account >= limits.max_failures:
        async with transaction():
            # Not a failure of its own: refused attempts do not extend the lock-out.
            await LoginAttempt.filter(id=attempt.id).delete()
            await audit.record(
                actor=actor,
                actor_label=label,
                action=f"{action}.locked",
                object_type="user",
                after={"username": username},
                ip=ip,
            )
        raise RateLimited(
            _(
                "登录失败次数过多，请 %(minutes)d 分钟后再试。",
                minutes=max(1, limits.window_seconds // 60),
            )
        )
    delay = address_delay(attempt.earlier_for_address, limits.address_failures)
    if delay:
        await _sleep(delay)
    user = await User.get_or_none(username=username)
    usable = user.password_hash if user is not None and user.is_active else None
    if not await check_against_async(usable, password):
        async with transaction():
            await LoginAttempt.filter(id=attempt.id).update(outcome="failed")
            await audit.record(
                actor=actor,
                actor_label=label,
                action=f"{action}.failure",
                object_type="user",
                object_id=user.id if user else "",
                after={"username": username},
                ip=ip,
            )
        raise NotAuthenticated(_("用户名或密码不正确。"), field="password")
    assert user is not None
    await LoginAttempt.filter(id=attempt.id).update(outcome="ok")
    return user


async def authenticate(
    *,
    username: str,
    password: str,
    ip: str,
    max_failures: int,
    window_seconds: int,
    address_failures: int = 30,
    user_agent: str = "",
) -> User:
    """Check a login (docs/security.md "Login"). Attempts are counted per account and per
    address in the database, so the limits hold across processes, restarts and parallel
    requests. The success and every failure are in the audit log with the address."""
    username = username.strip()[:64]
    user = await _checked(
        username=username,
        password=password,
        ip=ip,
        limits=LoginLimits(max_failures, window_seconds, address_failures),
        action="login",
    )
    updates = ["last_login_at"]
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
        updates.append("password_hash")
    async with transaction():
        user.last_login_at = clock.now()
        await user.save(update_fields=updates)
        await audit.record(
            actor=await actor_for(user),
            action="login.success",
            object_type="user",
            object_id=user.id,
            after={"user_agent": user_agent[:255]},
            ip=ip,
        )
    return user


async def change_password(
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    keep_session_id: int | None,
    ip: str,
    limits: LoginLimits,
) -> int:
    """A user changes their own password: the current one is required (checked under the login
    limits, so a borrowed session cannot guess it), the new one must pass the password rules.
    Every other session of the user ends; returns how many."""
    user = await User.get(id=actor.user_id)
    check_new_password(new_password, user.username, field="new_password")
    if new_password == current_password:
        raise InvalidInput(_("新密码不能与当前密码相同。"), field="new_password")
    try:
        await _checked(
            username=user.username,
            password=current_password,
            ip=ip,
            limits=limits,
            action="password_change",
            actor=actor,
        )
    except NotAuthenticated:
        raise InvalidInput(_("当前密码不正确。"), field="current_password") from None
    new_hash = await hash_password_async(new_password)
    async with transaction():
        now = clock.now()
        await User.filter(id=user.id).update(password_hash=new_hash, password_changed_at=now)
        ended = await sessions.end_all(user.id, reason="password_changed", keep_id=keep_session_id)
        # A set-password link still open would undo the change: close it.
        await PasswordLink.filter(user_id=user.id, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        await audit.record(
            actor=actor,
            action="user.password_change",
            object_type="user",
            object_id=user.id,
            after={"sessions_ended": ended},
            ip=ip,
        )
    return ended


# --- API tokens --------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(*, user: User, name: str = "", days: int = DEFAULT_TOKEN_DAYS) -> str:
    """Return a new bearer token valid for ``days`` (one of TOKEN_LIFETIME_DAYS); only its
    SHA-256 is stored, so it is shown once, in the answer that created it."""
    if days not in TOKEN_LIFETIME_DAYS:
        raise InvalidInput(_("令牌有效期无效。"), field="days")
    token = "fp_" + secrets.token_urlsafe(32)
    async with transaction():
        row = await ApiToken.create(
            user=user,
            name=name,
            token_hash=_token_hash(token),
            prefix=token[:8],
            expires_at=clock.now() + timedelta(days=days),
        )
        await audit.record(
            actor=await actor_for(user),
            action="api_token.create",
            object_type="api_token",
            object_id=row.id,
            after={"name": name, "prefix": row.prefix, "expires_at": row.expires_at},
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


#: A token's last use is written at most this often: it answers "is this token still in use?"
#: on the account page, and writing it on every request made every API read a write.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


async def user_for_token(token: str) -> User | None:
    """The active user of a token that is neither revoked nor expired; records its use (to the
    minute: ``TOKEN_USE_RESOLUTION``)."""
    now = clock.now()
    row = await ApiToken.get_or_none(
        token_hash=_token_hash(token), revoked_at__isnull=True, expires_at__gt=now
    ).prefetch_related("user")
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        # Conditional, so concurrent requests of one token write it once.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_RESOLUTION)
        await ApiToken.filter(stale, id=row.id).update(last_used_at=now)
    return row.user


# --- creating and managing accounts ------------------------------------------------------


def _region_scope(region: Region) -> Scope:
    return Scope(
        region_code=region.code,
        county_code=region.county_code or region.code,
        province_code=region.province_code,
    )


def _refuse_role() -> PermissionDenied:
    return PermissionDenied(_("您只能创建和管理比自己层级低的角色的账号。"))


async def require_manage(actor: Actor | None, target: User) -> None:
    """An office manages (resets, deactivates, signs out) the accounts it could create: roles
    strictly below its own, in its scope; never its own. ``actor`` None is the operator."""
    if actor is None:
        return
    if target.id == actor.user_id or not may_create_role(actor.role, target.role):
        raise _refuse_role()
    region = await Region.get_or_none(code=target.region_id) if target.region_id else None
    require(actor, "user.manage", _region_scope(region) if region else None)


async def get_manageable(actor: Actor, user_id: int) -> User:
    user = await User.get_or_none(id=user_id).prefetch_related("region", "participant")
    if user is None:
        raise NotFound(_("账号不存在。"))
    await require_manage(actor, user)
    return user


async def manageable_users(
    actor: Actor, *, q: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[User], int]:
    """The accounts an office may manage, newest first."""
    require(actor, "user.manage")
    query = User.filter(role__in=CREATABLE_ROLES.get(actor.role, ()))
    if actor.role == "province_office":
        query = query.filter(region__province_code=actor.province_code)
    elif actor.role == "county_officer":
        query = query.filter(region__county_code=actor.county_code)
    if q:
        query = query.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    total = await query.count()
    rows = (
        await query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("region")
    )
    return rows, total


async def create_user(
    *,
    actor: Actor | None,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
    region_code: str | None = None,
    participant_id: int | None = None,
    ip: str = "",
) -> User:
    """Create an account. ``actor`` None is the operator (CLI, demo loader), who may set the
    password; an office never chooses one: its accounts have none until their person sets it
    through a set-password link (``links.create_account``). An office creates roles strictly
    below its own, in its scope; ``created_by`` records who created the account."""
    if actor is not None and password is not None:
        raise PermissionDenied(_("账号密码只能由本人通过设置密码链接设置。"))
    errors = []
    if not USERNAME_RE.match(username or ""):
        errors.append(("username", _("用户名须为 3–64 位字母、数字、下划线、点或连字符。")))
    if password is not None:
        try:
            check_new_password(password, username or "")
        except InvalidInput as exc:
            errors.append(("password", exc.message))
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
        if region.level not in ROLE_REGION_LEVEL[role]:
            raise InvalidInput(_("该角色的地区层级不符。"), field="region_code")
    participant = None
    if role == "participant_member":
        if participant_id is None:
            raise InvalidInput(_("参与方成员必须指定所属参与方。"), field="participant_id")
        participant = await Participant.get_or_none(id=participant_id)
        if participant is None:
            raise InvalidInput(_("参与方不存在。"), field="participant_id")
    if actor is not None:
        require(actor, "user.create", _region_scope(region) if region else None)
        if not may_create_role(actor.role, role):
            raise _refuse_role()
    if await User.exists(username=username):
        raise InvalidInput(_("用户名已被使用。"), field="username", code="duplicate")
    password_hash = await hash_password_async(password) if password is not None else ""
    async with transaction():
        user = await User.create(
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            password_changed_at=clock.now() if password is not None else None,
            role=role,
            region=region,
            participant=participant,
            created_by_id=actor.user_id if actor else None,
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
                "created_by_id": user.created_by_id,
                "password_set": password is not None,
            },
            ip=ip,
        )
    return user


async def set_active(*, actor: Actor | None, user_id: int, active: bool, ip: str = "") -> User:
    """Deactivate or reactivate an account (an office in scope, or the operator). Deactivation
    ends every session at once; the middleware refuses the account's API tokens while it is
    inactive (they work again after reactivation, unless revoked or expired)."""
    async with transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFound(_("账号不存在。"))
        await require_manage(actor, user)
        if user.is_active == active:
            return user
        user.is_active = active
        await user.save(update_fields=["is_active"])
        ended = 0 if active else await sessions.end_all(user.id, reason="deactivated")
        await audit.record(
            actor=actor,
            actor_label=None if actor else "cli",
            action="user.activate" if active else "user.deactivate",
            object_type="user",
            object_id=user.id,
            before={"is_active": not active},
            after={"is_active": active, "sessions_ended": ended},
            ip=ip,
        )
    return user


async def sign_out_everywhere(*, actor: Actor | None, user_id: int, ip: str = "") -> int:
    """End every session of an account (an office in scope, or the operator)."""
    async with transaction():
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise NotFound(_("账号不存在。"))
        await require_manage(actor, user)
        ended = await sessions.end_all(user.id, reason="signed_out")
        await audit.record(
            actor=actor,
            actor_label=None if actor else "cli",
            action="user.sign_out",
            object_type="user",
            object_id=user.id,
            after={"sessions_ended": ended},
            ip=ip,
        )
    return ended


async def purge_old_records() -> int:
    """The accounts sweep: login attempts, sessions and set-password links long past use."""
    now = clock.now()
    attempts = await LoginAttempt.filter(at__lt=now - timedelta(days=KEEP_ATTEMPTS_DAYS)).delete()
    links = await PasswordLink.filter(
        expires_at__lt=now - timedelta(days=sessions.KEEP_ENDED_DAYS)
    ).delete()
    return attempts + links + await sessions.purge_old()
