"""/api/v1/openapi.json and /api/v1/health."""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.openapi import build_document
from fupin.core.policy import PUBLIC
from fupin.core.schemas import Out
from fupin.regions.models import Region


class Health(Out):
    status: Literal["ok"]


async def openapi_document(request: Request) -> dict[str, Any]:
    state = request.app.state
    if getattr(state, "openapi_document", None) is None:  # built once per app
        state.openapi_document = build_document(state.api_modules)
    return state.openapi_document


async def health(request: Request) -> Health:
    await Region.filter(code="110000").exists()
    return Health(status="ok")


endpoints = [
    Endpoint(
        "GET",
        "/openapi.json",
        openapi_document,
        "This document",
        response=dict[str, Any],
        action=PUBLIC,
    ),
    Endpoint(
        "GET", "/health", health, "Liveness and database check", response=Health, action=PUBLIC
    ),
]
