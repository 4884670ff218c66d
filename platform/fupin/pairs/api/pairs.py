"""GET /pairs, /pairs/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.core.jsonapi import (
    PAGE_PARAMS,
    error_responses,
    json_response,
    page_of,
    page_params,
    paginated,
)
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.pairs.service import registry as pairs


def _int(raw: str | None, field: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("必须是整数。"), field=field) from None


async def list_pairs(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    qp = request.query_params
    listing = await pairs.list_pairs(
        kind=qp.get("kind") or None,
        helper_id=_int(qp.get("helper"), "helper"),
        region_code=qp.get("region") or None,
        year=_int(qp.get("year"), "year"),
        page=page,
        per_page=per_page,
    )
    return paginated(
        [pairs.pair_dict(p) for p in listing.items],
        total=listing.total,
        page=page,
        per_page=per_page,
    )


async def get_pair(request: Request) -> JSONResponse:
    pair_id = _int(request.path_params["pair_id"], "id")
    assert pair_id is not None
    return JSONResponse(pairs.pair_dict(await pairs.get_pair(pair_id)))


routes = [
    Route("/pairs", list_pairs, name="pairs"),
    Route("/pairs/{pair_id}", get_pair, name="pair"),
]

schemas = {
    "Pair": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["east_west", "designated"]},
            "helper": {"type": "object"},
            "helped_region": {"type": "object"},
            "start_year": {"type": "integer"},
            "end_year": {"type": ["integer", "null"]},
            "period": {"type": "string"},
            "source": {"type": "string"},
            "verification": {"type": "string"},
            "replaces_id": {"type": ["integer", "null"]},
        },
    }
}

openapi = {
    "/pairs": {
        "get": {
            "summary": "Cooperation pairs (east–west, designated assistance)",
            "security": [],
            "parameters": [
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["east_west", "designated"]},
                },
                {"name": "helper", "in": "query", "schema": {"type": "integer"}},
                {"name": "region", "in": "query", "schema": {"type": "string", "maxLength": 12}},
                {"name": "year", "in": "query", "schema": {"type": "integer"}},
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("Pair")), **error_responses(422)},
        }
    },
    "/pairs/{pair_id}": {
        "get": {
            "summary": "One pair",
            "security": [],
            "parameters": [
                {"name": "pair_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/Pair"}),
                **error_responses(404, 422),
            },
        }
    },
}
