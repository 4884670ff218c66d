"""The OpenAPI document, assembled from each resource module's ``openapi`` and ``schemas``.

Each API module declares the paths it serves next to its handlers; a test checks that every
mounted API route is documented and every documented path is mounted.
"""

from __future__ import annotations

import importlib
from typing import Any

from fupin import __version__
from fupin.core.jsonapi import ERROR_SCHEMA


def build_document(modules: list[str]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for name in modules:
        module = importlib.import_module(name)
        for path, ops in getattr(module, "openapi", {}).items():
            paths.setdefault(path, {}).update(ops)
        schemas.update(getattr(module, "schemas", {}))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Fupin API",
            "version": __version__,
            "description": "Social-participation platform for rural poverty alleviation. Money is "
            'integer fen. Errors: {"error": {"code", "message", "field"}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }
