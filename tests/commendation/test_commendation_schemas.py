"""The commendation schemas (commendation/schemas.py): a missing field is said in the sentence
the service says, with the code ``required``, whichever door it came through; the office's forms
take yuan text and percentages and give fen and basis points."""

from __future__ import annotations

import pytest

from fupin.commendation.schemas import (
    CommendationCategoryChoiceForm,
    CommendationObjectionCreate,
    CommendationResolution,
    CommendationRoundCreate,
    CommendationRoundForm,
)
from fupin.core.schemas import validate, validate_form
from fupin.errors import InvalidInput


def _problems(schema, data, *, form: bool = False) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        (validate_form if form else validate)(schema, data)
    return [(e.field, e.code, e.message) for e in caught.value.errors]


def test_missing_fields_are_said_in_our_sentence_other_problems_in_the_shared_ones() -> None:
    assert _problems(CommendationResolution, {"decision": "maybe", "x": 1}) == [
        ("decision", "invalid_choice", "不是可选的取值：maybe"),
        ("resolution", "required", "请填写核实情况和处理意见（不超过 5000 字）。"),
        ("x", "unknown_field", "未知字段。"),
    ]
    assert _problems(CommendationObjectionCreate, {"nomination_id": 0, "name": "x" * 65}) == [
        ("nomination_id", "out_of_range", "不能小于 1。"),
        ("name", "too_long", "不能超过 64 个字符。"),
        ("contact", "required", "请填写联系电话或地址，便于核实回复（不超过 128 字）。"),
        ("content", "required", "请具体说明异议的事实和理由（10 至 5000 字）。"),
    ]
    # Nested problems keep their paths; a body that is not an object is said so.
    assert _problems(
        CommendationRoundCreate,
        {"first_year": 2021, "last_year": 2025, "categories": [{"award_type": "x"}]},
    )[:2] == [
        ("title", "required", "请填写表彰轮次名称（不超过 120 字）。"),
        ("categories[0].award_type", "invalid_choice", "不是可选的取值：x"),
    ]
    with pytest.raises(InvalidInput) as caught:
        validate(CommendationResolution, [1])
    assert caught.value.errors[0].field == "body"


def test_the_category_form_gives_fen_and_basis_points() -> None:
    form = validate_form(
        CommendationCategoryChoiceForm,
        {"category": "dedication:individual", "quota": " 2 ", "min_money": "¥1,000.50",
         "min_honour": "62.5%", "min_completed": "", "csrf_token": "t"},
    )  # fmt: skip
    assert form.award_line == ("dedication", "individual")
    assert (form.quota, form.min_money, form.min_honour, form.min_completed) == (2, 100050, 6250, 0)
    assert _problems(
        CommendationCategoryChoiceForm,
        {"category": "contribution:individual", "quota": "2.5", "min_money": "-1"},
        form=True,
    ) == [
        ("category", "invalid_choice", "请选择类别。"),
        ("quota", "not_integer", "请填写整数。"),
        ("min_money", "negative", "金额不能为负数。"),
    ]


def test_the_round_form_says_which_field_is_missing() -> None:
    assert [p[:2] for p in _problems(CommendationRoundForm, {"title": ""}, form=True)] == [
        ("title", "required"),
        ("first_year", "required"),
        ("last_year", "required"),
        ("notice_working_days", "required"),
    ]
