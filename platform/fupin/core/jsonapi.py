"""Helpers for JSON handlers: the acting user, JSON bodies, pagination, OpenAPI fragments."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fupin.core.policy import Actor
from fupin.errors import InvalidInput, NotAuthenticated
from fupin.i18n import _


def api_actor(request: Request, *, required: bool = True) -> Actor | None:
    """The acting user (bearer token or browser session). Writes by a browser session carry the
    session's CSRF token in the X-CSRF-Token header, so a third-party page cannot make a
    logged-in browser call the API (BRIEF §5: CSRF); the middleware checks that before any
    handler runs (fupin/middleware.py), for every API route alike."""
    state = request.scope.get("state", {})
    if state.get("auth") == "bad_token":
        raise NotAuthenticated(_("API 令牌无效或已被撤销。"))
    actor = state.get("actor")
    if actor is None:
        if required:
            raise NotAuthenticated(_("需要登录或 API 令牌。"))
        return None
    return actor


async def json_body(request: Request, *, max_bytes: int = 1_000_000) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > max_bytes:
        raise InvalidInput(_("请求体过大。"), field="body", code="too_large")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_("请求体不是合法的 JSON。"), field="body", code="bad_json") from None
    if not isinstance(data, dict):
        raise InvalidInput(_("请求体必须是 JSON 对象。"), field="body", code="bad_json")
    return data


def client_source(request: Request) -> str:
    """The keyed hash of the caller's address, made as for the HTML forms."""
    from fupin.core.web import client_source as web_client_source

    return web_client_source(request)


def page_params(request: Request, *, max_per_page: int = 100) -> tuple[int, int]:
    from fupin.core.web import page_args

    return page_args(request, max_per_page=max_per_page)


def paginated(
    items: list[Any], *, total: int, page: int, per_page: int, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"items": items, "total": total, "page": page, "per_page": per_page, **extra}
    )


# ---- OpenAPI fragments shared by the resource modules ----------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}

PAGE_PARAMS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]


def error_responses(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def json_response(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def page_of(item_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_ref}"}},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }
