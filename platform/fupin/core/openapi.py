"""The OpenAPI 3.1 document, generated from the declared endpoints and their schemas.

Every module of ``API_MODULES`` that lists ``endpoints`` (``core/endpoints.py``) is documented
from them: one operation per endpoint, and ``components.schemas`` from the pydantic schemas it
names, generated in one pass (``TypeAdapter.json_schemas``) so a schema used by several
endpoints is one component and nested schemas become components of their own. Request bodies
and parameters are generated in validation mode, responses in serialization mode (a schema
that differs between the two gets ``-Input``/``-Output`` components). Path, query and header
schemas are spread into the operation's ``parameters``; the successful answer is described
under each of the endpoint's ``media_types``.

Why a small assembler rather than ``spectree``: spectree validates with its own decorator and
answers validation failures in its own shape (we need the one error shape, with Chinese
messages through gettext and the field as ``items[0].name``), finds routes by walking the app
on each request, serves its own documentation pages, and is one more dependency to follow
across Starlette majors. What we need from it — pydantic's JSON schemas, placed under
``components`` with the operations around them — is pydantic's own ``json_schemas`` plus the
few lines below.

A module of ``API_MODULES`` without ``endpoints``, or one that still carries a hand-written
``routes``, ``openapi`` or ``schemas``, is refused: there is one contract per resource.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from fupin import __version__
from fupin.core.endpoints import Endpoint, adapter
from fupin.core.schemas import Error

REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model="Error")}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "public": [],
    "optional": [{"bearer": []}, {}],
    "required": [{"bearer": []}],
}


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with no ``title`` on every property (noise in the document) and
    generic schemas named in words: ``Page[Region]`` is ``RegionPage``, not ``Page_Region_``."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(re.sub(r"^(\w+)\[(\w+)\]$", r"\2\1", name))


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without the ``null`` of an optional field (a parameter is absent,
    never null) and without its description (the parameter carries it)."""
    schema = {k: v for k, v in schema.items() if k != "description"}
    if schema.get("default", 0) is None:
        del schema["default"]
    if isinstance(schema.get("type"), list):
        types = [t for t in schema["type"] if t != "null"]
        schema["type"] = types[0] if len(types) == 1 else types
    if "anyOf" in schema:
        options = [o for o in schema.pop("anyOf") if o != {"type": "null"}]
        schema = {**options[0], **schema} if len(options) == 1 else {"anyOf": options, **schema}
    return schema


def build_document(modules: Sequence[str]) -> dict[str, Any]:
    endpoints: list[Endpoint] = []
    for name in modules:
        module = importlib.import_module(name)
        kept = [a for a in ("routes", "openapi", "schemas") if _handwritten(module, a)]
        if kept:
            raise TypeError(f"{name} still has {', '.join(kept)}: declare endpoints only")
        if not hasattr(module, "endpoints"):
            raise TypeError(f"{name}: declare its operations as endpoints")
        endpoints.extend(module.endpoints)
    paths, components = _generate(endpoints)
    # Any request that carries a body may be refused for its size before a handler runs
    # (fupin/middleware/limits.py), so every write documents 413.
    for ops in paths.values():
        for method, op in ops.items():
            if method in ("post", "put", "patch"):
                op.setdefault("responses", {}).setdefault("413", _TOO_LARGE)
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
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
    }


_TOO_LARGE = {
    "description": "The request body is larger than the limit (FUPIN_MAX_BODY_BYTES, or "
    "FUPIN_MAX_UPLOAD_BYTES for multipart uploads)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _handwritten(module: Any, attribute: str) -> bool:
    return isinstance(getattr(module, attribute, None), list | dict)


def _generate(endpoints: list[Endpoint]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The operations of ``endpoints`` and the components their schemas need."""
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = [("Error", "serialization", adapter(Error))]
    for i, e in enumerate(endpoints):
        for part, mode, schema in (
            ("response", "serialization", e.response),
            ("body", "validation", e.body),
            ("form", "validation", e.form),
            ("query", "validation", e.query),
            ("path", "validation", e.params),
            ("header", "validation", e.headers),
        ):
            if schema is not None:
                inputs.append(((i, part), mode, adapter(schema)))
    keys, top = TypeAdapter.json_schemas(
        inputs, ref_template=REF, union_format="primitive_type_array", schema_generator=_Generator
    )
    components: dict[str, Any] = top.get("$defs", {})
    parameter_models: set[str] = set()

    def parameters(i: int, part: str) -> list[dict[str, Any]]:
        ref = keys.get(((i, part), "validation"))
        if ref is None:
            return []
        name = ref["$ref"].rsplit("/", 1)[1]
        parameter_models.add(name)
        model = components[name]
        found = []
        for prop, schema in model.get("properties", {}).items():
            param = {
                "name": prop,
                "in": part,
                "required": part == "path" or prop in model.get("required", ()),
                "schema": _not_null(schema),
            }
            if "description" in schema:
                param["description"] = schema["description"]
            found.append(param)
        return found

    paths: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for i, e in enumerate(endpoints):
        if e.operation_id in seen:
            raise ValueError(f"two endpoints are called {e.operation_id}")
        seen.add(e.operation_id)
        op: dict[str, Any] = {
            "operationId": e.operation_id,
            "summary": e.summary,
            "security": SECURITY[e.auth],
        }
        if found := [*parameters(i, "path"), *parameters(i, "query"), *parameters(i, "header")]:
            op["parameters"] = found
        content = {
            media_type: {"schema": keys[((i, part), "validation")]}
            for part, media_type in (("body", "application/json"), ("form", "multipart/form-data"))
            if getattr(e, part) is not None
        }
        if content:
            op["requestBody"] = {"required": True, "content": content}
        ok: dict[str, Any] = {"description": HTTPStatus(e.status).phrase}
        if e.response is not None:
            schema = keys[((i, "response"), "serialization")]
            ok["content"] = {media_type: {"schema": schema} for media_type in e.media_types}
        op["responses"] = {str(e.status): ok} | {
            str(status): {
                "description": HTTPStatus(status).phrase,
                "content": {"application/json": {"schema": ERROR_REF}},
            }
            for status in e.error_statuses
        }
        paths.setdefault(e.path, {})[e.method.lower()] = op
    # Path, query and header schemas were spread into parameters; keep them only if something
    # refers to them.
    for name in parameter_models:
        rest = {k: v for k, v in components.items() if k != name}
        if f'"{REF.format(model=name)}"' not in json.dumps([paths, rest]):
            del components[name]
    return paths, components
