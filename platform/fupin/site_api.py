"""/api/v1/openapi.json and /api/v1/health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.core.jsonapi import json_response


async def openapi_document(request: Request) -> JSONResponse:
    from fupin.core.openapi import build_document

    return JSONResponse(build_document(request.app.state.api_modules))


async def health(request: Request) -> JSONResponse:
    from fupin.regions.models import Region

    await Region.filter(code="110000").exists()
    return JSONResponse({"status": "ok"})


routes = [
    Route("/openapi.json", openapi_document, name="openapi"),
    Route("/health", health, name="health"),
]

openapi = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": json_response({"type": "object"})},
        }
    },
    "/health": {
        "get": {
            "summary": "Liveness and database check",
            "security": [],
            "responses": {
                "200": json_response(
                    {"type": "object", "properties": {"status": {"type": "string"}}}
                )
            },
        }
    },
}
