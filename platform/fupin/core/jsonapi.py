"""Helpers for JSON handlers: the acting user, and parsing input into the schemas.

``parse_body``, ``parse_query``, ``parse_path`` and ``parse_headers`` validate a request against
a schema of ``core/schemas.py`` and raise ``InvalidInput`` (422, the field named) when it does
not fit; ``core/endpoints.py`` calls them for every declared endpoint. The hand-parsing helpers further
down (``json_body``, ``page_params``, ``paginated``) and the OpenAPI fragments serve the areas
not yet converted to declared endpoints; delete them with the last one.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from fupin.core.policy import Actor
from fupin.core.schemas import invalid_input, validate
from fupin.core.web import client_source as web_client_source
from fupin.errors import InvalidInput, NotAuthenticated
from fupin.i18n import _

#: The largest JSON body read (the request is refused before it is parsed).
MAX_BODY_BYTES = 1_000_000

S = TypeVar("S", bound=BaseModel)


def api_actor(request: Request, *, required: bool = True) -> Actor | None:
    """The acting user (bearer token or browser session). Writes by a browser session carry the
    session's CSRF token in the X-CSRF-Token header, so a third-party page cannot make a
    logged-in browser call the API (docs/domain.md §5: CSRF); the middleware checks that before any
    handler runs (fupin/middleware/csrf.py), for every API route alike."""
    state = request.scope.get("state", {})
    if state.get("auth") == "bad_token":
        raise NotAuthenticated(_("API 令牌无效或已被撤销。"))
    actor: Actor | None = state.get("actor")
    if actor is None and required:
        raise NotAuthenticated(_("需要登录或 API 令牌。"))
    return actor


def client_source(request: Request) -> str:
    """The keyed hash of the caller's address, made as for the HTML forms."""
    return web_client_source(request)


async def _read_body(request: Request, max_bytes: int) -> bytes:
    raw = await request.body()
    if len(raw) > max_bytes:
        raise InvalidInput(_("请求体过大。"), field="body", code="too_large")
    return raw


async def parse_body(request: Request, schema: type[S], *, max_bytes: int = MAX_BODY_BYTES) -> S:
    """The JSON body as ``schema`` (an empty body is ``{}``)."""
    raw = await _read_body(request, max_bytes)
    try:
        return schema.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise invalid_input(exc) from None


def _repeatable(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return origin in (Union, UnionType) and any(_repeatable(a) for a in get_args(annotation))


def parse_query(request: Request, schema: type[S]) -> S:
    """The query string as ``schema``: a list field takes every value of a repeated parameter,
    any other field the last one; empty values count as absent; unknown parameters are
    ignored."""
    params = request.query_params
    data: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        key = field.alias or name
        values = [v for v in params.getlist(key) if v != ""]
        if values:
            data[key] = values if _repeatable(field.annotation) else values[-1]
    return validate(schema, data)


def parse_path(request: Request, schema: type[S]) -> S:
    """The path parameters as ``schema``."""
    return validate(schema, request.path_params)


def parse_headers(request: Request, schema: type[S]) -> S:
    """The request headers ``schema`` names (by alias, whatever their case) as ``schema``; a
    header sent empty is given as sent (it is not absent)."""
    data: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        key = field.alias or name
        value = request.headers.get(key)
        if value is not None:
            data[key] = value
    return validate(schema, data)
