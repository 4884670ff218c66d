"""The one money grammar and the one set of formats (core.money): every form, CLI and import
reads amounts with parse_yuan, every page shows them with format_yuan / format_wan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.core.money import (
    MAX_ABS_FEN,
    budget_text,
    decimal_yuan,
    format_wan,
    format_yuan,
    input_yuan,
    number_text,
    parse_optional_yuan,
    parse_yuan,
    plain_yuan,
)
from fupin.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("50000", 5_000_000),
        ("50,000.00", 5_000_000),
        ("¥12.5", 1250),
        ("￥12.50元", 1250),
        (" 0.01 ", 1),
        ("1,234,567.89", 123_456_789),
        ("100万", 100_000_000),
        ("1.5万元", 1_500_000),
        ("0.000001万", 1),
    ],
)
def test_the_grammar_reads_what_people_type(text: str, fen: int) -> None:
    assert parse_yuan(text, field="amount") == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1e3", "not_numeric"),
        ("1,2,3", "not_numeric"),
        ("12,34.5", "not_numeric"),
        ("1.234", "too_many_decimals"),
        ("0.0000001万", "too_many_decimals"),
        ("五千", "not_numeric"),
        ("inf", "not_numeric"),
        ("NaN", "not_numeric"),
        ("", "required"),
        ("-5", "negative"),
        ("20000000000000", "too_large"),
    ],
)
def test_anything_else_is_refused_naming_the_field(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_yuan(text, field="target_yuan")
    assert (caught.value.field, caught.value.code) == ("target_yuan", code)


def test_a_number_instead_of_text_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_yuan(1000, field="amount")  # type: ignore[arg-type]
    assert caught.value.code == "not_text"


def test_negative_amounts_only_where_allowed_and_empty_only_where_optional() -> None:
    assert parse_yuan("-200万", field="profit", allow_negative=True) == -200_000_000
    assert parse_yuan("−1.5", field="profit", allow_negative=True) == -150
    assert parse_optional_yuan("  ", field="min_money") is None


@given(st.integers(min_value=-MAX_ABS_FEN, max_value=MAX_ABS_FEN))
def test_every_format_reads_back_exactly(fen: int) -> None:
    for text in (format_yuan(fen), plain_yuan(fen), input_yuan(fen)):
        assert parse_yuan(text, field="amount", allow_negative=True) == fen
    assert decimal_yuan(fen) == Decimal(fen) / 100


@pytest.mark.parametrize(
    ("value", "text"), [(1000, "1000"), (1000.0, "1000"), (12.5, "12.5"), (0.1, "0.1")]
)
def test_spreadsheet_numbers_become_the_digits_they_show(value: float, text: str) -> None:
    assert number_text(value) == text


def test_formats() -> None:
    assert format_yuan(123_456_789) == "¥1,234,567.89"
    assert format_yuan(-5) == "-¥0.05"
    assert format_yuan(1_200_000, symbol=False, cents=False) == "12,000"
    assert plain_yuan(-200_000_000) == "-2000000.00"
    assert input_yuan(1250) == "12.50"
    assert input_yuan(1200) == "12"
    assert format_wan(1_234_500) == "1.23万元"
    assert format_wan(1_235_000) == "1.24万元"  # half-up
    assert format_wan(12_345_678_900) == "1.23亿元"
    assert format_wan(12_345_678_900, with_unit=False) == "1.23亿"
    assert format_wan(99_99) == "¥99.99"
    assert format_wan(-5_000_000) == "-5万元"


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(864_000_00, "86.4万元"), (30_500_00, "3.05万元"), (161_490_00, "161490元")],
)
def test_budget_text_never_rounds(fen: int, shown: str) -> None:
    assert budget_text(fen) == shown
