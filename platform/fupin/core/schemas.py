"""The schema base classes of the JSON API, and pydantic's validation errors in our words.

Every request and response of /api/v1 is a pydantic v2 model declared once, in its area's
``schemas.py``, and used three ways: to validate input (``core/jsonapi.py``), to write the JSON
response (``core/endpoints.py``) and to generate the OpenAPI document (``core/openapi.py``).

- ``Body``: a JSON request body. Strict (a string is never an integer, ``true`` is never 1) and
  closed (an unknown field is an error), as the hand validators were.
- ``Query`` / ``PathParams``: query and path parameters. They arrive as text, so they are parsed
  leniently ("20" is 20); unknown query parameters are ignored (``lang``, cache busters).
- ``Headers``: request headers an endpoint reads (``Idempotency-Key``), by their names as aliases.
- ``Out``: a response. Built from ORM objects or dataclasses by attribute
  (``from_attributes``), so a handler may return the row itself; a field whose attribute has
  another name says so with ``validation_alias`` (``parent_code`` ← ``parent_id``).
- ``Page[T]``: the paginated envelope ``{items, total, page, per_page}``.
- ``Error``: the one error shape ``{"error": {"code", "message", "field"}}`` (+ ``errors``).

``invalid_input`` turns a ``ValidationError`` into ``InvalidInput`` with one ``FieldError`` per
problem: the field as a path (``items[0].name``), a stable code and a Chinese message through
gettext — pydantic's English messages never reach users. A validator that needs its own rule
raises ``PydanticCustomError(code, message)`` with an already translated message; its code and
message are passed through as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from fupin.core.convertors import MAX_ID
from fupin.core.identifiers import IdentifierError, validate_uscc
from fupin.core.money import number_text, parse_optional_yuan, parse_yuan
from fupin.errors import FieldError, InvalidInput
from fupin.i18n import N_, _

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: A database id in a path, a query or a body: 1 to PostgreSQL's ``integer`` maximum (the
#: tables' keys are ``IntField``s; a larger value overflowed the database driver, a 500). The
#: HTML routes' ``{…:id}`` convertor has the same bound (``core/convertors.py``).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

#: A region code as given: 2 to 12 digits (GB/T 2260 province, prefecture and county codes have
#: 6, NBS township codes 9, village codes 12; a 2-digit province prefix filters). Longer text
#: reached the 12-character column and Tortoise refused it with a 500.
RegionCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=12,
        pattern=r"^[0-9]{2,12}$",
        description="Region code (2–12 digits: province, prefecture, county 6; village 12)",
    ),
]


def _uscc(value: str) -> str:
    """The USCC's format and check character (``core.identifiers.validate_uscc``, normalised);
    empty text is no code."""
    if not value.strip():
        return ""
    try:
        return validate_uscc(value)
    except IdentifierError as exc:
        raise PydanticCustomError(exc.code, exc.message) from None


#: A Unified Social Credit Code (GB 32100-2015), checked and normalised (upper case, full-width
#: characters folded) before any handler runs: a malformed code raised ``IdentifierError`` from
#: the service, a 500. Empty text means "none".
Uscc = Annotated[
    str,
    Field(max_length=18, description="Unified social credit code (GB 32100-2015)"),
    AfterValidator(_uscc),
]


class Body(BaseModel):
    """A JSON request body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query parameters: text parsed leniently, unknown parameters ignored; an empty value
    (``?level=``, what an empty select submits) counts as absent."""

    model_config = ConfigDict(extra="ignore")


class PageQuery(Query):
    """``page`` and ``per_page`` with the bounds every list has; an area that needs another
    maximum redeclares ``per_page``."""

    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(20, ge=1, le=100)


class Headers(BaseModel):
    """Request headers an endpoint reads: text, parsed leniently; every other header is ignored.
    Each field's alias is the header's name as documented (``Idempotency-Key``); headers are
    matched without regard to case."""

    model_config = ConfigDict(extra="ignore")


class PathParams(BaseModel):
    """The parameters in a path template; each one is required."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body. Closed, so the document promises exactly what is written."""

    model_config = ConfigDict(
        extra="forbid", from_attributes=True, validate_by_name=True, validate_by_alias=True
    )


class Page(Out, Generic[T]):
    """One page of a list: the items, how many there are in all, and which page this is."""

    items: list[T]
    total: int
    page: int
    per_page: int


class ErrorDetail(BaseModel):
    """One problem: a stable code, a message for people, and the field it concerns."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    field: str | None = None


class ErrorBody(ErrorDetail):
    """The first problem; ``errors`` lists every problem when there are several. Some errors
    carry more keys (a conflict's current state, for example)."""

    errors: list[ErrorDetail] | None = None


class Error(BaseModel):
    """Every error response of the API."""

    error: ErrorBody


# ---- pydantic errors → our codes and messages -----------------------------------------------

#: Our code and message for each pydantic error type. Messages are msgids (Chinese is the
#: source language); ``%(name)s`` takes the value from the error's context.
_TYPE = ("wrong_type", N_("字段类型不正确。"))
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", N_("缺少必填字段。")),
    "extra_forbidden": ("unknown_field", N_("未知字段。")),
    "string_type": ("wrong_type", N_("字段必须是字符串。")),
    "string_unicode": ("wrong_type", N_("字段必须是字符串。")),
    "int_type": ("wrong_type", N_("字段必须是整数。")),
    "int_parsing": ("wrong_type", N_("字段必须是整数。")),
    "int_from_float": ("wrong_type", N_("字段必须是整数。")),
    "int_parsing_size": ("out_of_range", N_("数值超出范围。")),
    "bool_type": ("wrong_type", N_("字段必须是 true 或 false。")),
    "bool_parsing": ("wrong_type", N_("字段必须是 true 或 false。")),
    "float_type": ("wrong_type", N_("字段必须是数字。")),
    "float_parsing": ("wrong_type", N_("字段必须是数字。")),
    "decimal_type": ("wrong_type", N_("字段必须是数字。")),
    "decimal_parsing": ("wrong_type", N_("字段必须是数字。")),
    "finite_number": ("wrong_type", N_("字段必须是数字。")),
    "list_type": ("wrong_type", N_("字段必须是列表。")),
    "tuple_type": ("wrong_type", N_("字段必须是列表。")),
    "set_type": ("wrong_type", N_("字段必须是列表。")),
    "dict_type": ("wrong_type", N_("字段必须是对象。")),
    "model_type": ("wrong_type", N_("字段必须是对象。")),
    "model_attributes_type": ("wrong_type", N_("字段必须是对象。")),
    # ``*_type``: not a string at all (a JSON number), so a wrong type; ``*_parsing``: a string
    # that is no date, so a bad format. The message says what is expected either way.
    "date_type": ("wrong_type", N_("日期格式应为 YYYY-MM-DD。")),
    "date_parsing": ("bad_format", N_("日期格式应为 YYYY-MM-DD。")),
    "date_from_datetime_parsing": ("bad_format", N_("日期格式应为 YYYY-MM-DD。")),
    "date_from_datetime_inexact": ("bad_format", N_("日期格式应为 YYYY-MM-DD。")),
    "datetime_type": (
        "wrong_type",
        N_("日期时间格式应为 ISO 8601，如 2024-05-01T08:00:00+08:00。"),
    ),
    "datetime_parsing": (
        "bad_format",
        N_("日期时间格式应为 ISO 8601，如 2024-05-01T08:00:00+08:00。"),
    ),
    "datetime_from_date_parsing": (
        "bad_format",
        N_("日期时间格式应为 ISO 8601，如 2024-05-01T08:00:00+08:00。"),
    ),
    "string_pattern_mismatch": ("bad_format", N_("格式不正确。")),
    "uuid_parsing": ("bad_format", N_("格式不正确。")),
    "uuid_type": ("bad_format", N_("格式不正确。")),
    "string_too_long": ("too_long", N_("不能超过 %(max_length)s 个字符。")),
    "string_too_short": ("too_short", N_("至少需要 %(min_length)s 个字符。")),
    "too_long": ("too_long", N_("最多 %(max_length)s 项。")),
    "too_short": ("too_short", N_("至少需要 %(min_length)s 项。")),
    "greater_than": ("out_of_range", N_("必须大于 %(gt)s。")),
    "greater_than_equal": ("out_of_range", N_("不能小于 %(ge)s。")),
    "less_than": ("out_of_range", N_("必须小于 %(lt)s。")),
    "less_than_equal": ("out_of_range", N_("不能大于 %(le)s。")),
    "multiple_of": ("out_of_range", N_("必须是 %(multiple_of)s 的倍数。")),
    "literal_error": ("invalid_choice", N_("不是可选的取值：%(input)s")),
    "enum": ("invalid_choice", N_("不是可选的取值：%(input)s")),
    "json_invalid": ("bad_json", N_("请求体不是合法的 JSON。")),
}
#: Where the whole body is wrong (not an object), the message says so.
_ROOT_MESSAGES = {
    "model_type": ("bad_json", N_("请求体必须是 JSON 对象。")),
    "model_attributes_type": ("bad_json", N_("请求体必须是 JSON 对象。")),
    "dict_type": ("bad_json", N_("请求体必须是 JSON 对象。")),
}
_EMPTY = ("too_short", N_("不能为空。"))
_FALLBACK = ("invalid", N_("输入无效。"))
#: pydantic's own error types; any other type comes from a ``PydanticCustomError`` of ours.
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))


def field_path(loc: tuple[str | int, ...], *, root: str = "body") -> str:
    """``("items", 0, "name")`` → ``items[0].name``; the empty location is ``root``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or root


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def field_error(error: ErrorDetails, *, root: str = "body") -> FieldError:
    """One pydantic error as a ``FieldError``: our code, our (translated) message."""
    kind = error["type"]
    field = field_path(error["loc"], root=root)
    if kind not in _PYDANTIC_TYPES:  # PydanticCustomError: our code, a translated message
        return FieldError(field, error["msg"], kind)
    ctx = error.get("ctx", {})
    if not error["loc"] and kind in _ROOT_MESSAGES:
        code, message = _ROOT_MESSAGES[kind]
    elif kind == "string_too_short" and ctx.get("min_length") == 1:
        code, message = _EMPTY
    elif kind.endswith(("_type", "_parsing")) and kind not in _MESSAGES:
        code, message = _TYPE
    else:
        code, message = _MESSAGES.get(kind, _FALLBACK)
    params = {k: v for k, v in ctx.items() if f"%({k})s" in message}
    if "%(input)s" in message:
        params["input"] = _shown(error.get("input"))
    return FieldError(field, _(message, **params), code)


def invalid_input(exc: ValidationError, *, root: str = "body") -> InvalidInput:
    """The 422 for a failed validation: every problem, the first one on top."""
    errors = [field_error(e, root=root) for e in exc.errors(include_url=False)]
    return InvalidInput(errors=errors, code=errors[0].code)


def validate(schema: type[M], data: Any, *, context: Mapping[str, Any] | None = None) -> M:
    """``data`` (Python values: parameters, a parsed document) as ``schema``; a failure is
    ``InvalidInput`` (422). ``context`` reaches the schema's validators (``info.context``)."""
    try:
        return schema.model_validate(data, context=context)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def validate_form(
    schema: type[M], data: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> M:
    """An HTML form's values as the same schema the JSON API validates: one contract for both
    doors. Form fields arrive as text, so they are parsed leniently ("20" is 20); an empty
    field counts as absent; fields the schema does not name (``csrf_token``, buttons) are left
    out. A failure is ``InvalidInput`` naming the form field. ``context`` reaches the schema's
    validators (``info.context``)."""
    fields = {f.alias or name for name, f in schema.model_fields.items()}
    values = {k: v for k, v in data.items() if k in fields and v not in ("", None)}
    try:
        return schema.model_validate(values, strict=False, context=context)
    except ValidationError as exc:
        raise invalid_input(exc, root="form") from None


def typed_yuan(
    *, allow_negative: bool = False, numbers: bool = False, required: bool = False
) -> Callable[[Any], Any]:
    """A pydantic before-validator for an amount a person types in yuan: the one money grammar
    (``core.money.parse_yuan``) to integer fen, its refusal keeping its code and message. Empty
    text is 0 (a blank field), or refused when ``required``. ``numbers``: also a spreadsheet's
    number cell (the digits it shows). Use as ``Annotated[int, BeforeValidator(typed_yuan())]``."""

    def read(value: Any) -> Any:
        if numbers and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            value = number_text(value)
        if not isinstance(value, str):
            if numbers:
                raise PydanticCustomError("wrong_type", _("金额必须是数字。"))
            return value
        try:
            if required:
                return parse_yuan(value, field="", allow_negative=allow_negative)
            amount = parse_optional_yuan(value, field="", allow_negative=allow_negative)
        except InvalidInput as exc:
            raise PydanticCustomError(exc.code, exc.message) from None
        return amount or 0

    return read
