"""Making notifications, the user's inbox and their preferences.

``notify`` and ``notify_participant`` are what other areas call, inside the transaction of
the change the notice is about: the in-app row and, when the user wants e-mail and has an
address, the outbox row commit with the change or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, RawSQL, When
from tortoise.functions import Count

from fupin.accounts.models import Participant, User
from fupin.core import clock
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _, gettext
from fupin.notify.models import Notification, NotificationDelivery, NotificationPreference
from fupin.notify.rules import (
    CHANNEL_CHOICES,
    FILTERS,
    KINDS,
    channel_for,
    filter_kinds,
    filter_of,
    looks_like_email,
    next_digest_at,
    render,
)


async def _preferences(user_ids: list[int]) -> dict[int, NotificationPreference]:
    rows = await NotificationPreference.filter(user_id__in=user_ids)
    return {row.user_id: row for row in rows}


async def _fallback_addresses(user_ids: list[int]) -> dict[int, str]:
    """A participant member who gave no address of their own gets the participant's contact
    address (the one the participant registered with)."""
    users = await User.filter(id__in=user_ids, participant_id__isnull=False).values_list(
        "id", "participant_id"
    )
    participants = dict(
        await Participant.filter(id__in=[p for _, p in users]).values_list("id", "contact_email")
    )
    return {uid: str(participants.get(pid) or "") for uid, pid in users}


async def notify(
    kind: str,
    *,
    user_ids: Iterable[int],
    params: Mapping[str, object] | None = None,
    link: str = "",
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Tell these users about an event of ``kind`` (``notify.rules.KINDS``, whose templates
    name the ``params``). Each user's preference decides: nothing, the in-app notice, or the
    notice and an e-mail (now, or in the next daily digest). With ``dedupe_key``, a user who
    already has a notification with that key gets no second one (a sweep run twice).
    Returns the notifications made."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return []
    now = now or clock.now()
    active = set(await User.filter(id__in=ids, is_active=True).values_list("id", flat=True))
    prefs = await _preferences(ids)
    fallback = await _fallback_addresses(ids)
    made: list[Notification] = []
    for user_id in ids:
        if user_id not in active:
            continue
        pref = prefs.get(user_id)
        channel = channel_for(kind, pref.channels if pref else {})
        if channel == "off":
            continue
        if dedupe_key and await Notification.exists(user_id=user_id, dedupe_key=dedupe_key):
            continue
        try:
            # a savepoint: on PostgreSQL a failed insert would otherwise abort the caller's
            # whole transaction
            async with transaction():
                notification = await Notification.create(
                    user_id=user_id,
                    kind=kind,
                    params=dict(params or {}),
                    link=link,
                    dedupe_key=dedupe_key,
                )
        except IntegrityError:  # another process made it first
            continue
        made.append(notification)
        address = (pref.email if pref and pref.email else fallback.get(user_id, "")).strip()
        if channel == "email" and looks_like_email(address):
            digest = bool(pref and pref.daily_digest)
            await NotificationDelivery.create(
                notification_id=notification.id,
                user_id=user_id,
                channel="digest" if digest else "email",
                address=address,
                due_at=next_digest_at(now) if digest else now,
            )
    return made


async def participant_members(participant_id: int) -> list[int]:
    users = await User.filter(participant_id=participant_id, is_active=True).order_by("id")
    return [u.id for u in users]


async def notify_participant(
    participant_id: int,
    kind: str,
    *,
    params: Mapping[str, object] | None = None,
    link: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """``notify`` every active member of the participant (an enterprise's staff, an
    individual's own account)."""
    return await notify(
        kind,
        user_ids=await participant_members(participant_id),
        params=params,
        link=link,
        dedupe_key=dedupe_key,
    )


# --- the inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read: bool
    read_at: datetime | None
    params: dict[str, Any]


@dataclass(frozen=True)
class InboxFilter:
    """One filter of the inbox with what it holds for this user."""

    key: str
    label: str
    total: int
    unread: int


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    unread: int
    page: int
    per_page: int
    #: The filter shown (None: everything).
    kind: str | None = None
    filters: list[InboxFilter] = field(default_factory=list)


def _item(row: Notification) -> InboxItem:
    title, body = render(row.kind, row.params or {}, gettext)
    return InboxItem(
        row.id,
        row.kind,
        title,
        body,
        row.link,
        row.created_at,
        row.read_at is not None,
        row.read_at,
        dict(row.params or {}),
    )


async def _filters(user_id: int) -> list[InboxFilter]:
    """Every filter with its counts, from two grouped queries over the user's notifications."""
    mine = Notification.filter(user_id=user_id)
    totals: dict[str, list[int]] = {key: [0, 0] for key in FILTERS}
    for column, query in ((0, mine), (1, mine.filter(read_at=None))):
        rows = await query.annotate(n=Count("id")).group_by("kind").values("kind", "n")
        for row in rows:
            totals[filter_of(str(row["kind"]))][column] += int(row["n"] or 0)
    return [
        InboxFilter(key, gettext(label), *totals[key]) for key, (label, _kinds) in FILTERS.items()
    ]


async def inbox(
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = 20,
    unread_only: bool = False,
    kind: str | None = None,
) -> InboxPage:
    """The user's notifications, unread first and newest first within each, of one filter
    (``notify.rules.FILTERS``) or all; with every filter's counts for the filter links."""
    query = Notification.filter(user_id=actor.user_id)
    kinds = filter_kinds(kind)
    if kinds is not None:
        query = query.filter(kind__in=list(kinds))
    if unread_only:
        query = query.filter(read_at=None)
    rows = await (
        query.annotate(
            unread_first=Case(
                When(read_at__isnull=True, then=cast(Any, RawSQL("0"))),
                default=cast(Any, RawSQL("1")),
            )
        )
        .order_by("unread_first", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return InboxPage(
        items=[_item(r) for r in rows],
        total=await query.count(),
        unread=await unread_count(actor),
        page=page,
        per_page=per_page,
        kind=kind if kinds is not None else None,
        filters=await _filters(actor.user_id),
    )


async def unread_count(actor: Actor) -> int:
    return await unread_for_user(actor.user_id)


async def unread_for_user(user_id: int) -> int:
    """The count the navigation shows beside the inbox."""
    return await Notification.filter(user_id=user_id, read_at=None).count()


async def mark_read(actor: Actor, notification_id: int) -> int:
    """Someone else's notification is "not found"; how many were unread (0 or 1)."""
    changed = await Notification.filter(
        id=notification_id, user_id=actor.user_id, read_at=None
    ).update(read_at=clock.now())
    if not changed and not await Notification.exists(id=notification_id, user_id=actor.user_id):
        raise NotFound(_("通知不存在。"), field="notification_id")
    return int(changed)


async def mark_all_read(actor: Actor, *, kind: str | None = None) -> int:
    """Every unread notification of the user read, or those of one filter; how many."""
    query = Notification.filter(user_id=actor.user_id, read_at=None)
    kinds = filter_kinds(kind)
    if kinds is not None:
        query = query.filter(kind__in=list(kinds))
    return await query.update(read_at=clock.now())


# --- preferences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    email: str
    daily_digest: bool
    channels: dict[str, str]
    #: The address e-mail goes to when ``email`` is empty (the participant's contact address).
    fallback_email: str


async def preferences(actor: Actor) -> Preferences:
    pref = await NotificationPreference.get_or_none(user_id=actor.user_id)
    chosen = pref.channels if pref else {}
    fallback = (await _fallback_addresses([actor.user_id])).get(actor.user_id, "")
    return Preferences(
        email=pref.email if pref else "",
        daily_digest=bool(pref and pref.daily_digest),
        channels={kind: channel_for(kind, chosen) for kind in KINDS},
        fallback_email=fallback,
    )


async def save_preferences(
    actor: Actor, *, email: str, daily_digest: bool, channels: Mapping[str, str]
) -> Preferences:
    email = email.strip()
    if email and not looks_like_email(email):
        raise InvalidInput(_("邮箱地址格式不正确。"), field="email", code="bad_format")
    chosen: dict[str, str] = {}
    for kind in KINDS:
        value = channels.get(kind, KINDS[kind].default)
        if value not in CHANNEL_CHOICES:
            raise InvalidInput(_("通知方式无效。"), field=f"channel_{kind}", code="invalid_choice")
        chosen[kind] = value
    async with transaction():
        pref, _created = await NotificationPreference.get_or_create(user_id=actor.user_id)
        pref.email = email
        pref.daily_digest = daily_digest
        pref.channels = chosen
        await pref.save()
    return await preferences(actor)
