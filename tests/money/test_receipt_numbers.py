"""Platform receipt numbers, gapless serial checks and receipt labels (docs/domain.md §3.6, docs/rules.md §3)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.money.rules.receipt_numbers import (
    ReceiptNumber,
    ReceiptNumberError,
    SerialIssue,
    check_gapless,
    format_receipt_number,
    is_valid_receipt_number,
    parse_receipt_number,
    receipt_status_label,
)

PROPERTY = settings(max_examples=60, deadline=None, database=None)
ISSUER_CODES = st.from_regex(r"[0-9A-Z]{2,18}", fullmatch=True)


def test_number_is_issuer_year_and_six_digit_serial():
    assert format_receipt_number("91110108551385082Q", 2025, 42) == "91110108551385082Q-2025-000042"
    assert parse_receipt_number("91110108551385082Q-2025-000042") == ReceiptNumber(
        "91110108551385082Q", 2025, 42
    )


def test_serials_beyond_six_digits_grow_instead_of_wrapping():
    assert format_receipt_number("CFPA", 2025, 1_234_567) == "CFPA-2025-1234567"
    assert parse_receipt_number("CFPA-2025-1234567").serial == 1_234_567


@PROPERTY
@given(ISSUER_CODES, st.integers(2000, 9999), st.integers(1, 9_999_999_999))
def test_format_and_parse_are_inverse(issuer_code: str, year: int, serial: int):
    text = format_receipt_number(issuer_code, year, serial)
    assert parse_receipt_number(text) == ReceiptNumber(issuer_code, year, serial)
    assert str(parse_receipt_number(text)) == text


def test_numbers_sort_by_issuer_then_year_then_serial():
    numbers = [
        ReceiptNumber("AB", 2025, 10),
        ReceiptNumber("AB", 2024, 99),
        ReceiptNumber("AB", 2025, 9),
    ]
    assert [str(n) for n in sorted(numbers)] == [
        "AB-2024-000099",
        "AB-2025-000009",
        "AB-2025-000010",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ab-2025-000042", "格式"),  # lower case
        ("A-2025-000042", "格式"),  # issuer code too short
        ("1234567890123456789-2025-000042", "格式"),  # 19 characters
        ("AB-25-000042", "格式"),
        ("AB-2025-42", "格式"),  # serial not padded
        ("AB-2025-00042", "格式"),
        ("AB-2025-0000042", "前导零"),  # padded beyond six digits
        ("AB-2025-000000", "序号"),
        ("AB-1999-000001", "年份"),
        ("AB-２０２５-000001", "格式"),  # full-width digits
        (" AB-2025-000001", "格式"),
        ("AB-2025-000001\n", "格式"),
        ("AB_2025_000001", "格式"),
        ("AB-2025-000001-1", "格式"),
        ("", "格式"),
    ],
)
def test_anything_but_the_exact_printed_form_is_refused_with_the_reason(text: str, message: str):
    with pytest.raises(ReceiptNumberError, match=message):
        parse_receipt_number(text)
    assert not is_valid_receipt_number(text)


@pytest.mark.parametrize(
    ("issuer_code", "year", "serial", "message"),
    [
        ("a1", 2025, 1, "开票单位代码"),
        ("AB-C", 2025, 1, "开票单位代码"),
        ("AB", 10_000, 1, "年份"),
        ("AB", True, 1, "年份"),
        ("AB", 2025, 0, "序号"),
        ("AB", 2025, -3, "序号"),
        ("AB", 2025, 10_000_000_000, "序号"),
        ("AB", 2025, True, "序号"),
    ],
)
def test_formatting_refuses_invalid_parts(issuer_code: str, year: int, serial: int, message: str):
    with pytest.raises(ReceiptNumberError, match=message):
        format_receipt_number(issuer_code, year, serial)


# --- gapless ------------------------------------------------------------------------------------


def test_serials_one_to_n_are_gapless():
    assert check_gapless(range(1, 501)) == []
    assert check_gapless(reversed(range(1, 501)), expected_last=500) == []
    assert check_gapless([]) == []


def test_missing_serials_are_reported_as_ranges_and_duplicates_with_their_count():
    assert check_gapless([1, 2, 2, 5, 9, 9, 9]) == [
        SerialIssue("duplicate", 2, 2, 2),
        SerialIssue("missing", 3, 4, 2),
        SerialIssue("missing", 6, 8, 3),
        SerialIssue("duplicate", 9, 9, 3),
    ]


def test_a_missing_tail_is_found_only_against_the_expected_last_serial():
    assert check_gapless([1, 2, 3]) == []
    assert check_gapless([1, 2, 3], expected_last=5) == [SerialIssue("missing", 4, 5, 2)]
    assert check_gapless([], expected_last=2) == [SerialIssue("missing", 1, 2, 2)]
    assert check_gapless([1, 2, 7], expected_last=2) == [SerialIssue("unexpected", 7, 7, 1)]


def test_one_stray_huge_serial_gives_one_range_not_a_billion_entries():
    assert check_gapless([1, 10**9]) == [SerialIssue("missing", 2, 10**9 - 1, 10**9 - 2)]


@pytest.mark.parametrize("bad", [0, -1, True, "3"])
def test_serials_must_be_positive_integers(bad: object):
    with pytest.raises(ValueError, match="positive integers"):
        check_gapless([1, bad])  # type: ignore[list-item]


@PROPERTY
@given(st.lists(st.integers(1, 60), max_size=80), st.integers(0, 70))
def test_reported_issues_describe_exactly_what_differs_from_one_to_n(
    serials: list[int], expected_last: int
):
    issues = check_gapless(serials, expected_last=expected_last)
    counts = Counter(serials)
    missing = {n for i in issues if i.kind == "missing" for n in range(i.first, i.last + 1)}
    duplicate = {i.first: i.count for i in issues if i.kind == "duplicate"}
    unexpected = {i.first: i.count for i in issues if i.kind == "unexpected"}
    assert missing == set(range(1, expected_last + 1)) - set(counts)
    assert duplicate == {n: c for n, c in counts.items() if c > 1 and n <= expected_last}
    assert unexpected == {n: c for n, c in counts.items() if n > expected_last}
    assert all(i.count == i.last - i.first + 1 for i in issues if i.kind == "missing")
    assert [i.first for i in issues] == sorted(i.first for i in issues)


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("official", "voided", "duplicate", "labels"),
    [
        (True, False, False, []),
        (False, False, False, ["非税前扣除凭证"]),
        (True, True, False, ["已作废"]),
        (True, False, True, ["副本"]),
        (False, True, True, ["已作废", "非税前扣除凭证", "副本"]),
        (False, False, True, ["非税前扣除凭证", "副本"]),
    ],
)
def test_receipt_labels_follow_official_numbers_void_and_copy(
    official: bool, voided: bool, duplicate: bool, labels: list[str]
):
    assert receipt_status_label(official, voided, duplicate) == labels
