"""Server-side login sessions (docs/security.md "Sessions").

The signed session cookie carries, besides the CSRF token and flash messages, an opaque random
session id under ``COOKIE_KEY``; the database keeps only its SHA-256 (``UserSession``). The
acting user comes only from a live row: not ended, younger than its absolute lifetime, seen
within the idle timeout, its user active. Logout, a password change (the other sessions), a
password set through a link, deactivation and "sign out everywhere" end rows at once, so a
copied or replayed cookie stops working the moment its session ends.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from fupin.accounts.models import User, UserSession
from fupin.accounts.rules import SESSION_TOUCH_SECONDS
from fupin.core import audit, clock
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import NotFound
from fupin.i18n import _

#: The key of the session id in the signed cookie.
COOKIE_KEY = "sid"
#: How long ended or expired sessions are kept (the account pages list the live ones only).
KEEP_ENDED_DAYS = 90


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def start(*, user: User, ip: str, user_agent: str, max_age_seconds: int) -> str:
    """A new session for ``user``; returns the id for the cookie (never stored)."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    await UserSession.create(
        user=user,
        key_hash=key_hash(key),
        last_seen_at=now,
        expires_at=now + timedelta(seconds=max_age_seconds),
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    return key


def _live(idle_seconds: int) -> dict[str, object]:
    now = clock.now()
    return {
        "ended_at__isnull": True,
        "expires_at__gt": now,
        "last_seen_at__gt": now - timedelta(seconds=idle_seconds),
    }


async def resolve(key: str, *, idle_seconds: int) -> UserSession | None:
    """The live session with this cookie id, its user loaded and active; None otherwise. Marks
    the session seen (at most once a minute: SESSION_TOUCH_SECONDS)."""
    if not isinstance(key, str) or not key:
        return None
    row = (
        await UserSession.filter(
            key_hash=key_hash(key), user__is_active=True, **_live(idle_seconds)
        )
        .select_related("user")
        .first()
    )
    if row is None:
        return None
    now = clock.now()
    if (now - row.last_seen_at).total_seconds() >= SESSION_TOUCH_SECONDS:
        await UserSession.filter(id=row.id, last_seen_at=row.last_seen_at).update(last_seen_at=now)
        row.last_seen_at = now
    return row


async def active_for(user_id: int, *, idle_seconds: int) -> list[UserSession]:
    """A user's live sessions, newest first."""
    return await UserSession.filter(user_id=user_id, **_live(idle_seconds)).order_by("-id")


async def end_all(user_id: int, *, reason: str, keep_id: int | None = None) -> int:
    """End every open session of a user (but ``keep_id``); returns how many. Call inside the
    transaction of the change that ends them."""
    query = UserSession.filter(user_id=user_id, ended_at__isnull=True)
    if keep_id is not None:
        query = query.exclude(id=keep_id)
    return await query.update(ended_at=clock.now(), end_reason=reason)


async def end_current(session_id: int | None, *, reason: str = "logout") -> None:
    """Logout: end the request's own session."""
    if session_id is not None:
        await UserSession.filter(id=session_id, ended_at__isnull=True).update(
            ended_at=clock.now(), end_reason=reason
        )


async def end_own(*, actor: Actor, session_id: int, ip: str = "") -> None:
    """A user ends one of their own sessions (another browser, a lost phone)."""
    async with transaction():
        ended = await UserSession.filter(
            id=session_id, user_id=actor.user_id, ended_at__isnull=True
        ).update(ended_at=clock.now(), end_reason="ended")
        if not ended:
            raise NotFound(_("会话不存在或已结束。"))
        await audit.record(
            actor=actor,
            action="session.end",
            object_type="user_session",
            object_id=session_id,
            ip=ip,
        )


async def end_own_all(*, actor: Actor, keep_id: int | None, ip: str = "") -> int:
    """A user ends all their sessions (``keep_id`` None) or all but the current one."""
    async with transaction():
        count = await end_all(
            actor.user_id,
            reason="others_ended" if keep_id is not None else "all_ended",
            keep_id=keep_id,
        )
        await audit.record(
            actor=actor,
            action="session.end_all" if keep_id is None else "session.end_others",
            object_type="user",
            object_id=actor.user_id,
            after={"ended": count},
            ip=ip,
        )
    return count


async def purge_old() -> int:
    """Delete sessions that ended or expired more than KEEP_ENDED_DAYS ago (a sweep)."""
    before = clock.now() - timedelta(days=KEEP_ENDED_DAYS)
    ended = await UserSession.filter(ended_at__lt=before).delete()
    expired = await UserSession.filter(expires_at__lt=before).delete()
    return ended + expired
