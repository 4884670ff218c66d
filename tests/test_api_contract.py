"""Bad input to every declared endpoint answers 422 with the field named.

The endpoints come from the API modules converted to declared endpoints (core/endpoints.py), so
an area converted later is covered without a line here. For each, from its generated schemas:
every body field of the wrong JSON type, an unknown body field, an empty body (every required
field missing), a body that is not a JSON object; every typed or bounded query parameter with
a value that does not fit; every integer path parameter with text.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import httpx
import pytest

from fupin.accounts.service import users as accounts
from fupin.app import API_MODULES
from fupin.core.endpoints import Endpoint
from tests.support.contract import document
from tests.support.world import World

ENDPOINTS: list[Endpoint] = [
    endpoint
    for name in API_MODULES
    for endpoint in getattr(importlib.import_module(name), "endpoints", [])
]
WRITES = [e for e in ENDPOINTS if e.body is not None]
#: One JSON value of each type, to find one a field does not accept.
SAMPLES: list[tuple[str, Any]] = [
    ("string", "text"),
    ("integer", 12345),
    ("boolean", True),
    ("array", []),
    ("object", {}),
]


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    return document()["paths"][endpoint.path][endpoint.method.lower()]


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    schema = _schema(schema)
    if "anyOf" in schema:
        return set().union(*(_types(s) for s in schema["anyOf"]))
    found = schema.get("type", [])
    types = {found} if isinstance(found, str) else set(found)
    return types | {"integer"} if "number" in types else types


def _wrong_value(schema: dict[str, Any]) -> Any:
    accepted = _types(schema)
    return next(value for kind, value in SAMPLES if kind not in accepted)


def _bad_query_value(schema: dict[str, Any]) -> str | None:
    if "enum" in schema or "const" in schema:
        return "no-such-value"
    if schema.get("type") in ("integer", "number"):
        return "abc"
    if schema.get("type") == "boolean":
        return "maybe"
    if "maxLength" in schema:
        return "x" * (schema["maxLength"] + 1)
    return None


def _url(endpoint: Endpoint, **values: str) -> str:
    """The endpoint's URL: path parameters from ``values``, else a well-formed sample."""
    params = {p["name"]: p for p in _operation(endpoint).get("parameters", [])}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        schema = params[name]["schema"]
        if schema.get("type") == "integer":
            default = "1"
        elif "[0-9]" in schema.get("pattern", ""):  # a code of digits: a province's
            default = "530000"
        else:
            default = "x"
        return values.get(name, default)

    return "/api/v1" + re.sub(r"\{(\w+)\}", value, endpoint.path)


def _fields(response: httpx.Response) -> dict[str, str]:
    """Every field named in a 422, with its code."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    problems = error.get("errors") or [error]
    assert error["field"] == problems[0]["field"] and error["code"] == problems[0]["code"]
    return {p["field"]: p["code"] for p in problems}


@pytest.fixture
async def api(client_as: Any, world: World) -> httpx.AsyncClient:
    """An office's token: every declared endpoint lets it past authentication."""
    token = await accounts.create_api_token(user=world.users["national_admin"], name="contract")
    client = client_as(None)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
async def api_for(client_as: Any, world: World) -> Any:
    """A client with the token of a user the endpoint's declared action lets in (the national
    office where it may): a role the declaration does not name is refused before its input is
    read (docs/security.md "Permissions")."""

    async def make(endpoint: Endpoint) -> httpx.AsyncClient:
        key = world.user_let_in(endpoint.action)
        token = await accounts.create_api_token(user=world.users[key], name="contract")
        client = client_as(None)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    return make


def test_there_are_declared_endpoints_with_bodies() -> None:
    assert ENDPOINTS and WRITES


@pytest.mark.parametrize("endpoint", WRITES, ids=lambda e: f"{e.method} {e.path}")
async def test_bad_bodies_are_refused_with_the_field_named(
    api_for: Any, endpoint: Endpoint
) -> None:
    api = await api_for(endpoint)
    url = _url(endpoint)
    body = _schema(_operation(endpoint)["requestBody"]["content"]["application/json"]["schema"])
    for field, schema in body["properties"].items():
        response = await api.request(endpoint.method, url, json={field: _wrong_value(schema)})
        choice = {"enum", "const"} & set(_schema(schema))
        expected = "invalid_choice" if choice else "wrong_type"
        assert _fields(response).get(field) == expected, (field, response.text)
    unknown = await api.request(endpoint.method, url, json={"no_such_field": 1})
    assert _fields(unknown).get("no_such_field") == "unknown_field"
    if required := body.get("required"):
        missing = _fields(await api.request(endpoint.method, url, json={}))
        assert {f: missing.get(f) for f in required} == dict.fromkeys(required, "required")
    for raw in (b"[1, 2]", b"{not json"):
        response = await api.request(endpoint.method, url, content=raw)
        assert _fields(response) == {"body": "bad_json"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
async def test_bad_parameters_are_refused_with_the_parameter_named(
    api_for: Any, endpoint: Endpoint
) -> None:
    api = await api_for(endpoint)
    parameters = _operation(endpoint).get("parameters", [])
    for param in parameters:
        if param["in"] == "query" and (value := _bad_query_value(param["schema"])) is not None:
            response = await api.request(
                endpoint.method, _url(endpoint), params={param["name"]: value}
            )
            assert param["name"] in _fields(response), (param, response.text)
        if param["in"] == "path" and param["schema"].get("type") == "integer":
            url = _url(endpoint, **{param["name"]: "abc"})
            assert param["name"] in _fields(await api.request(endpoint.method, url)), param


async def test_several_problems_are_all_reported(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/participants", json={"kind": "guild", "name": "", "uscc": 18, "x": None}
    )
    assert _fields(response) == {
        "kind": "invalid_choice",
        "name": "too_short",
        "uscc": "wrong_type",
        "x": "unknown_field",
    }
    assert response.json()["error"]["message"] == "不是可选的取值：guild"


async def test_query_parameters_are_checked_in_chinese(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/regions", params={"per_page": "many", "page": "0"})
    error = response.json()["error"]
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in error["errors"]] == [
        ("page", "不能小于 1。"),
        ("per_page", "字段必须是整数。"),
    ]
