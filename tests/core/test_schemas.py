"""The schema machinery of core: pydantic errors in our words, endpoint declarations, the
generated document, and the response check every API test goes through."""

from __future__ import annotations

import datetime
import sys
import types
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from fupin import i18n
from fupin.core.endpoints import Endpoint
from fupin.core.openapi import build_document
from fupin.core.policy import PUBLIC, SIGNED_IN
from fupin.core.schemas import Body, Out, PageQuery, PathParams, invalid_input
from fupin.errors import InvalidInput
from fupin.i18n import _
from tests.support.contract import check_api_response, contract_problem


class Item(Body):
    name: str = Field(min_length=1, max_length=8)
    quantity: int = Field(ge=1, le=100)


class Order(Body):
    title: str = Field(max_length=4)
    kind: Literal["cash", "goods"] = "cash"
    urgent: bool = False
    due: datetime.date | None = None
    items: list[Item] = Field(default_factory=list, max_length=2)
    code: str = ""

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if value and not value.isdigit():
            raise PydanticCustomError("bad_code", _("编号无效。"))
        return value


def _errors(raw: str) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as caught:
        Order.model_validate_json(raw)
    exc = invalid_input(caught.value)
    assert isinstance(exc, InvalidInput) and exc.status == 422
    return [(e.field, e.code, e.message) for e in exc.errors]


def test_each_problem_is_named_coded_and_said_in_chinese() -> None:
    assert _errors(
        '{"kind": "gold", "urgent": "yes", "due": "2026-13-01", "extra": 1,'
        ' "items": [{"name": "", "quantity": 0}, {"name": 5, "quantity": 1.5, "x": 1}]}'
    ) == [
        ("title", "required", "缺少必填字段。"),
        ("kind", "invalid_choice", "不是可选的取值：gold"),
        ("urgent", "wrong_type", "字段必须是 true 或 false。"),
        ("due", "bad_format", "日期格式应为 YYYY-MM-DD。"),
        ("items[0].name", "too_short", "不能为空。"),
        ("items[0].quantity", "out_of_range", "不能小于 1。"),
        ("items[1].name", "wrong_type", "字段必须是字符串。"),
        ("items[1].quantity", "wrong_type", "字段必须是整数。"),
        ("items[1].x", "unknown_field", "未知字段。"),
        ("extra", "unknown_field", "未知字段。"),
    ]


def test_lengths_bounds_and_strictness() -> None:
    item = '{"name": "n", "quantity": 1}'
    assert _errors(f'{{"title": "too long", "items": [{item}, {item}, {item}]}}') == [
        ("title", "too_long", "不能超过 4 个字符。"),
        ("items", "too_long", "最多 2 项。"),
    ]
    # Strict JSON: a number is not a string, true is not 1, "1" is not 1.
    assert _errors('{"title": 1, "items": [{"name": "n", "quantity": true}]}') == [
        ("title", "wrong_type", "字段必须是字符串。"),
        ("items[0].quantity", "wrong_type", "字段必须是整数。"),
    ]
    assert _errors('{"title": "t", "items": [{"name": "n", "quantity": "1"}]}') == [
        ("items[0].quantity", "wrong_type", "字段必须是整数。"),
    ]


def test_a_custom_rule_keeps_its_code_and_message() -> None:
    assert _errors('{"title": "t", "code": "A1"}') == [("code", "bad_code", "编号无效。")]


def test_a_body_that_is_not_an_object_or_not_json() -> None:
    assert _errors("[1, 2]") == [("body", "bad_json", "请求体必须是 JSON 对象。")]
    assert _errors("{nope") == [("body", "bad_json", "请求体不是合法的 JSON。")]


def test_the_first_problem_is_on_top_with_its_code() -> None:
    with pytest.raises(ValidationError) as caught:
        Order.model_validate_json('{"title": 1}')
    exc = invalid_input(caught.value)
    assert (exc.field, exc.code, exc.message) == ("title", "wrong_type", "字段必须是字符串。")


def test_messages_follow_the_request_language() -> None:
    token = i18n.current_locale.set("en")
    try:
        assert _errors('{"title": "too long", "nope": 1}') == [
            ("title", "too_long", "At most 4 characters."),
            ("nope", "unknown_field", "Unknown field."),
        ]
    finally:
        i18n.current_locale.reset(token)


def test_no_english_from_pydantic_reaches_a_user() -> None:
    """Every error has a message of ours: a type we did not list says "输入无效。" or
    "字段类型不正确。", never pydantic's English."""

    class Everything(BaseModel):
        f: float
        d: datetime.datetime
        u: list[int]
        m: dict[str, int]
        t: tuple[int, int]
        x: bytes

    with pytest.raises(ValidationError) as caught:
        Everything.model_validate_json('{"f": "x", "d": "y", "u": 3, "m": [], "t": [1], "x": 1}')
    problems = invalid_input(caught.value).errors
    assert len(problems) == 6
    for problem, raw in zip(problems, caught.value.errors(), strict=True):
        assert problem.message != raw["msg"]
        assert any("\u4e00" <= c <= "\u9fff" for c in problem.message), problem


async def _handler(request: object, **kwargs: object) -> None:
    return None


class CodePath(PathParams):
    code: str


def test_an_endpoint_must_declare_exactly_the_parameters_of_its_path() -> None:
    with pytest.raises(TypeError, match="path parameters"):
        Endpoint("GET", "/things/{code}", _handler, "A thing", action=PUBLIC)
    with pytest.raises(TypeError, match="path parameters"):
        Endpoint("GET", "/things", _handler, "Things", params=CodePath, action=PUBLIC)
    Endpoint("GET", "/things/{code}", _handler, "A thing", params=CodePath, action=PUBLIC)


def test_error_statuses_follow_from_the_declaration() -> None:
    class Thing(Body):
        name: str

    assert Endpoint("GET", "/a", _handler, "a", action=PUBLIC).error_statuses == [401]
    assert Endpoint("GET", "/a", _handler, "a", query=PageQuery, action=PUBLIC).error_statuses == [
        401,
        422,
    ]
    write = Endpoint(
        "POST", "/a", _handler, "a", body=Thing, auth="required", errors=(409,), action=SIGNED_IN
    )
    assert write.error_statuses == [401, 403, 409, 422]


def _module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: object) -> str:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_the_document_is_generated_from_the_declarations(monkeypatch: pytest.MonkeyPatch) -> None:
    class Thing(Out):
        code: str
        size: int | None

    async def get_thing(request: object, *, path: CodePath) -> Thing:
        return Thing(code=path.code, size=None)

    name = _module(
        monkeypatch,
        "tests_fake_things_api",
        endpoints=[
            Endpoint(
                "GET",
                "/things/{code}",
                get_thing,
                "One thing",
                params=CodePath,
                response=Thing,
                action=PUBLIC,
            )
        ],
    )
    document = build_document([name])
    op = document["paths"]["/things/{code}"]["get"]
    assert op["operationId"] == "get_thing" and op["security"] == []
    assert op["parameters"] == [
        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Thing"
    }
    assert set(op["responses"]) == {"200", "401", "422"}
    schemas = document["components"]["schemas"]
    assert schemas["Thing"]["properties"]["size"] == {"type": ["integer", "null"]}
    assert "CodePath" not in schemas  # spread into the parameters
    assert {"Error", "ErrorBody", "ErrorDetail"} <= set(schemas)


def test_a_converted_module_keeps_no_hand_written_dictionary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = _module(monkeypatch, "tests_fake_mixed_api", endpoints=[], openapi={"/x": {"get": {}}})
    with pytest.raises(TypeError, match="still has openapi"):
        build_document([name])


def test_the_response_check_names_operation_status_and_problem() -> None:
    url = httpx.URL("http://testserver/api/v1/regions/530000")
    good = b'{"error": {"code": "not_found", "message": "m", "field": "code"}}'
    assert contract_problem("GET", url, 404, "application/json", good) is None
    wrong = contract_problem("GET", url, 200, "application/json", b'{"code": 5300}')
    assert wrong is not None
    assert wrong.startswith("GET /api/v1/regions/{code} answered 200")
    assert "5300 is not of type 'string'" in wrong and "'name' is a required property" in wrong
    undocumented = contract_problem("GET", url, 409, "application/json", good)
    assert undocumented is not None and "409" in undocumented
    # The router's own answers (no documented operation) are not the document's business.
    nowhere = httpx.URL("http://testserver/api/v1/nowhere")
    assert contract_problem("GET", nowhere, 404, "application/json", good) is None


async def test_a_response_that_does_not_fit_fails_the_test_that_made_it() -> None:
    request = httpx.Request("GET", "http://testserver/api/v1/regions/530000")
    response = httpx.Response(200, json={"code": "530000", "level": "galaxy"}, request=request)
    with pytest.raises(pytest.fail.Exception, match=r"GET /api/v1/regions/\{code\} answered 200"):
        await check_api_response(response)


async def test_the_client_fixtures_check_every_api_response(client: httpx.AsyncClient) -> None:
    assert check_api_response in client.event_hooks["response"]


def test_a_form_is_validated_by_the_same_schema_leniently_naming_the_field() -> None:
    from fupin.core.schemas import Body, validate_form

    class Thing(Body):
        count: int
        label: str = "none"

    assert validate_form(Thing, {"count": "20", "csrf_token": "t", "label": ""}) == Thing(count=20)
    with pytest.raises(InvalidInput) as caught:
        validate_form(Thing, {"count": "1e3"})
    assert caught.value.field == "count"
