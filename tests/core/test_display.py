"""The display rules: one style per context (headline and chart money, table money, dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fupin.core.display import code_label, day, exact_money, minute, short_money, whole_money

YUAN = 100


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (842_857_000 * YUAN, "8.43亿元", "¥843 million"),
        (842_857_000_00 * 10, "84.3亿元", "¥8.43 billion"),
        (314_000 * YUAN, "31.4万元", "¥314,000"),
        (6_217_500 * YUAN, "622万元", "¥6.22 million"),
        (20_443_000 * YUAN, "2044万元", "¥20.4 million"),
        (15_000 * YUAN, "1.5万元", "¥15,000"),
        (10_000 * YUAN, "1万元", "¥10,000"),
        (99_950 * YUAN, "10万元", "¥99,950"),  # 9.995万 rounds up to 10, not "10.0"
        (8_700 * YUAN, "¥8,700", "¥8,700"),
        (9_999, "¥99.99", "¥99.99"),
        (0, "¥0", "¥0"),
        (-2_000_000 * YUAN, "-200万元", "-¥2 million"),
        (1_234_567_000_000 * YUAN, "12346亿元", "¥1,235 billion"),
    ],
)
def test_headline_and_chart_money_has_one_rule(fen: int, zh: str, en: str) -> None:
    assert short_money(fen, "zh") == zh
    assert short_money(fen, "en") == en


def test_english_money_never_reads_as_ten_thousands() -> None:
    for fen in (314_000 * YUAN, 84_285_700 * YUAN * 100, 6_217_500 * YUAN):
        assert "10,000" not in short_money(fen, "en") and "×" not in short_money(fen, "en")


def test_table_money_is_exact_with_separators() -> None:
    assert exact_money(832_470_000) == "¥8,324,700.00"
    assert exact_money(-5) == "-¥0.05"
    assert exact_money(123_456, symbol=False) == "1,234.56"
    assert whole_money(870_000) == "¥8,700"


def test_dates_have_one_format_and_instants_are_china_time() -> None:
    assert day(date(2026, 3, 1)) == "2026-03-01"
    late = datetime(2026, 2, 28, 17, 30, tzinfo=UTC)  # 01:30 on 1 March in China
    assert day(late) == "2026-03-01"
    assert minute(late) == "2026-03-01 01:30"


def test_codes_are_never_shown_raw() -> None:
    labels = {"roads": "道路"}
    assert code_label("roads", labels) == "道路"
    assert code_label("bridges", labels) == "—"
    assert code_label(None, labels) == "—"
