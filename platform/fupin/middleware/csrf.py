"""No unsafe request reaches a handler without the session's CSRF token."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fupin import i18n
from fupin.core.http_errors import fupin_error, http_error
from fupin.core.web import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, csrf_matches
from fupin.errors import PermissionDenied
from fupin.middleware.limits import BodyTooLarge

#: Methods that must not change anything; every other method is checked.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The JSON API: its own rule (below), never the form field.
API_PREFIX = "/api/v1"
#: Bodies that can carry the token as a form field.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: What a form may carry besides its largest accepted file (other fields, multipart framing).
#: Larger than the 64 KiB the upload handlers allow, so a file just over the limit still gets
#: their own "file too large" message rather than this middleware's 413.
BODY_MARGIN_BYTES = 1024 * 1024


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class CsrfMiddleware:
    """CSRF protection in one place, before routing, so no handler has anything to remember.

    Pages (everything outside /api/v1, no exemptions: the login form too, against login CSRF;
    the public objection form too): every unsafe request carries the session's token in the
    ``X-CSRF-Token`` header or in the ``csrf_token`` field of an urlencoded or multipart form,
    else 403 with the site's error page. To read the field the body is buffered (at most
    ``max_body_bytes``, else 413) and then replayed to the app unchanged.

    API (/api/v1): a write made with the browser's session cookie carries the token in the
    ``X-CSRF-Token`` header, else 403 JSON with code "csrf"; a bearer token, or no login at
    all, carries no ambient authority and needs nothing.

    Sits inside ``RequestContextMiddleware``: it needs the session, the kind of credential
    (``state["auth"]``) and the user and locale for the error page.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        session: Mapping[str, object] = scope.get("session") or {}
        expected = session.get(CSRF_SESSION_KEY)
        headers = Headers(scope=scope)
        header_ok = csrf_matches(headers.get(CSRF_HEADER), expected)
        if _is_api(_route_path(scope)):
            if header_ok or scope.get("state", {}).get("auth") != "session":
                await self.app(scope, receive, send)
            else:
                await self._refuse(scope, receive, send)
            return
        if header_ok:
            await self.app(scope, receive, send)
            return
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if not expected or content_type not in FORM_TYPES:
            await self._refuse(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except ClientDisconnect:
            return  # nobody is listening for an answer
        except BodyTooLarge:  # the body limit (middleware/limits.py) cut it off while read
            body = None
        if body is None:
            await self._too_large(scope, receive, send)
            return
        if not csrf_matches(await _form_field(scope, _replay(body, receive)), expected):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is longer than the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_api(_route_path(scope)):
            message = i18n._("通过浏览器会话调用写接口需要 X-CSRF-Token 头。")
        else:
            message = i18n._("表单已过期或来源无法验证（CSRF），请刷新页面后重试。")
        request = Request(scope, receive, send)
        response = await fupin_error(request, PermissionDenied(message, code="csrf"))
        await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        response = await http_error(request, HTTPException(413))
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then whatever the client sends next
    (the disconnect a streaming response listens for)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _form_field(scope: Scope, receive: Receive) -> object:
    """The CSRF field of the buffered form, parsed as the handler will parse it (Starlette's
    parser and limits); a body that cannot be parsed has no token."""
    request = Request(scope, receive)
    try:
        async with request.form() as form:
            return form.get(CSRF_FIELD)
    except (HTTPException, MultiPartException):  # a malformed form (Starlette's 400)
        return None
