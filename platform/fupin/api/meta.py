"""/api/v1/openapi.json and /api/v1/health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.api.common import json_response


async def openapi_document(request: Request) -> JSONResponse:
    from fupin.api.openapi import build_document
    from fupin.app import API_MODULES

    return JSONResponse(build_document(API_MODULES))


async def health(request: Request) -> JSONResponse:
    from fupin.models.regions import Region

    await Region.filter(code="110000").exists()
    return JSONResponse({"status": "ok"})


routes = [
    Route("/openapi.json", openapi_document, name="openapi"),
    Route("/health", health, name="health"),
]

openapi = {
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": json_response({"type": "object"})}}},
    "/health": {"get": {"summary": "Liveness and database check", "security": [], "responses": {"200": json_response({"type": "object", "properties": {"status": {"type": "string"}}})}}},
}
