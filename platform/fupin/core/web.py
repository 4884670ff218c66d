"""Helpers every HTML handler uses: rendering, forms, the CSRF token, redirects, the acting user.

The token is checked before any handler runs, by ``CsrfMiddleware`` in ``fupin/middleware/csrf.py``;
this module only creates it (``csrf_token``) and compares (``csrf_matches``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from markupsafe import escape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from fupin.core import convertors  # noqa: F401  (registers the id and region path convertors)
from fupin.core.identifiers import hash_client_address
from fupin.core.policy import Actor
from fupin.core.templating import context_for
from fupin.errors import FupinError, InvalidInput, NotAuthenticated
from fupin.i18n import _

#: The hidden form field, the header and the session key that carry the CSRF token.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_SESSION_KEY = "csrf"


def csrf_token(request: Request) -> str:
    """One token per session (synchroniser-token pattern), created on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    request.scope["fupin.csrf_token"] = token
    return token


def csrf_matches(sent: object, expected: object) -> bool:
    """Whether ``sent`` is the session's token, compared in constant time. No session token
    (a session that never rendered a page) matches nothing."""
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def read_form(request: Request) -> FormData:
    """Parse a POSTed form. Its CSRF token was checked before the handler ran (the middleware
    refuses every unsafe request without it), so handlers have nothing to remember."""
    return await request.form()


class _LazyCsrfToken:
    """The session's CSRF token, created when a template first prints it: a page without a form
    (every public list and need page for an anonymous visitor) then sets no session cookie and
    can be cached; a page with a form gets the token as before."""

    __slots__ = ("request", "used")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.used = False

    def __str__(self) -> str:
        self.used = True
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return True


#: What a proxy or browser may do with a public page: keep it half a minute (the figures on
#: it move with pledges), then ask again with the ETag.
PUBLIC_CACHE_CONTROL = "public, max-age=30"
#: Pages for a signed-in person, or carrying a person's form token, are never stored.
PRIVATE_CACHE_CONTROL = "private, no-store"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    token = _LazyCsrfToken(request)
    request.scope["fupin.csrf_token"] = token
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request, template, context_for(request, context or {}), status_code=status_code
    )
    public = (
        request.method in ("GET", "HEAD")
        and status_code == 200
        and actor(request) is None
        and not token.used
        and not _session_changed(request)
    )
    if not public:
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": PUBLIC_CACHE_CONTROL, "ETag": etag, "Vary": "Cookie"}
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _session_changed(request: Request) -> bool:
    """Whether rendering wrote to the session (a flash message read, a token created): the
    response then sets a cookie and is that person's."""
    if "session" not in request.scope:
        return False
    return bool(getattr(request.session, "modified", False))


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    if flash:
        request.session["flash"] = flash
    return RedirectResponse(url, status_code=303)


def same_site_path(value: object, default: str = "/") -> str:
    """``value`` when it is a path on this site (``/search?q=…``), else ``default``: a redirect
    target taken from the request must never send the person elsewhere. Browsers read
    ``//host``, ``/\\host`` and ``\\\\host`` as another site and strip tabs and line breaks
    before they look, so anything with a backslash or a control character is refused too."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def actor(request: Request) -> Actor | None:
    return getattr(request.state, "actor", None)


def require_login(request: Request) -> Actor:
    current = actor(request)
    if current is None:
        raise NotAuthenticated(_("请先登录。"))
    return current


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def client_source(request: Request) -> str:
    """A keyed hash of the client's address: enough to count one sender's submissions on a
    public form, useless for finding out who sent them (the address itself is not stored)."""
    pepper = str(request.app.state.settings.secret_key)
    return hash_client_address(client_ip(request), pepper=pepper)


def page_args(
    request: Request, *, default_per_page: int = 20, max_per_page: int = 100
) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", str(default_per_page)))
    except ValueError:
        raise InvalidInput(_("页码必须是整数。"), field="page") from None
    if page < 1 or page > 100000:
        raise InvalidInput(_("页码超出范围。"), field="page")
    if per_page < 1 or per_page > max_per_page:
        raise InvalidInput(_("每页条数须在 1–%(n)d 之间。", n=max_per_page), field="per_page")
    return page, per_page


def error_items(error: FupinError) -> list[tuple[str | None, str]]:
    """``(field, message)`` of every field an ``InvalidInput`` names, or the one field (maybe
    ``""``) a rule's refusal names: what a form shown again puts next to its fields."""
    if isinstance(error, InvalidInput):
        return [(e.field, e.message) for e in error.errors]
    return [(error.field, error.message)]


def field_errors(
    error: FupinError | None, rename: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Field name → its message, for the form shown again (``_fields.html``'s ``field_error``
    puts each next to its field): every field of an ``InvalidInput``, or the one field a rule's
    refusal names; the first message of a field wins. ``rename`` maps a service's field name to
    the form's where they differ."""
    if error is None:
        return {}
    found: dict[str, str] = {}
    for field, message in error_items(error):
        if field:
            found.setdefault((rename or {}).get(field, field), message)
    return found
