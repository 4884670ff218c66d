"""Login and logout with a signed session cookie; login is rate-limited in the domain."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fupin.accounts.service import users as accounts
from fupin.core.web import client_ip, read_form, redirect, render
from fupin.errors import NotAuthenticated, RateLimited
from fupin.i18n import _

#: Where each role lands after logging in without a specific destination: its own work.
HOME_BY_ROLE = {
    "county_officer": "/workspace",
    "village_worker": "/workspace",
    "province_office": "/dashboards",
    "national_admin": "/dashboards",
    "auditor": "/ledger",
    "participant_member": "/me/recommendations",
}


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else "/"
    return text if text.startswith("/") and not text.startswith("//") else "/"


async def login_page(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next", "/"))
    return render(request, "accounts/login.html", {"next": next_url, "username": "", "error": None})


async def login(request: Request) -> Response:
    form = await read_form(request)
    settings = request.app.state.settings
    next_url = _safe_next(form.get("next", "/"))
    try:
        user = await accounts.authenticate(
            username=str(form.get("username", "")),
            password=str(form.get("password", "")),
            ip=client_ip(request),
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except (NotAuthenticated, RateLimited) as exc:
        return render(
            request,
            "accounts/login.html",
            {"error": exc.message, "next": next_url, "username": form.get("username", "")},
            status_code=exc.status,
        )
    request.session.clear()  # new session on login (no fixation)
    request.session["user_id"] = user.id
    if next_url == "/":
        next_url = HOME_BY_ROLE.get(user.role, "/")
    return redirect(request, next_url, flash=_("欢迎，%(name)s。", name=user.display_name))


async def logout(request: Request) -> Response:
    await read_form(request)
    request.session.clear()
    return redirect(request, "/", flash=_("您已退出登录。"))


routes = [
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"], name="login_post"),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
