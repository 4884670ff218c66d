"""The OpenAPI document describes exactly the mounted API, and is itself valid."""

from __future__ import annotations

import re

from openapi_core import OpenAPI
from starlette.routing import Mount, Route

from fupin.app import API_MODULES, create_app
from fupin.core.openapi import build_document
from fupin.settings import Settings


def _api_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(env="test"), manage_database=False)
    api = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    found = set()
    for route in api.routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
        for method in route.methods or {"GET"}:
            if method != "HEAD":
                found.add((method.lower(), path))
    return found


def test_every_api_route_is_documented_and_every_documented_path_is_mounted() -> None:
    document = build_document(API_MODULES)
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert _api_routes() == documented


def test_document_is_a_valid_openapi_3_1_document() -> None:
    OpenAPI.from_dict(build_document(API_MODULES))  # validates the spec itself


async def test_document_is_served(client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
