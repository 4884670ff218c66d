"""Declared endpoints that read request headers (``Headers``: the money calls'
``Idempotency-Key``) or answer in other media types than JSON (the ledger export)."""

from __future__ import annotations

import datetime
import sys
import types

import httpx
import pytest
from pydantic import Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount

from fupin.core.endpoints import Endpoint
from fupin.core.http_errors import exception_handlers
from fupin.core.openapi import build_document
from fupin.core.policy import PUBLIC
from fupin.core.schemas import Body, Headers, Out, invalid_input


class TraceHeaders(Headers):
    trace: str | None = Field(None, alias="X-Trace-Id", max_length=8, description="Any id")


class Echo(Out):
    trace: str | None


async def echo(request: Request, *, headers: TraceHeaders) -> Echo:
    return Echo(trace=headers.trace)


async def text(request: Request) -> Response:
    return PlainTextResponse("a,b\r\n", media_type="text/csv")


async def not_a_response(request: Request) -> str:
    return "a,b"


ECHO = Endpoint("GET", "/echo", echo, "Echo", headers=TraceHeaders, response=Echo, action=PUBLIC)
TEXT = Endpoint(
    "GET",
    "/text",
    text,
    "Text",
    response=str,
    media_types=("text/csv", "application/x-ndjson"),
    action=PUBLIC,
)


def _client(*endpoints: Endpoint) -> httpx.AsyncClient:
    """The endpoints under /api/ (where errors are answered as JSON)."""
    api = Starlette(routes=[e.route() for e in endpoints], exception_handlers=exception_handlers())
    app = Starlette(routes=[Mount("/api", app=api)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api")


async def test_a_header_is_read_by_its_name_whatever_its_case() -> None:
    async with _client(ECHO) as client:
        assert (await client.get("/echo")).json() == {"trace": None}
        sent = await client.get("/echo", headers={"x-trace-id": "abc"})
        assert sent.json() == {"trace": "abc"}
        bad = await client.get("/echo", headers={"X-Trace-Id": "far-too-long"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "X-Trace-Id"
    assert bad.json()["error"]["code"] == "too_long"


def test_headers_are_documented_as_header_parameters_and_count_as_input() -> None:
    assert 422 in ECHO.error_statuses
    name = "tests_fake_headers_api"
    module = types.ModuleType(name)
    module.__dict__["endpoints"] = [ECHO, TEXT]
    sys.modules[name] = module
    try:
        document = build_document([name])
    finally:
        del sys.modules[name]
    (param,) = document["paths"]["/echo"]["get"]["parameters"]
    assert param == {
        "name": "X-Trace-Id",
        "in": "header",
        "required": False,
        "schema": {"maxLength": 8, "type": "string"},
        "description": "Any id",
    }
    assert "TraceHeaders" not in document["components"]["schemas"]
    content = document["paths"]["/text"]["get"]["responses"]["200"]["content"]
    assert content == {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    }


async def test_an_endpoint_of_another_media_type_answers_with_its_response() -> None:
    async with _client(TEXT) as client:
        answer = await client.get("/text")
    assert answer.headers["content-type"].startswith("text/csv") and answer.text == "a,b\r\n"
    wrong = Endpoint(
        "GET", "/x", not_a_response, "x", response=str, media_types=("text/csv",), action=PUBLIC
    )
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    with pytest.raises(TypeError, match="return a Response"):
        await wrong.serve(request)


def test_a_number_for_a_date_is_a_wrong_type_and_bad_text_a_bad_format() -> None:
    class Dated(Body):
        day: datetime.date

    def codes(raw: str) -> list[tuple[str, str]]:
        with pytest.raises(ValidationError) as caught:
            Dated.model_validate_json(raw)
        return [(e.field, e.code) for e in invalid_input(caught.value).errors]

    assert codes('{"day": 20260301}') == [("day", "wrong_type")]
    assert codes('{"day": "2026-13-01"}') == [("day", "bad_format")]
