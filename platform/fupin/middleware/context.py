"""The request context: the locale and the acting user (a bearer token, or the live server-side
session whose id the signed session cookie carries: accounts/service/sessions.py)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from fupin import i18n
from fupin.accounts.models import User
from fupin.accounts.service import sessions
from fupin.accounts.service import users as accounts
from fupin.core.json_errors import plain_error
from fupin.notify.service import inbox as notifications


def _locale_for(scope: Scope) -> str:
    """Chinese first: English only when asked for (?lang=en or the switch's cookie), never
    guessed from the browser, so county offices get the same pages whatever their browser."""
    query = scope.get("query_string", b"").decode("latin-1")
    for part in query.split("&"):
        if part.startswith("lang="):
            lang = part[5:]
            if lang in i18n.SUPPORTED_LOCALES:
                return lang
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header must not break the page
                continue
            if (
                i18n.LANG_COOKIE in cookie
                and cookie[i18n.LANG_COOKIE].value in i18n.SUPPORTED_LOCALES
            ):
                return cookie[i18n.LANG_COOKIE].value
    return i18n.DEFAULT_LOCALE


#: Paths whose bearer token is not an API token: Prometheus's token for /metrics (fupin.ops.web).
OWN_BEARER_PATHS = frozenset({"/metrics"})


def _bearer(scope: Scope) -> str | None:
    if scope.get("path") in OWN_BEARER_PATHS:
        return None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text.lower().startswith("bearer "):
                return text[7:].strip()
    return None


def _has_navigation(scope: Scope) -> bool:
    """Pages carry the navigation; the API, static files and the metrics do not."""
    path = str(scope.get("path", ""))
    return not path.startswith(("/api/", "/static/")) and path not in OWN_BEARER_PATHS


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, session_idle_seconds: int) -> None:
        self.app = app
        self.session_idle_seconds = session_idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = i18n.current_locale.set(_locale_for(scope))
        try:
            state = scope.setdefault("state", {})
            user: User | None = None
            bearer = _bearer(scope)
            if bearer:
                user = await accounts.user_for_token(bearer)
                if user is None:
                    # A presented credential that is wrong is refused everywhere, even on
                    # public routes, so a revoked token never silently "works".
                    response = plain_error(
                        401, "not_authenticated", i18n._("API 令牌无效或已被撤销。")
                    )
                    response.headers["WWW-Authenticate"] = "Bearer"
                    await response(scope, receive, send)
                    return
                state["auth"] = "token"
            else:
                # The cookie only names a session; the user comes from its live row. A session
                # that ended (logout, password change, deactivation, sign-out), expired or went
                # idle leaves the cookie's holder anonymous, and its id is dropped from the cookie.
                cookie = scope.get("session")
                key = cookie.get(sessions.COOKIE_KEY) if cookie is not None else None
                if key:
                    live = await sessions.resolve(key, idle_seconds=self.session_idle_seconds)
                    if live is not None:
                        user = live.user
                        state["auth"] = "session"
                        state["session_id"] = live.id
                    elif cookie is not None:
                        cookie.pop(sessions.COOKIE_KEY, None)
            state["user"] = user
            state["actor"] = await accounts.actor_for(user) if user else None
            if user is not None and state.get("auth") == "session" and _has_navigation(scope):
                # The count beside the one inbox in the navigation of every signed-in page.
                state["unread_notifications"] = await notifications.unread_for_user(user.id)
            await self.app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)
