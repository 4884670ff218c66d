"""Platform receipt numbers ``<issuer code>-<year>-<serial>``, their labels and the amount in
words they print (docs/domain.md §3.6).

Each recipient organisation numbers its receipts per calendar year, gapless and unique. This is
Fupin's own acknowledgement and audit trail, not the fiscal voucher: the legally valid receipt is
the 公益事业捐赠票据 issued through the recipient's finance department (财综〔2024〕1号 art. 3, 9),
so a Fupin receipt without the official 票据代码 / 票据号码 / 校验码 is labelled "not a tax
voucher" (docs/rules.md §3). Voided receipts keep their number, so they still count for gaplessness.

Pure: the register (which serial comes next, under concurrency) lives in the receipts service.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from fupin.i18n import N_, _

SERIAL_WIDTH = 6  # "000042": sorts and reads well on paper; wider serials simply grow
MAX_SERIAL = 9_999_999_999  # a national foundation may issue millions a year; ten digits is ample
MIN_YEAR = 2000  # no platform receipt predates the platform; a smaller year is a typing error
MAX_YEAR = 9999

_ISSUER_CODE = re.compile(r"[0-9A-Z]{2,18}")  # the recipient's USCC (18) or a short code
_NUMBER = re.compile(r"([0-9A-Z]{2,18})-([0-9]{4})-([0-9]{6,10})")

NOT_TAX_VOUCHER = N_("非税前扣除凭证")
VOIDED = N_("已作废")
DUPLICATE_COPY = N_("副本")


class ReceiptNumberError(ValueError):
    """A receipt number or one of its parts is invalid; the message names the part."""


@dataclass(frozen=True, slots=True, order=True)
class ReceiptNumber:
    issuer_code: str
    year: int
    serial: int

    def __post_init__(self) -> None:
        _check_parts(self.issuer_code, self.year, self.serial)

    def __str__(self) -> str:
        return f"{self.issuer_code}-{self.year}-{self.serial:0{SERIAL_WIDTH}d}"


def _check_parts(issuer_code: str, year: int, serial: int) -> None:
    if not isinstance(issuer_code, str) or _ISSUER_CODE.fullmatch(issuer_code) is None:
        raise ReceiptNumberError(
            _("开票单位代码应为 2 至 18 位数字或大写字母：%(value)s", value=issuer_code)
        )
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ReceiptNumberError(
            _(
                "年份应在 %(low)s 至 %(high)s 之间：%(value)s",
                low=MIN_YEAR,
                high=MAX_YEAR,
                value=year,
            )
        )
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= MAX_SERIAL:
        raise ReceiptNumberError(
            _("序号应在 1 至 %(high)s 之间：%(value)s", high=MAX_SERIAL, value=serial)
        )


def format_receipt_number(issuer_code: str, year: int, serial: int) -> str:
    """``91110108551385082Q-2025-000042``: the serial is zero-padded to six digits."""
    return str(ReceiptNumber(issuer_code, year, serial))


def parse_receipt_number(text: str) -> ReceiptNumber:
    """Strict inverse of :func:`format_receipt_number`: only the exact printed form is accepted.

    Input boxes should strip spaces and upper-case before calling this; anything else (extra
    leading zeros, full-width digits, lower case) is refused so one receipt has one number.
    """
    match = _NUMBER.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ReceiptNumberError(
            _("收据编号格式应为“开票单位代码-年份-六位序号”：%(value)s", value=text)
        )
    number = ReceiptNumber(match[1], int(match[2]), int(match[3]))
    if str(number) != text:
        raise ReceiptNumberError(_("收据编号的序号有多余的前导零：%(value)s", value=text))
    return number


def is_valid_receipt_number(text: str) -> bool:
    try:
        parse_receipt_number(text)
    except ReceiptNumberError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class SerialIssue:
    """A run of missing serials ``first..last``, a duplicated serial, or one beyond the expected
    last. ``count`` is how many serials are missing, or how often the serial occurs."""

    kind: Literal["missing", "duplicate", "unexpected"]
    first: int
    last: int
    count: int


def check_gapless(serials: Iterable[int], *, expected_last: int | None = None) -> list[SerialIssue]:
    """Everything that keeps one issuer-year's serials from being exactly ``1..N`` (docs/domain.md §3.6).

    Missing serials are reported as ranges, so the result is never larger than the input even if
    a huge serial slipped in. Without ``expected_last``, N is the largest serial present, so a
    missing tail is invisible; pass the register's counter to catch it.
    """
    counts: Counter[int] = Counter()
    for serial in serials:  # checked one by one: Counter would merge True into 1
        if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
            raise ValueError(f"serials are positive integers, got {serial!r}")
        counts[serial] += 1
    if expected_last is not None and expected_last < 0:
        raise ValueError("expected_last must not be negative")
    last = max(counts, default=0) if expected_last is None else expected_last
    issues: list[SerialIssue] = []
    previous = 0
    for serial in sorted(counts):
        if serial > last:
            issues.append(SerialIssue("unexpected", serial, serial, counts[serial]))
            continue
        if serial > previous + 1:
            issues.append(SerialIssue("missing", previous + 1, serial - 1, serial - previous - 1))
        if counts[serial] > 1:
            issues.append(SerialIssue("duplicate", serial, serial, counts[serial]))
        previous = serial
    if last > previous:
        issues.append(SerialIssue("missing", previous + 1, last, last - previous))
    issues.sort(key=lambda issue: (issue.first, issue.kind))
    return issues


def has_official_numbers(receipt_code: str, receipt_number: str, check_code: str) -> bool:
    """Whether the official 票据代码 / 票据号码 / 校验码 have all been entered: only then is the
    receipt backed by the fiscal voucher (docs/rules.md §3)."""
    return bool(receipt_code and receipt_number and check_code)


def receipt_status_label(
    has_official_numbers: bool, voided: bool, duplicate_copy: bool
) -> list[str]:
    """The marks printed on a receipt and shown beside it, most important first.

    "Not a tax voucher" until the recipient's finance system has issued the official
    票据代码 / 票据号码 / 校验码 (docs/rules.md §3: only that voucher supports pre-tax deduction);
    "void" for a voided receipt (it keeps its number); "duplicate" on every copy after the first
    (docs/domain.md §3.6). Each condition adds its own mark.
    """
    labels: list[str] = []
    if voided:
        labels.append(_(VOIDED))
    if not has_official_numbers:
        labels.append(_(NOT_TAX_VOUCHER))
    if duplicate_copy:
        labels.append(_(DUPLICATE_COPY))
    return labels


# --- the total in words ---------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_words(number: int) -> str:
    """0 < number < 10000 in financial capitals, zeros collapsed (壹仟零伍)."""
    text = ""
    pending_zero = False
    for divisor, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = number // divisor % 10
        if digit == 0:
            pending_zero = pending_zero or bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += _DIGITS[digit] + unit
    return text


def amount_in_words(fen: int) -> str:
    """人民币大写 for the receipt's "total in words" (docs/rules.md §3 art. 6): 壹佰贰拾万元整,
    壹佰万零壹元整, 壹拾元伍角, 伍分. Exact from integer fen."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amount_in_words takes integer fen")
    if fen < 0:
        return "负" + amount_in_words(-fen)
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    groups: list[int] = []
    remaining = yuan
    while remaining:
        groups.append(remaining % 10000)
        remaining //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large for words")
    words = ""
    zero_between = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_between = zero_between or bool(words)
            continue
        if words and (zero_between or group < 1000):
            words += "零"
        zero_between = False
        words += _group_words(group) + _GROUP_UNITS[index]
    if yuan == 0 and rest == 0:
        return "零元整"
    text = words + "元" if yuan else ""
    if rest == 0:
        return text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if cents:
        text += _DIGITS[cents] + "分"
    else:
        text += "整"
    return text
