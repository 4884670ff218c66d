"""Login and logout, and setting a password through a one-time link. The session is a database
row named by the signed cookie (accounts/service/sessions.py); login is limited in the domain."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.service import links, sessions
from fupin.accounts.service import users as accounts
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import client_ip, read_form, redirect, render, same_site_path
from fupin.errors import InvalidInput, NotAuthenticated, NotFound, RateLimited
from fupin.i18n import _

#: Where each role lands after logging in without a specific destination: its own work.
HOME_BY_ROLE = {
    "county_officer": "/workspace",
    "village_worker": "/workspace",
    "province_office": "/dashboards",
    "national_admin": "/dashboards",
    "auditor": "/ledger",
    "supervisor": "/supervision",
    "participant_member": "/me/recommendations",
}


async def login_page(request: Request) -> Response:
    next_url = same_site_path(request.query_params.get("next", "/"))
    return render(request, "accounts/login.html", {"next": next_url, "username": "", "error": None})


async def login(request: Request) -> Response:
    form = await read_form(request)
    settings = request.app.state.settings
    next_url = same_site_path(form.get("next", "/"))
    user_agent = request.headers.get("user-agent", "")
    try:
        user = await accounts.authenticate(
            username=str(form.get("username", "")),
            password=str(form.get("password", "")),
            ip=client_ip(request),
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            address_failures=settings.login_address_failures,
            user_agent=user_agent,
        )
    except (NotAuthenticated, RateLimited) as exc:
        return render(
            request,
            "accounts/login.html",
            {"error": exc.message, "next": next_url, "username": form.get("username", "")},
            status_code=exc.status,
        )
    # A new session on login (no fixation): the browser's previous one, if any, ends.
    await sessions.end_current(getattr(request.state, "session_id", None), reason="replaced")
    request.session.clear()
    request.session[sessions.COOKIE_KEY] = await sessions.start(
        user=user,
        ip=client_ip(request),
        user_agent=user_agent,
        max_age_seconds=settings.session_max_age_seconds,
    )
    if next_url == "/":
        next_url = HOME_BY_ROLE.get(user.role, "/")
    return redirect(request, next_url, flash=_("欢迎，%(name)s。", name=user.display_name))


async def logout(request: Request) -> Response:
    await read_form(request)
    # The server-side session ends now: a copy of the cookie is worth nothing from here on.
    await sessions.end_current(getattr(request.state, "session_id", None), reason="logout")
    request.session.clear()
    return redirect(request, "/", flash=_("您已退出登录。"))


def _gone(request: Request) -> Response:
    return render(request, "accounts/set_password_gone.html", status_code=404)


async def set_password_page(request: Request) -> Response:
    link = await links.open_link(request.path_params["token"])
    if link is None:
        return _gone(request)
    return render(
        request,
        "accounts/set_password.html",
        {"account": link.user, "error": None, "token": request.path_params["token"]},
    )


async def set_password(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request)
    try:
        await links.set_password(
            token=token,
            password=str(form.get("password", "")),
            confirm=str(form.get("confirm", "")),
            ip=client_ip(request),
        )
    except NotFound:
        return _gone(request)
    except InvalidInput as exc:
        link = await links.open_link(token)
        if link is None:
            return _gone(request)
        return render(
            request,
            "accounts/set_password.html",
            {"account": link.user, "error": exc, "token": token},
            status_code=exc.status,
        )
    # Whoever was logged in in this browser is not the one who just set a password.
    await sessions.end_current(getattr(request.state, "session_id", None), reason="replaced")
    request.session.clear()
    return redirect(request, "/login", flash=_("密码已设置，请用新密码登录。"))


routes = [
    page("/login", login_page, methods=["GET"], name="login", action=PUBLIC),
    page("/login", login, methods=["POST"], name="login_post", action=PUBLIC),
    page("/logout", logout, methods=["POST"], name="logout", action=PUBLIC),
    page(
        "/set-password/{token}",
        set_password_page,
        methods=["GET"],
        name="set_password",
        action=PUBLIC,
    ),
    page(
        "/set-password/{token}",
        set_password,
        methods=["POST"],
        name="set_password_post",
        action=PUBLIC,
    ),
]
