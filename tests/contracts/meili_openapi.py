"""Load Meilisearch's OpenAPI document with our overlay (README-meilisearch.md)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI

HERE = Path(__file__).parent
SPEC = HERE / "meilisearch-openapi.json"
OVERLAY = HERE / "meilisearch-openapi.overlay.json"


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def apply_patch(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 ``add``/``replace``/``remove`` on objects (all the overlay needs). A ``replace``
    or ``remove`` of a missing member fails, so a spec refresh that moved things is noticed."""
    out = copy.deepcopy(document)
    for op in operations:
        *parents, last = _pointer(op["path"])
        node = out
        for part in parents:
            node = node[part]
        if op["op"] == "add":
            node[last] = op["value"]
        elif op["op"] == "replace":
            if last not in node:
                raise KeyError(f"overlay replace: {op['path']} does not exist")
            node[last] = op["value"]
        elif op["op"] == "remove":
            del node[last]
        else:
            raise ValueError(f"unsupported overlay op {op['op']!r}")
    return out


@cache
def spec_dict() -> dict[str, Any]:
    raw = json.loads(SPEC.read_text(encoding="utf-8"))
    return apply_patch(raw, json.loads(OVERLAY.read_text(encoding="utf-8")))


@cache
def openapi() -> OpenAPI:
    # Strict spec validation stays off: the document has more oddities than the overlay fixes
    # (docs/stack.md §1.3); request/response validation is what we rely on.
    return OpenAPI.from_dict(spec_dict(), config=Config(spec_validator_cls=None))
