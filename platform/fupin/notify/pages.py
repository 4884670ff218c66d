"""The signed-in user's notifications: the one inbox (filters by kind, unread first, read and
unread) and the preferences. Invitations are answered on /me/inbox, where their notifications
lead; progress updates live here only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import SIGNED_IN
from fupin.core.routing import page
from fupin.core.web import page_args, read_form, redirect, render, require_login
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.notify.rules import CHANNEL_CHOICES, CHANNEL_LABELS, FILTERS, KINDS
from fupin.notify.service import inbox as notifications


def _kind(raw: object) -> str | None:
    """A filter key of the inbox, or None (an unknown one shows everything)."""
    text = raw if isinstance(raw, str) else ""
    return text if text in FILTERS else None


def _here(kind: str | None, unread_only: bool) -> str:
    """The inbox address of a filter, where a form on it sends the reader back."""
    params = {"kind": kind} if kind else {}
    if unread_only:
        params["unread"] = "1"
    query = urlencode(params)
    return "/me/notifications" + (f"?{query}" if query else "")


async def inbox(request: Request) -> Response:
    current = require_login(request)
    page_number, per_page = page_args(request)
    unread_only = request.query_params.get("unread") == "1"
    kind = _kind(request.query_params.get("kind"))
    listing = await notifications.inbox(
        current, page=page_number, per_page=per_page, unread_only=unread_only, kind=kind
    )
    context: dict[str, Any] = {
        "listing": listing,
        "unread_only": unread_only,
        "kind": kind,
        "here": _here(kind, unread_only),
    }
    # What the areas above notify add under a filter (the needs a donor follows, under
    # progress), composed by the app (fupin.app), so that notify imports none of them.
    for panel in request.app.state.notification_panels:
        context.update(await panel(current, kind))
    return render(request, "notify/inbox.html", context)


async def mark_read(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    await notifications.mark_read(current, request.path_params["notification_id"])
    return redirect(request, _here(_kind(form.get("kind")), form.get("unread") == "1"))


async def mark_all_read(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    kind = _kind(form.get("kind"))
    n = await notifications.mark_all_read(current, kind=kind)
    return redirect(request, _here(kind, False), flash=_("已将 %(n)d 条通知标为已读。", n=n))


def _settings_page(
    request: Request,
    prefs: notifications.Preferences,
    *,
    error: InvalidInput | None = None,
) -> Response:
    context: dict[str, Any] = {
        "prefs": prefs,
        "kinds": KINDS,
        "choices": [(c, CHANNEL_LABELS[c]) for c in CHANNEL_CHOICES],
        "smtp": request.app.state.settings.smtp_enabled,
        "error": error,
        "field_errors": {error.field: str(error.message)} if error else {},
    }
    return render(
        request, "notify/settings.html", context, status_code=error.status if error else 200
    )


async def settings_page(request: Request) -> Response:
    current = require_login(request)
    return _settings_page(request, await notifications.preferences(current))


async def save_settings(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    email = str(form.get("email", ""))
    digest = form.get("daily_digest") == "1"
    # a kind the form did not send keeps its default
    channels = {kind: str(form[f"channel_{kind}"]) for kind in KINDS if f"channel_{kind}" in form}
    try:
        await notifications.save_preferences(
            current, email=email, daily_digest=digest, channels=channels
        )
    except InvalidInput as exc:
        typed = notifications.Preferences(
            email=email,
            daily_digest=digest,
            channels={
                k: channels[k] if channels.get(k) in CHANNEL_CHOICES else KINDS[k].default
                for k in KINDS
            },
            fallback_email=(await notifications.preferences(current)).fallback_email,
        )
        return _settings_page(request, typed, error=exc)
    return redirect(request, "/me/notifications/settings", flash=_("通知设置已保存。"))


routes = [
    page("/me/notifications", inbox, name="notifications", action=SIGNED_IN),
    page(
        "/me/notifications/read-all",
        mark_all_read,
        methods=["POST"],
        name="notifications_read_all",
        action=SIGNED_IN,
    ),
    page(
        "/me/notifications/{notification_id:id}/read",
        mark_read,
        methods=["POST"],
        name="notification_read",
        action=SIGNED_IN,
    ),
    page(
        "/me/notifications/settings",
        settings_page,
        methods=["GET"],
        name="notification_settings",
        action=SIGNED_IN,
    ),
    page(
        "/me/notifications/settings",
        save_settings,
        methods=["POST"],
        name="notification_settings_post",
        action=SIGNED_IN,
    ),
]
