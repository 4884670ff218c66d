"""Pure money rules: amounts typed in yuan, the total in words on receipts, the pledge state
table, schedules, what is due, idempotency keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.money import format_yuan, parse_yuan
from fupin.errors import InvalidInput, InvalidTransition, RuleViolation
from fupin.money.rules.schedules import MAX_AMOUNT_FEN
from fupin.money.rules.states import PLEDGE_MACHINE, PledgeFacts, state_for
from fupin.money.service import idempotency, pledges
from fupin.money.service import queries as money_queries
from fupin.money.service.receipts import amount_in_words


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (1000, "壹拾元整"),
        (10050, "壹佰元伍角整"),
        (10005, "壹佰元零伍分"),
        (100_500, "壹仟零伍元整"),
        (1_020_000, "壹万零贰佰元整"),
        (120_000_000, "壹佰贰拾万元整"),
        (100_000_100, "壹佰万零壹元整"),
        (1_000_010_000, "壹仟万零壹佰元整"),
        (10_000_000_000, "壹亿元整"),
        (10_001_000_000, "壹亿零壹万元整"),
        (10_010_000_000, "壹亿零壹拾万元整"),
        (168_032, "壹仟陆佰捌拾元叁角贰分"),
        (-10_000, "负壹佰元整"),
    ],
)
def test_total_in_words_follows_the_financial_capitals(fen, words) -> None:
    assert amount_in_words(fen) == words


_VALUE = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_words(text: str) -> int:
    """Read financial capitals back (for the round-trip property)."""
    yuan_part, _, cents_part = text.partition("元") if "元" in text else ("", "", text)
    total = section = digit = 0
    for char in yuan_part:
        if char in _VALUE:
            digit = _VALUE[char]
        elif char in _UNIT:
            section += digit * _UNIT[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
    yuan = total + section + digit
    fen = 0
    for value, unit in ((10, "角"), (1, "分")):
        if unit in cents_part:
            fen += _VALUE[cents_part[cents_part.index(unit) - 1]] * value
    return yuan * 100 + fen


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_total_in_words_reads_back_to_the_same_amount(fen) -> None:
    words = amount_in_words(fen)
    assert _parse_words(words) == fen
    assert "零零" not in words and not words.startswith("零")


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("50000", 5_000_000),
        ("50,000.00", 5_000_000),
        ("¥12.5", 1250),
        (" 0.01 ", 1),
        ("1,234,567.89", 123_456_789),
    ],
)
def test_yuan_typed_in_a_form_becomes_exact_fen(text, fen) -> None:
    assert parse_yuan(text, field="amount") == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,23", "12,34.5", "-5", "1e3", "五千"])
def test_malformed_yuan_is_refused_naming_the_field(text) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_yuan(text, field="amount")
    assert caught.value.field == "amount"


def test_format_yuan_is_exact() -> None:
    assert format_yuan(123_456_789) == "¥1,234,567.89"
    assert format_yuan(-5) == "-¥0.05"


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        ("pledged", "amend", True),
        ("partially_paid", "withdraw", True),
        ("honoured", "withdraw", False),
        ("honoured", "amend", True),
        ("withdrawn", "amend", False),
        ("lapsed", "pay", False),
        ("lapsed", "reverse_payment", True),
        ("pledged", "lapse", True),
        ("honoured", "lapse", False),
    ],
)
def test_pledge_state_table(state, action, allowed) -> None:
    if allowed:
        assert PLEDGE_MACHINE.get(state, action) is not None
    else:
        with pytest.raises(InvalidTransition):
            PLEDGE_MACHINE.check(state, action)


def test_state_follows_what_was_paid() -> None:
    assert [state_for(100, paid) for paid in (0, 1, 99, 100)] == [
        "pledged",
        "partially_paid",
        "partially_paid",
        "honoured",
    ]


def test_due_parts_pay_the_earliest_instalments_first() -> None:
    today = date(2026, 3, 1)
    schedule = [(1, date(2026, 2, 1), 100), (2, date(2026, 4, 1), 200), (3, date(2026, 6, 1), 300)]
    assert money_queries.due_parts(600, 150, schedule, today) == [
        (2, date(2026, 4, 1), 150, False),
        (3, date(2026, 6, 1), 300, False),
    ]
    assert money_queries.due_parts(600, 0, schedule, today)[0] == (1, date(2026, 2, 1), 100, True)
    assert money_queries.due_parts(600, 600, schedule, today) == []


def test_an_amendment_may_keep_past_instalments_but_not_a_past_end() -> None:
    today = date(2026, 3, 1)
    kept = [
        pledges.InstalmentSpec(date(2026, 2, 1), 100),
        pledges.InstalmentSpec(date(2026, 5, 1), 100),
    ]
    due, _ = pledges.check_schedule(200, None, kept, today=today, allow_past_instalments=True)
    assert due == date(2026, 5, 1)
    with pytest.raises(InvalidInput):
        pledges.check_schedule(200, None, kept, today=today)
    ended = [
        pledges.InstalmentSpec(date(2026, 1, 1), 100),
        pledges.InstalmentSpec(date(2026, 2, 1), 100),
    ]
    with pytest.raises(InvalidInput):
        pledges.check_schedule(200, None, ended, today=today, allow_past_instalments=True)
    with pytest.raises(InvalidInput):
        pledges.check_schedule(100, today + timedelta(days=366 * 6), None, today=today)


@pytest.mark.parametrize("key", ["abcdefgh", "x" * 128, "retry:2026/03/01#1", "~!@#$%^&*()"])
def test_idempotency_keys_of_8_to_128_visible_ascii_characters_are_accepted(key) -> None:
    assert idempotency.validate_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "short", "x" * 129, "with space", "tab\there!", "中文键值键值键值键值"]
)
def test_malformed_idempotency_keys_are_refused_naming_the_header(key) -> None:
    with pytest.raises(InvalidInput) as caught:
        idempotency.validate_key(key)
    assert caught.value.field == "Idempotency-Key"


def test_no_key_means_no_idempotency() -> None:
    assert idempotency.validate_key(None) is None


def test_fingerprint_depends_on_operation_and_input() -> None:
    base = idempotency.fingerprint("pledge.create", {"amount_fen": 1})
    assert base == idempotency.fingerprint("pledge.create", {"amount_fen": 1})
    assert base != idempotency.fingerprint("pledge.create", {"amount_fen": 2})
    assert base != idempotency.fingerprint("pledge.amend:1", {"amount_fen": 1})


@pytest.mark.parametrize(
    ("state", "action", "amount", "paid_after", "to"),
    [
        ("pledged", "pay", 100, 40, "partially_paid"),
        ("pledged", "pay", 100, 100, "honoured"),
        ("partially_paid", "pay", 100, 100, "honoured"),
        ("honoured", "reverse_payment", 100, 0, "pledged"),
        ("honoured", "reverse_payment", 100, 60, "partially_paid"),
        ("withdrawn", "reverse_payment", 100, 0, "withdrawn"),
        ("honoured", "amend", 150, 100, "partially_paid"),
        ("partially_paid", "amend", 40, 40, "honoured"),
    ],
)
def test_payments_and_amendments_lead_where_the_amounts_say(
    state, action, amount, paid_after, to
) -> None:
    assert PLEDGE_MACHINE.check(state, action, PledgeFacts(amount, paid_after)).to == to


def test_guards_in_the_table_refuse_with_their_code() -> None:
    with pytest.raises(RuleViolation) as over:
        PLEDGE_MACHINE.check("pledged", "pay", PledgeFacts(100, 150, 0))
    assert (over.value.code, over.value.field) == ("over_pledge_payment", "amount_fen")
    with pytest.raises(RuleViolation) as below:
        PLEDGE_MACHINE.check("honoured", "amend", PledgeFacts(50, 100, 100))
    assert below.value.code == "below_paid"
