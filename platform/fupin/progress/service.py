"""Posting progress updates, reading a need's progress, following a need and the needs a donor
follows or supports (docs/domain.md §3.13).

An update is posted by the county's officers or the village's workers of the need (policy
``need.post_update`` in the need's scope), audited, and in the same transaction notified
(``need_progress``, the one inbox of ``fupin.notify``) to every member of every participant that
pledged to the need (a pledge not withdrawn), gave to it or follows it. Photos are checked and stored like need attachments (by content, under their hash) before
the transaction, so a refused photo records nothing.

The need page tells the story in one list: the updates, and the delivery steps the need's own
lifecycle already recorded (started, delivered, receipt confirmed, closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fupin.core import audit
from fupin.core.policy import Actor, Scope, require
from fupin.db import transaction
from fupin.errors import FieldError, InvalidInput, InvalidTransition, NotAuthenticated, NotFound
from fupin.i18n import _
from fupin.money.models import Donation, Pledge
from fupin.needs.models import Need, NeedEvent
from fupin.needs.rules import ACTION_LABELS, ROLE_LABELS, STATE_LABELS
from fupin.needs.service.attachments import CheckedFile, check_file, path_for, store
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope
from fupin.notify.service.inbox import notify_participant
from fupin.progress.models import NeedFollow, NeedUpdate, NeedUpdatePhoto
from fupin.progress.rules import (
    DELIVERY_EVENTS,
    PHOTOS_MAX,
    PROGRESS_KIND,
    TEXT_MAX,
    UPDATE_KINDS,
    UPDATE_STATES,
)

#: How much of an update's text a notification carries (the need page has the rest).
SUMMARY_CHARS = 80


def kind_label(kind: str) -> str:
    return _(UPDATE_KINDS.get(kind, kind))


def author_label(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


def progress_link(need_id: int) -> str:
    """Where an update's notification leads: the need page's progress section."""
    return f"/needs/{need_id}#progress"


def dedupe_key(update_id: int) -> str:
    """One notification per update and user, however often the sending is retried."""
    return f"need_update:{update_id}"


def photo_url(need_id: int, update_id: int, photo_id: int) -> str:
    return f"/needs/{need_id}/updates/{update_id}/photos/{photo_id}"


# --- posting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoUpload:
    data: bytes
    filename: str


def _check_photos(photos: Sequence[PhotoUpload], max_bytes: int) -> list[CheckedFile]:
    """Every photo checked on content (need attachments' rules); only images are photos."""
    errors: list[FieldError] = []
    checked: list[CheckedFile] = []
    if len(photos) > PHOTOS_MAX:
        errors.append(
            FieldError("photos", _("每条进展最多 %(n)d 张照片。", n=PHOTOS_MAX), "too_many")
        )
    for photo in photos[:PHOTOS_MAX]:
        try:
            found = check_file(photo.data, photo.filename, max_bytes=max_bytes, field="photos")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        if not found.content_type.startswith("image/"):
            errors.append(
                FieldError("photos", _("照片只接受 JPG、PNG、WebP 图片。"), "unsupported_type")
            )
            continue
        checked.append(found)
    if errors:
        raise InvalidInput(errors=errors)
    return checked


async def audience(need_id: int) -> set[int]:
    """The participants an update of the need reaches: its pledgers (a pledge not withdrawn),
    its donors and its followers."""
    pledgers = await (
        Pledge.filter(need_id=need_id)
        .exclude(state="withdrawn")
        .values_list("participant_id", flat=True)
    )
    donors = await Donation.filter(
        need_id=need_id, state__in=["recorded", "confirmed"]
    ).values_list("donor_id", flat=True)
    followers = await NeedFollow.filter(need_id=need_id).values_list("participant_id", flat=True)
    return _ids(pledgers, donors, followers)


def _ids(*columns: Any) -> set[int]:
    """The ids of ``values_list(..., flat=True)`` columns, without the empty ones."""
    return {int(value) for column in columns for value in column if value is not None}


async def post_update(
    actor: Actor | None,
    need_id: int,
    *,
    kind: str,
    text: str,
    photos: Sequence[PhotoUpload] = (),
    attachments_dir: Path,
    max_bytes: int,
) -> NeedUpdate:
    """Post an update on the need and put it in its audience's inboxes (see the module doc)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    need = await get_need(actor, need_id, details=False)
    require(actor, "need.post_update", need_scope(need))
    text = (text or "").strip()
    errors: list[FieldError] = []
    if kind not in UPDATE_KINDS:
        errors.append(FieldError("kind", _("请选择进展类型。"), "invalid_choice"))
    if not text:
        errors.append(FieldError("text", _("请填写进展说明。"), "required"))
    elif len(text) > TEXT_MAX:
        errors.append(FieldError("text", _("进展说明不超过 %(n)d 字。", n=TEXT_MAX), "too_long"))
    try:
        checked = _check_photos(photos, max_bytes)
    except InvalidInput as exc:
        errors.extend(exc.errors)
        checked = []
    if errors:
        raise InvalidInput(errors=errors)
    if need.state not in UPDATE_STATES:
        raise InvalidTransition(
            _("需求当前状态为“%(s)s”，不能发布进展。", s=_(STATE_LABELS[need.state])),
            state=need.state,
            action="post_update",
        )
    for photo, found in zip(photos, checked, strict=False):
        store(attachments_dir, photo.data, found.sha256)
    async with transaction():
        update = await NeedUpdate.create(
            need_id=need.id, kind=kind, text=text, author_id=actor.user_id, author_role=actor.role
        )
        for found in checked:
            await NeedUpdatePhoto.create(
                update_id=update.id,
                sha256=found.sha256,
                content_type=found.content_type,
                size=found.size,
                original_name=found.original_name,
            )
        reached = sorted(await audience(need.id))
        # The one place a participant hears of it: each member's notifications (in-app, and
        # e-mail as each has chosen), committed with the update.
        summary = f"{_(UPDATE_KINDS[kind])}：{text[:SUMMARY_CHARS]}"
        for participant_id in reached:
            await notify_participant(
                participant_id,
                PROGRESS_KIND,
                params={
                    "need_title": need.title,
                    "summary": summary,
                    "need_id": need.id,
                    "update_id": update.id,
                    "update_kind": kind,
                },
                link=progress_link(need.id),
                dedupe_key=dedupe_key(update.id),
            )
        await audit.record(
            actor=actor,
            action="need.post_update",
            object_type="need",
            object_id=need.id,
            after={
                "update_id": update.id,
                "kind": kind,
                "text": text,
                "photos": [f.sha256 for f in checked],
                "notified": len(reached),
            },
        )
    return update


# --- reading ----------------------------------------------------------------------------------


@dataclass
class UpdateView:
    """One update as every reader sees it (who reported is a role, never a person)."""

    id: int
    need_id: int
    kind: str
    kind_label: str
    text: str
    author: str
    created_at: datetime
    photo_urls: list[str] = field(default_factory=list)


@dataclass
class ProgressItem:
    """One step of a need's progress: an update, or a delivery step of the need's lifecycle."""

    at: datetime
    kind: str
    kind_label: str
    title: str
    text: str
    author: str
    update: UpdateView | None = None


def _view(update: NeedUpdate) -> UpdateView:
    return UpdateView(
        id=update.id,
        need_id=update.need_id,
        kind=update.kind,
        kind_label=kind_label(update.kind),
        text=update.text,
        author=author_label(update.author_role),
        created_at=update.created_at,
        photo_urls=[photo_url(update.need_id, update.id, p.id) for p in update.photos],
    )


async def need_updates(actor: Actor | None, need_id: int) -> list[UpdateView]:
    """The need's updates, oldest first, for whoever may see the need."""
    need = await get_need(actor, need_id, details=False)
    rows = await NeedUpdate.filter(need_id=need.id).order_by("id").prefetch_related("photos")
    return [_view(u) for u in rows]


async def progress(need: Need) -> list[ProgressItem]:
    """The need page's progress list: updates and recorded delivery steps, in time order."""
    items = []
    for update in await NeedUpdate.filter(need_id=need.id).prefetch_related("photos"):
        view = _view(update)
        items.append(
            ProgressItem(
                update.created_at,
                view.kind,
                view.kind_label,
                view.kind_label,
                view.text,
                view.author,
                view,
            )  # fmt: skip
        )
    events = await NeedEvent.filter(need_id=need.id, action__in=list(DELIVERY_EVENTS))
    for event in events:
        kind = DELIVERY_EVENTS[event.action]
        items.append(
            ProgressItem(
                event.at,
                kind,
                kind_label(kind),
                _(ACTION_LABELS.get(event.action, event.action)),
                event.reason,
                author_label(event.actor_role or "system"),
            )
        )
    items.sort(key=lambda item: item.at)
    return items


async def open_photo(
    actor: Actor | None, need_id: int, update_id: int, photo_id: int, *, attachments_dir: Path
) -> tuple[NeedUpdatePhoto, Path]:
    """A photo of an update of a need the reader may see."""
    need = await get_need(actor, need_id, details=False)
    photo = await NeedUpdatePhoto.get_or_none(
        id=photo_id, update_id=update_id, update__need_id=need.id
    )
    if photo is None:
        raise NotFound(_("照片不存在。"), field="photo_id")
    path = path_for(attachments_dir, photo.sha256)
    if not path.is_file():
        raise NotFound(_("照片文件缺失。"), field="photo_id")
    return photo, path


def photo_headers(photo: NeedUpdatePhoto) -> dict[str, str]:
    """Served as need attachments are: the stored type, no sniffing, nothing may run."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="update-photo-{photo.id}"',
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, max-age=3600",
    }


# --- following --------------------------------------------------------------------------------


def _member(actor: Actor | None, action: str) -> int:
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    require(actor, action, Scope(participant_id=actor.participant_id))
    assert actor.participant_id is not None  # the policy lets in members of a participant only
    return actor.participant_id


async def is_following(actor: Actor | None, need_id: int) -> bool:
    if actor is None or actor.participant_id is None:
        return False
    return await NeedFollow.exists(need_id=need_id, participant_id=actor.participant_id)


async def follow(actor: Actor | None, need_id: int) -> bool:
    """Follow a public need (idempotent); True."""
    participant_id = _member(actor, "need.follow")
    need = await get_need(actor, need_id, details=False)
    async with transaction():
        _row, created = await NeedFollow.get_or_create(
            need_id=need.id, participant_id=participant_id
        )
        if created:
            await audit.record(
                actor=actor, action="need.follow", object_type="need", object_id=need.id
            )
    return True


async def unfollow(actor: Actor | None, need_id: int) -> bool:
    """Stop following (idempotent); False. Updates already in the inbox stay there."""
    participant_id = _member(actor, "need.follow")
    need = await get_need(actor, need_id, details=False)
    async with transaction():
        gone = await NeedFollow.filter(need_id=need.id, participant_id=participant_id).delete()
        if gone:
            await audit.record(
                actor=actor, action="need.unfollow", object_type="need", object_id=need.id
            )
    return False


# --- the needs a donor follows or supports -----------------------------------------------------


@dataclass
class FollowedNeed:
    need: Need
    following: bool
    latest: UpdateView | None


async def my_needs(actor: Actor | None, *, limit: int = 50) -> list[FollowedNeed]:
    """The needs the participant follows or supports (pledged to, gave to), the newest ``limit``,
    with their latest update: the donor's view of what became of its money."""
    participant_id = _member(actor, "inbox.view")
    followed = _ids(
        await NeedFollow.filter(participant_id=participant_id).values_list("need_id", flat=True)
    )
    pledged = await (
        Pledge.filter(participant_id=participant_id)
        .exclude(state="withdrawn")
        .values_list("need_id", flat=True)
    )
    given = await Donation.filter(
        donor_id=participant_id, state__in=["recorded", "confirmed"]
    ).values_list("need_id", flat=True)
    ids = followed | _ids(pledged, given)
    needs = await Need.filter(id__in=list(ids)).order_by("-id").limit(limit)
    shown = [n.id for n in needs]
    latest: dict[int, NeedUpdate] = {}
    updates = NeedUpdate.filter(need_id__in=shown).order_by("id").prefetch_related("photos")
    for update in await updates:
        latest[update.need_id] = update
    return [
        FollowedNeed(
            need=n,
            following=n.id in followed,
            latest=_view(latest[n.id]) if n.id in latest else None,
        )
        for n in needs
    ]
