"""One-time, expiring set-password links (docs/security.md "Accounts").

An office never chooses or sees a password. An account it creates has none until its person
opens the link the office was shown once (and passed on), and sets one; an office "resets" a
password the same way, by issuing a new link. The operator gets links from `fupin users reset`.
Only the token's SHA-256 is stored; issuing a link closes the user's earlier open ones; using
it ends every session of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fupin.accounts.models import PasswordLink, User
from fupin.accounts.service import sessions
from fupin.accounts.service.passwords import check_new_password, hash_password_async
from fupin.accounts.service.users import create_user, require_manage
from fupin.core import audit, clock
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _

#: Where a link points, under the site's base address.
PATH = "/set-password/"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url_for(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + PATH + token


@dataclass(frozen=True)
class IssuedLink:
    user: User
    token: str
    purpose: str


async def issue(
    *, actor: Actor | None, user_id: int, lifetime_seconds: int, ip: str = ""
) -> IssuedLink:
    """A new link for an account the actor may manage (``actor`` None: the operator). To
    activate an account without a password yet, or to reset one; the user's earlier open
    links stop working. The token is returned once and never stored."""
    async with transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFound(_("账号不存在。"))
        await require_manage(actor, user)
        return await _issue(actor=actor, user=user, lifetime_seconds=lifetime_seconds, ip=ip)


async def _issue(*, actor: Actor | None, user: User, lifetime_seconds: int, ip: str) -> IssuedLink:
    now = clock.now()
    token = secrets.token_urlsafe(32)
    purpose = "reset" if user.has_password else "activate"
    await PasswordLink.filter(user_id=user.id, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    row = await PasswordLink.create(
        user=user,
        token_hash=_hash(token),
        purpose=purpose,
        created_by_id=actor.user_id if actor else None,
        expires_at=now + timedelta(seconds=lifetime_seconds),
    )
    await audit.record(
        actor=actor,
        actor_label=None if actor else "cli",
        action="user.password_link",
        object_type="user",
        object_id=user.id,
        after={"purpose": purpose, "link_id": row.id, "expires_at": row.expires_at},
        ip=ip,
    )
    return IssuedLink(user=user, token=token, purpose=purpose)


async def create_account(
    *,
    actor: Actor,
    username: str,
    role: str,
    display_name: str = "",
    region_code: str | None = None,
    participant_id: int | None = None,
    lifetime_seconds: int,
    ip: str = "",
) -> IssuedLink:
    """An office creates an account and gets its activation link, in one transaction: the
    person activates it by setting their own password."""
    async with transaction():
        user = await create_user(
            actor=actor,
            username=username,
            role=role,
            display_name=display_name,
            region_code=region_code,
            participant_id=participant_id,
            ip=ip,
        )
        return await _issue(actor=actor, user=user, lifetime_seconds=lifetime_seconds, ip=ip)


async def open_link(token: str) -> PasswordLink | None:
    """The link, with its user, while it can still be used; None otherwise."""
    if not token:
        return None
    return (
        await PasswordLink.filter(
            token_hash=_hash(token),
            used_at__isnull=True,
            expires_at__gt=clock.now(),
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )


def _gone() -> NotFound:
    return NotFound(_("设置密码链接无效、已使用或已过期，请联系为您开设账号的扶贫办重新发送。"))


async def set_password(*, token: str, password: str, confirm: str, ip: str = "") -> User:
    """Use a link: set the password (the password rules apply), end every session of the
    account, and close the link. Of two uses of one link, only the first succeeds."""
    link = await open_link(token)
    if link is None:
        raise _gone()
    user = link.user
    check_new_password(password, user.username)
    if password != confirm:
        raise InvalidInput(_("两次输入的密码不一致。"), field="confirm")
    new_hash = await hash_password_async(password)
    async with transaction():
        now = clock.now()
        used = await PasswordLink.filter(
            id=link.id, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not used:
            raise _gone()
        await User.filter(id=user.id).update(password_hash=new_hash, password_changed_at=now)
        ended = await sessions.end_all(user.id, reason="password_set")
        await audit.record(
            actor=None,
            actor_label=user.username,
            action="user.password_set",
            object_type="user",
            object_id=user.id,
            after={"purpose": link.purpose, "link_id": link.id, "sessions_ended": ended},
            ip=ip,
        )
    return user
