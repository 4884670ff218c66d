"""A need's content as drafted and edited: one definition of each rule, whichever door the need
comes through. The JSON API takes ``NeedCreate`` / ``NeedPatch`` (money in integer fen, strict
JSON); the drafting form and a spreadsheet row take ``NeedForm``, the same schema with the
amounts as yuan text (``core.money.parse_yuan``) and text parsed leniently. Every rule names its
field with the message people have always read ("标题须为 4–60 个字。").

The deadline must lie after today and within three years. "Today" is the validation context's
``today`` (the services and the importer pass the day they check against; tests fix it), else
the China calendar day now: a validator rather than a later check in the service, so that a
bad deadline is reported together with every other bad field of the same form, row or body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

from fupin.core.clock import today_cn
from fupin.core.schemas import Body, typed_yuan
from fupin.i18n import N_, _
from fupin.needs.rules import (
    MAX_DEADLINE_DAYS,
    MAX_DESCRIPTION,
    MAX_EXTERNAL_REF,
    MAX_HOUSEHOLDS,
    MAX_ITEM_NAME,
    MAX_ITEM_QUANTITY,
    MAX_ITEM_UNIT,
    MAX_ITEM_VALUE_FEN,
    MAX_ITEMS,
    MAX_PEOPLE,
    MAX_TARGET_FEN,
    MAX_TITLE,
    MIN_DESCRIPTION,
    MIN_TARGET_FEN,
    MIN_TITLE,
    YUAN,
    clean_text,
)
from fupin.needs.schemas.choices import CategoryCode

# ---- the rules of a need's fields ----------------------------------------------------------------


def _text(low: int, high: int, message: str, *, one_line: bool = False, **params: Any) -> Any:
    """Text cleaned (``rules.clean_text``), then ``low``–``high`` characters long; refused with
    ``message`` (a msgid, formatted with ``params``)."""

    def check(value: str) -> str:
        text = clean_text(value, one_line=one_line)
        if not low <= len(text) <= high:
            raise PydanticCustomError("bad_length", _(message, **params))
        return text

    limits = {"maxLength": high} | ({"minLength": low} if low else {})
    return Annotated[str, AfterValidator(check), Field(json_schema_extra=limits)]


def _grouped_digits(value: Any) -> Any:
    """Form and spreadsheet text "1,200" is 1200; JSON text stays text (a wrong type)."""
    return clean_text(value).replace(",", "") if isinstance(value, str) else value


def _whole(label: str, low: int, high: int) -> Any:
    """An integer within ``low``–``high``, refused as "<label>必须是整数。" or "<label>须在 …
    之间。"."""

    def check(value: Any, handler: Callable[[Any], int]) -> int:
        try:
            return handler(value)
        except ValidationError as exc:
            kinds = {e["type"] for e in exc.errors()}
            if kinds & {"greater_than_equal", "less_than_equal"}:
                raise PydanticCustomError(
                    "out_of_range",
                    _("%(label)s须在 %(low)s–%(high)s 之间。", label=_(label), low=low, high=high),
                ) from None
            raise PydanticCustomError(
                "wrong_type", _("%(label)s必须是整数。", label=_(label))
            ) from None

    return Annotated[
        int, Field(ge=low, le=high), WrapValidator(check), BeforeValidator(_grouped_digits)
    ]


def _item_value(fen: int) -> int:
    if not 1 <= fen <= MAX_ITEM_VALUE_FEN:
        raise PydanticCustomError(
            "out_of_range", _("单价须在 0.01–%(max)s 元之间。", max=MAX_ITEM_VALUE_FEN // YUAN)
        )
    return fen


def _region_code(value: str) -> str:
    code = clean_text(value)
    if not (code.isascii() and code.isdigit() and len(code) in (6, 12)):
        raise PydanticCustomError(
            "bad_format", _("请选择需求所在的村（12 位代码）或县（6 位代码）。")
        )
    return code


def _category(value: Any, handler: Callable[[Any], str]) -> str:
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError("invalid_choice", _("请选择十项重点工作之一或“其他”。")) from None


def _at_most_items(value: Any, handler: Callable[[Any], list[Any]]) -> list[Any]:
    try:
        return handler(value)
    except ValidationError as exc:
        if any(e["type"] == "too_long" and not e["loc"] for e in exc.errors()):
            raise PydanticCustomError("too_many", _("物资最多 %(n)d 项。", n=MAX_ITEMS)) from None
        raise


def _form_date(value: Any) -> Any:
    """A date typed into a form or a spreadsheet: 2026/06/30 and 2026.06.30 are read too."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = clean_text(value).replace("/", "-").replace(".", "-")
        if not text:
            raise PydanticCustomError("required", _("请填写截止日期。"))
        return text
    return value


RegionCode = Annotated[
    str,
    AfterValidator(_region_code),
    Field(
        json_schema_extra={"pattern": "^([0-9]{6}|[0-9]{12})$"},
        description="12-digit village code, or 6-digit county code for a county-wide need",
    ),
]
Category = Annotated[CategoryCode, WrapValidator(_category)]
Title = _text(MIN_TITLE, MAX_TITLE, N_("标题须为 %(a)d–%(b)d 个字。"), one_line=True,
              a=MIN_TITLE, b=MAX_TITLE)  # fmt: skip
Description = _text(
    MIN_DESCRIPTION,
    MAX_DESCRIPTION,
    N_("需求说明须为 %(a)d–%(b)d 个字：写明村情、建设内容、预算测算和受益群众。"),
    a=MIN_DESCRIPTION,
    b=MAX_DESCRIPTION,
)
ExternalRef = _text(0, MAX_EXTERNAL_REF, N_("项目编号最多 64 个字符。"))
TargetFen = _whole(N_("目标金额（分）"), 0, MAX_TARGET_FEN)
Households = _whole(N_("受益户数"), 0, MAX_HOUSEHOLDS)
People = _whole(N_("受益人数"), 0, MAX_PEOPLE)
Yuan = Annotated[int, BeforeValidator(typed_yuan(allow_negative=True, numbers=True, required=True))]
FormDate = Annotated[date, BeforeValidator(_form_date)]
ItemName = _text(1, MAX_ITEM_NAME, N_("物资名称须为 1–64 个字。"))
ItemUnit = _text(1, MAX_ITEM_UNIT, N_("单位须为 1–16 个字。"))
Quantity = _whole(N_("数量"), 1, MAX_ITEM_QUANTITY)
UnitValueFen = _whole(N_("单价（分）"), 1, MAX_ITEM_VALUE_FEN)
UnitValueYuan = Annotated[
    int,
    AfterValidator(_item_value),
    BeforeValidator(typed_yuan(allow_negative=True, numbers=True, required=True)),
]


class NeedItemInput(Body):
    """An in-kind item: what, how many, in which unit, at what value each (fen)."""

    name: ItemName
    quantity: Quantity
    unit: ItemUnit
    unit_value_fen: UnitValueFen

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_value_fen


class NeedItemForm(NeedItemInput):
    """An item row of the form or the import: the value each in yuan text."""

    unit_value_fen: UnitValueYuan = Field(alias="unit_value_yuan")


class NeedCreate(Body):
    """A need's content. A target of 0 with in-kind items takes the items' total value (docs/domain.md
    §3.4: "a money target and/or in-kind items"; the donor may give money or the goods).

    One of the beneficiary figures is required (the validator refuses neither); the document
    says so as ``anyOf`` (a client generator or validator sees the rule, not only the prose)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["beneficiary_households"],
                    "properties": {"beneficiary_households": {"minimum": 1}},
                },
                {
                    "required": ["beneficiary_people"],
                    "properties": {"beneficiary_people": {"minimum": 1}},
                },
            ]
        }
    )

    region_code: RegionCode
    category: Category
    title: Title
    description: Description
    items: Annotated[list[NeedItemInput], WrapValidator(_at_most_items)] = Field(
        [], max_length=MAX_ITEMS
    )
    target_fen: TargetFen = Field(
        0,
        validate_default=True,
        description="Money target in fen (0 with items: the items' total value); "
        f"{MIN_TARGET_FEN}–{MAX_TARGET_FEN} once derived",
    )
    beneficiary_households: Households = 0
    beneficiary_people: People = Field(
        0, validate_default=True, description="At least the households; one of the two needed"
    )
    deadline: date = Field(description="After today, within three years")
    external_ref: ExternalRef = Field(
        "", description="The county's project number, unique in the county"
    )

    @field_validator("target_fen")
    @classmethod
    def _target(cls, target: int, info: ValidationInfo) -> int:
        items: Iterable[NeedItemInput] = info.data.get("items") or ()
        if target == 0:
            target = sum(item.total_fen for item in items)
        if target == 0:
            raise PydanticCustomError("required", _("请填写目标金额或至少一项物资。"))
        if not MIN_TARGET_FEN <= target <= MAX_TARGET_FEN:
            low, high = MIN_TARGET_FEN // YUAN, f"{MAX_TARGET_FEN // YUAN:,}"
            raise PydanticCustomError(
                "out_of_range", _("目标金额须在 %(a)s–%(b)s 元之间。", a=low, b=high)
            )
        return target

    @field_validator("beneficiary_people")
    @classmethod
    def _people(cls, people: int, info: ValidationInfo) -> int:
        households = info.data.get("beneficiary_households")
        if households is None:  # refused itself
            return people
        if households == 0 and people == 0:
            raise PydanticCustomError("required", _("请填写受益人数或受益户数。"))
        if people and households > people:
            raise PydanticCustomError("out_of_range", _("受益人数不能少于受益户数。"))
        return people

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, deadline: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today") or today_cn()
        if deadline <= today:
            raise PydanticCustomError("out_of_range", _("截止日期须晚于今天。"))
        if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
            raise PydanticCustomError("out_of_range", _("截止日期最多在三年之内。"))
        return deadline


class NeedForm(NeedCreate):
    """The drafting form, and one row of a bulk import: amounts in yuan text (``target_yuan``,
    each item's ``unit_value_yuan``), dates as typed. A field left empty is checked by its own
    rule, so the form says what it needs ("标题须为 4–60 个字。", not "required")."""

    model_config = ConfigDict(validate_default=True)

    region_code: RegionCode = ""
    category: Category = ""
    title: Title = ""
    description: Description = ""
    items: Annotated[list[NeedItemForm], WrapValidator(_at_most_items)] = Field(
        [], max_length=MAX_ITEMS
    )
    target_fen: Yuan = Field(0, alias="target_yuan")
    deadline: FormDate = ""

    def patch(self) -> NeedPatch:
        """The form's content as an edit: every field the form has (not the project number)."""
        return NeedPatch.model_validate(self.model_dump(exclude={"external_ref"}))


def _no_defaults(schema: dict[str, Any]) -> None:
    """The fields of a PATCH body have no default: an absent field is unchanged, and ``null``
    is not a value."""
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class NeedPatch(Body):
    """Changes to a need's content, checked together with the fields not given; ``items``
    replaces the whole list. Only while draft or returned (drafting side) or submitted (county
    review)."""

    model_config = ConfigDict(json_schema_extra=_no_defaults)

    region_code: RegionCode = None
    category: Category = None
    title: Title = None
    description: Description = None
    items: Annotated[list[NeedItemInput], WrapValidator(_at_most_items)] = Field(
        None, max_length=MAX_ITEMS
    )
    target_fen: TargetFen = None
    beneficiary_households: Households = None
    beneficiary_people: People = None
    deadline: date = None
    external_ref: ExternalRef = None
