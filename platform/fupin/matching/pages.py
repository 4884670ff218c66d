"""Matching pages (docs/domain.md §3.11): the donor's "needs for you" with reasons in plain
words, "not for us", the donor's invitation inbox, and a need's likely donors with invite
buttons for its county officers and the offices.

Handlers parse (the forms through the API's schemas, ``fupin.matching.schemas``), call one
domain function, render. Every POST has passed the CSRF check
(fupin/middleware/csrf.py) before its handler runs.
The donor's pages have no parameter naming a participant: they always show the logged-in
member's own participant.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.service.participants import kind_label
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import actor, page_args, read_form, redirect, render, require_login
from fupin.errors import FupinError
from fupin.i18n import _
from fupin.matching.models import office_label
from fupin.matching.schemas import (
    MESSAGE_MAX,
    InvitationAnswer,
    InvitationForm,
    NotForUsCreate,
    RecommendationFilterQuery,
)
from fupin.matching.service import invitations, marks, recommendations
from fupin.matching.service import likely_donors as likely


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _safe_next(raw: str, default: str) -> str:
    """Only our own recommendation/inbox pages as redirect targets (no open redirect)."""
    if raw.startswith(("/me/recommendations", "/me/inbox")) and "//" not in raw:
        return raw
    return default


# --- needs for you -----------------------------------------------------------------------------


async def needs_for_you(request: Request) -> Response:
    current = require_login(request)
    query = validate_form(RecommendationFilterQuery, request.query_params)
    category, province = query.category, query.province
    result = await recommendations.my_recommendations(current, category=category, province=province)
    query = urlencode({k: v for k, v in (("category", category), ("province", province)) if v})
    return render(
        request,
        "matching/recommendations.html",
        {
            "result": result,
            "category": category or "",
            "province": province or "",
            "provinces": await recommendations.province_choices(),
            "marks": await marks.my_marks(current, limit=20),
            "unread": await invitations.unread_count(current),
            "here": "/me/recommendations" + (f"?{query}" if query else ""),
        },
    )


async def not_for_us(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    need_id = request.path_params["need_id"]
    posted = validate_form(NotForUsCreate, form)
    await marks.mark_not_for_us(current, need_id, reason=posted.reason)
    return redirect(
        request,
        _safe_next(_text(form, "next"), "/me/recommendations"),
        flash=_("已从推荐中移除；同一县的同类需求将排在后面。"),
    )


async def undo_not_for_us(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    need_id = request.path_params["need_id"]
    await marks.undo_not_for_us(current, need_id)
    return redirect(
        request,
        _safe_next(_text(form, "next"), "/me/recommendations"),
        flash=_("已撤销“不适合我们”标记。"),
    )


# --- the donor's inbox -------------------------------------------------------------------------


async def inbox(request: Request) -> Response:
    current = require_login(request)
    page, per_page = page_args(request)
    unread_only = request.query_params.get("unread") == "1"
    listing = await invitations.inbox(
        current, page=page, per_page=per_page, unread_only=unread_only
    )
    return render(
        request,
        "matching/inbox.html",
        {
            "listing": listing,
            "unread_only": unread_only,
            "office_label": office_label,
            "response_labels": invitations.RESPONSE_LABELS,
        },
    )


async def inbox_read(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    await invitations.mark_read(current, request.path_params["invitation_id"])
    return redirect(request, _safe_next(_text(form, "next"), "/me/inbox"))


async def inbox_respond(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    response = validate_form(InvitationAnswer, form).response
    await invitations.respond(current, request.path_params["invitation_id"], response)
    flash = (
        _("已回复：不适合我们。该需求不会再推荐给您。")
        if response == "declined"
        else _("已回复：有意向。可以在需求页面认捐。")
    )
    return redirect(request, _safe_next(_text(form, "next"), "/me/inbox"), flash=flash)


# --- a need's likely donors --------------------------------------------------------------------

#: The invite form's fields (a blank form shows them empty).
INVITE_FIELDS = tuple(InvitationForm.model_fields)


async def _likely_page(
    request: Request,
    need_id: int,
    *,
    error: FupinError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    current = actor(request)
    result = await likely.likely_donors(current, need_id)
    sent = await invitations.invitations_for_need(current, need_id)
    return render(
        request,
        "matching/likely_donors.html",
        {
            "result": result,
            "sent": sent,
            "error": error,
            "values": values or dict.fromkeys(INVITE_FIELDS, ""),
            "kind_label": kind_label,
            "weekly_limit": invitations.WEEKLY_LIMIT,
            "window_days": invitations.WINDOW_DAYS,
            "message_max": MESSAGE_MAX,
            "office_label": office_label,
            "response_labels": invitations.RESPONSE_LABELS,
        },
        status_code=error.status if error else 200,
    )


async def likely_donors(request: Request) -> Response:
    require_login(request)
    return await _likely_page(request, request.path_params["need_id"])


async def invite(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    need_id = request.path_params["need_id"]
    values = {k: _text(form, k) for k in INVITE_FIELDS}
    try:
        posted = validate_form(InvitationForm, form)
        invitation = await invitations.send_invitation(
            current, need_id=need_id, participant_id=posted.participant_id, message=posted.message
        )
    except FupinError as exc:
        if exc.status in (401, 403, 404):
            raise  # not theirs to see: the site's error page, as for any other page
        return await _likely_page(request, need_id, error=exc, values=values)
    participant = await invitations.participant_name(invitation.participant_id)
    return redirect(
        request,
        f"/needs/{need_id}/likely-donors",
        flash=_("已向 %(name)s 发送邀请。", name=participant),
    )


routes = [
    page(
        "/me/recommendations",
        needs_for_you,
        methods=["GET"],
        name="recommendations",
        action="recommendations.view",
    ),
    page(
        "/me/recommendations/{need_id:id}/not-for-us",
        not_for_us,
        methods=["POST"],
        name="recommendation_not_for_us",
        action="recommendations.view",
    ),
    page(
        "/me/recommendations/{need_id:id}/undo",
        undo_not_for_us,
        methods=["POST"],
        name="recommendation_undo",
        action="recommendations.view",
    ),
    page("/me/inbox", inbox, methods=["GET"], name="invitation_inbox", action="inbox.view"),
    page(
        "/me/inbox/{invitation_id:id}/read",
        inbox_read,
        methods=["POST"],
        name="invitation_read",
        action="inbox.view",
    ),
    page(
        "/me/inbox/{invitation_id:id}/respond",
        inbox_respond,
        methods=["POST"],
        name="invitation_respond",
        action="inbox.view",
    ),
    page(
        "/needs/{need_id:id}/likely-donors",
        likely_donors,
        methods=["GET"],
        name="likely_donors",
        action="likely_donors.view",
    ),
    page(
        "/needs/{need_id:id}/invitations",
        invite,
        methods=["POST"],
        name="invitation_send",
        action="invitation.send",
    ),
]
