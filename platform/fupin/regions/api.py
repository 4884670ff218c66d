"""GET /regions, /regions/{code}."""

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
from fupin.regions import service as regions


async def list_regions(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    qp = request.query_params
    listing = await regions.list_regions(
        level=qp.get("level") or None,
        parent=qp.get("parent") or None,
        q=qp.get("q") or None,
        province=qp.get("province") or None,
        poverty_only=qp.get("poverty_county") in ("1", "true"),
        page=page,
        per_page=per_page,
    )
    return paginated(
        [regions.region_dict(r) for r in listing.items],
        total=listing.total,
        page=page,
        per_page=per_page,
    )


async def get_region(request: Request) -> JSONResponse:
    region = await regions.get_region(request.path_params["code"])
    return JSONResponse(regions.region_dict(region))


routes = [
    Route("/regions", list_regions, name="regions"),
    Route("/regions/{code}", get_region, name="region"),
]

schemas = {
    "Region": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "level": {
                "type": "string",
                "enum": ["province", "prefecture", "county", "township", "village"],
            },
            "kind": {"type": "string"},
            "parent_code": {"type": ["string", "null"]},
            "province_code": {"type": "string"},
            "prefecture_code": {"type": "string"},
            "county_code": {"type": "string"},
            "full_name": {"type": "string"},
            "is_poverty_county": {"type": "boolean"},
            "is_key_county": {"type": ["boolean", "null"]},
            "contiguous_area": {"type": "string"},
            "sanqu_sanzhou": {"type": "boolean"},
            "exit_year": {"type": ["integer", "null"]},
            "is_poor_village": {"type": "boolean"},
            "is_generated": {"type": "boolean"},
        },
    }
}

openapi = {
    "/regions": {
        "get": {
            "summary": "Administrative divisions (GB/T 2260), filterable",
            "security": [],
            "parameters": [
                {
                    "name": "level",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": ["province", "prefecture", "county", "township", "village"],
                    },
                },
                {"name": "parent", "in": "query", "schema": {"type": "string", "maxLength": 12}},
                {"name": "province", "in": "query", "schema": {"type": "string", "maxLength": 12}},
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 64}},
                {
                    "name": "poverty_county",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["1", "0", "true", "false"]},
                },
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("Region")), **error_responses(422)},
        }
    },
    "/regions/{code}": {
        "get": {
            "summary": "One region",
            "security": [],
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/Region"}),
                **error_responses(404),
            },
        }
    },
}
