"""The signed-in user's account pages: who they act for, their login sessions (end any or all),
their password, and their API tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.models import ApiToken, User
from fupin.accounts.rules import (
    DEFAULT_TOKEN_DAYS,
    TOKEN_LIFETIME_DAYS,
    LoginLimits,
    browser_label,
)
from fupin.accounts.service import participants, sessions
from fupin.accounts.service import users as accounts
from fupin.core.policy import SIGNED_IN, Actor
from fupin.core.routing import page
from fupin.core.web import client_ip, read_form, redirect, render, require_login
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import N_, _

#: The lifetimes offered for a new token (TOKEN_LIFETIME_DAYS), as the form shows them.
TOKEN_LIFETIME_LABELS = {30: N_("30 天"), 90: N_("90 天"), 365: N_("1 年")}


def _session_id(request: Request) -> int | None:
    return getattr(request.state, "session_id", None)


async def _account_page(
    request: Request,
    current: Actor,
    *,
    new_token: str | None = None,
    status_code: int = 200,
    token_form: dict[str, str] | None = None,
    token_error: InvalidInput | None = None,
) -> Response:
    settings = request.app.state.settings
    user = await User.get(id=current.user_id).prefetch_related("region", "participant")
    tokens = await ApiToken.filter(user_id=user.id).order_by("-id")
    live = await sessions.active_for(user.id, idle_seconds=settings.session_idle_seconds)
    context: dict[str, Any] = {
        "account": user,
        "tokens": tokens,
        "new_token": new_token,
        "sessions": live,
        "current_session_id": _session_id(request),
        "browser_label": browser_label,
        "lifetimes": [(d, TOKEN_LIFETIME_LABELS[d]) for d in TOKEN_LIFETIME_DAYS],
        "default_days": DEFAULT_TOKEN_DAYS,
        # A refused token form comes back with what was chosen and the message by its field.
        "token_form": token_form or {"name": "", "days": str(DEFAULT_TOKEN_DAYS)},
        "token_error": token_error,
    }
    return render(request, "accounts/account.html", context, status_code=status_code)


async def account(request: Request) -> Response:
    return await _account_page(request, require_login(request))


async def commendation_consent(request: Request) -> Response:
    """The participant's own consent to commendation (docs/rules.md §5.4), on the account page
    of each of its members."""
    current = require_login(request)
    form = await read_form(request)
    if current.participant_id is None:
        raise InvalidInput(_("只有参与方的成员可以设置此项。"), field="consent")
    consent = str(form.get("consent", "")) == "yes"
    await participants.set_commendation_consent(
        actor=current,
        participant_id=current.participant_id,
        consent=consent,
        ip=client_ip(request),
        via="settings",
    )
    flash = _("已同意被推荐和公示。") if consent else _("已撤回被推荐和公示的同意。")
    return redirect(request, "/account", flash=flash)


async def create_token(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    user = await User.get(id=current.user_id)
    name = str(form.get("name", ""))[:64] or "api"
    try:
        days = int(str(form.get("days", DEFAULT_TOKEN_DAYS)))
    except ValueError:
        days = 0
    if days not in TOKEN_LIFETIME_DAYS:
        return await _account_page(
            request,
            current,
            status_code=422,
            token_form={"name": name, "days": str(form.get("days", ""))},
            token_error=InvalidInput(_("请选择列出的有效期。"), field="days"),
        )
    token = await accounts.create_api_token(user=user, name=name, days=days)
    # Shown once, in this answer only: never put in the session cookie (a copy of the cookie
    # would show it again) and never stored (only its hash is).
    return await _account_page(request, current, new_token=token)


async def revoke_token(request: Request) -> Response:
    current = require_login(request)
    await read_form(request)
    token = await ApiToken.get_or_none(
        id=int(request.path_params["token_id"]), user_id=current.user_id
    )
    if token is None:
        raise NotFound(_("令牌不存在。"))
    await accounts.revoke_api_token(token=token, actor=current)
    return redirect(request, "/account", flash=_("令牌已撤销。"))


async def end_session(request: Request) -> Response:
    current = require_login(request)
    await read_form(request)
    session_id = int(request.path_params["session_id"])
    await sessions.end_own(actor=current, session_id=session_id, ip=client_ip(request))
    if session_id == _session_id(request):
        request.session.clear()
        return redirect(request, "/", flash=_("您已退出登录。"))
    return redirect(request, "/account", flash=_("该会话已结束。"))


async def end_other_sessions(request: Request) -> Response:
    current = require_login(request)
    await read_form(request)
    count = await sessions.end_own_all(
        actor=current, keep_id=_session_id(request), ip=client_ip(request)
    )
    return redirect(request, "/account", flash=_("已结束其他 %(n)d 个会话。", n=count))


async def end_all_sessions(request: Request) -> Response:
    current = require_login(request)
    await read_form(request)
    await sessions.end_own_all(actor=current, keep_id=None, ip=client_ip(request))
    request.session.clear()
    return redirect(request, "/", flash=_("您已在所有设备上退出登录。"))


def _password_form(request: Request, error: InvalidInput | None = None) -> Response:
    return render(
        request,
        "accounts/password.html",
        {
            "error": error,
            "field_errors": {e.field: e.message for e in error.errors} if error else {},
        },
        status_code=error.status if error else 200,
    )


async def password_page(request: Request) -> Response:
    require_login(request)
    return _password_form(request)


async def change_password(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    settings = request.app.state.settings
    new_password = str(form.get("new_password", ""))
    if new_password != str(form.get("confirm", "")):
        return _password_form(request, InvalidInput(_("两次输入的密码不一致。"), field="confirm"))
    try:
        ended = await accounts.change_password(
            actor=current,
            current_password=str(form.get("current_password", "")),
            new_password=new_password,
            keep_session_id=_session_id(request),
            ip=client_ip(request),
            limits=LoginLimits(
                settings.login_max_failures,
                settings.login_window_seconds,
                settings.login_address_failures,
            ),
        )
    except InvalidInput as exc:
        return _password_form(request, exc)
    return redirect(request, "/account", flash=_("密码已修改；其他 %(n)d 个会话已结束。", n=ended))


routes = [
    page("/account", account, name="account", action=SIGNED_IN),
    page(
        "/account/commendation-consent",
        commendation_consent,
        methods=["POST"],
        name="account_commendation_consent",
        action="participant.consent",
    ),
    page(
        "/account/tokens",
        create_token,
        methods=["POST"],
        name="account_token_create",
        action=SIGNED_IN,
    ),
    page(
        "/account/tokens/{token_id:id}/revoke",
        revoke_token,
        methods=["POST"],
        name="account_token_revoke",
        action=SIGNED_IN,
    ),
    page(
        "/account/sessions/{session_id:id}/end",
        end_session,
        methods=["POST"],
        name="account_session_end",
        action=SIGNED_IN,
    ),
    page(
        "/account/sessions/end-others",
        end_other_sessions,
        methods=["POST"],
        name="account_sessions_end_others",
        action=SIGNED_IN,
    ),
    page(
        "/account/sessions/end-all",
        end_all_sessions,
        methods=["POST"],
        name="account_sessions_end_all",
        action=SIGNED_IN,
    ),
    page(
        "/account/password",
        password_page,
        methods=["GET"],
        name="account_password",
        action=SIGNED_IN,
    ),
    page(
        "/account/password",
        change_password,
        methods=["POST"],
        name="account_password_post",
        action=SIGNED_IN,
    ),
]
