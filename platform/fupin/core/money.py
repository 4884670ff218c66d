"""Money amounts: one grammar for every amount a person types (forms, CLI, imports) and one set of
formats for showing them. Money is integer fen everywhere; these functions are the only place
yuan text turns into fen and back, with exact integer/decimal arithmetic (never a float).

The grammar (``parse_yuan``), identical for every form, the CLI and the importers:

* an optional ``¥``/``￥`` before the number; spaces anywhere are ignored;
* digits, optionally grouped by commas in threes (``1,234,567``; ``1,2,3`` is refused);
* at most two decimals (fen), or at most six with the ``万``/``万元`` suffix (10,000 yuan);
* an optional ``元`` suffix;
* a leading minus (``-``, ``−``, ``－``) only where the caller allows negatives (a loss year);
* nothing else: no exponent (``1e3``), no words, no ``inf``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from fupin.errors import InvalidInput
from fupin.i18n import _

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元
FEN_PER_YI = 10_000_000_000  # 1 亿元
#: ±¥10 trillion: beyond any amount the platform records, far below the JSON-safe integer limit.
MAX_ABS_FEN = 10**15

_NUMBER = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?|[0-9]+(\.[0-9]+)?")
_MINUS = ("-", "−", "－", "—")


def parse_yuan(text: str | None, *, field: str, allow_negative: bool = False) -> int:
    """A yuan amount as typed ("1,000,000.50", "¥12.5", "100万", "-200万元") → integer fen.

    Refused with a message naming ``field`` and a stable code: ``required`` (empty),
    ``not_text`` (a number instead of text: callers convert spreadsheet cells first),
    ``not_numeric``, ``too_many_decimals``, ``negative``, ``too_large``.
    """
    fen = _parse(text, field=field, allow_negative=allow_negative, required=True)
    assert fen is not None
    return fen


def parse_optional_yuan(
    text: str | None, *, field: str, allow_negative: bool = False
) -> int | None:
    """``parse_yuan`` for an amount that may be left empty (``None``)."""
    return _parse(text, field=field, allow_negative=allow_negative, required=False)


def _parse(text: str | None, *, field: str, allow_negative: bool, required: bool) -> int | None:
    if not isinstance(text, str | None):
        raise InvalidInput(
            _("请以元为单位填写金额文本（如 1000000.00 或 100万）。"), field=field, code="not_text"
        )
    raw = (text or "").strip()
    if not raw:
        if required:
            raise InvalidInput(_("请填写金额。"), field=field, code="required")
        return None
    cleaned = raw.replace(" ", "").replace("\u3000", "").replace("¥", "").replace("￥", "")
    negative = False
    if cleaned[:1] in _MINUS:
        negative, cleaned = True, cleaned[1:]
    elif cleaned[:1] == "+":
        cleaned = cleaned[1:]
    scale, decimals = FEN_PER_YUAN, 2
    for suffix in ("万元", "万"):
        if cleaned.endswith(suffix):
            cleaned, scale, decimals = cleaned[: -len(suffix)], FEN_PER_WAN, 6
            break
    else:
        if cleaned.endswith("元"):
            cleaned = cleaned[:-1]
    if _NUMBER.fullmatch(cleaned) is None:
        raise InvalidInput(
            _("“%(value)s”不是数字金额，请填写如 1000000.00、-200万 这样的金额。", value=raw),
            field=field,
            code="not_numeric",
        )
    number = cleaned.replace(",", "")
    if "." in number and len(number.split(".", 1)[1]) > decimals:
        raise InvalidInput(
            _(
                "金额最多精确到分（以元填写最多两位小数，以万元填写最多六位小数）：%(value)s",
                value=raw,
            ),
            field=field,
            code="too_many_decimals",
        )
    try:
        fen = int(Decimal(number) * scale)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidInput(_("金额格式不正确。"), field=field, code="not_numeric") from None
    if negative:
        fen = -fen
    if fen < 0 and not allow_negative:
        raise InvalidInput(_("金额不能为负数。"), field=field, code="negative")
    if abs(fen) > MAX_ABS_FEN:
        raise InvalidInput(_("金额超出合理范围，请检查。"), field=field, code="too_large")
    return fen


def number_text(value: int | float | Decimal) -> str:
    """A number a spreadsheet cell holds, as the yuan text ``parse_yuan`` reads (exact: a float
    cell is written with the digits it shows, ``repr``, not its binary value)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def format_yuan(fen: int, *, symbol: bool = True, grouping: bool = True, cents: bool = True) -> str:
    """Exact yuan: ``¥1,234.56``. ``cents=False`` drops ``.00`` (but keeps ``.05``);
    ``grouping=False`` drops the thousands commas (form inputs, CSV)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    text = f"{whole:,}" if grouping else str(whole)
    if cents or part:
        text += f".{part:02d}"
    return f"{sign}¥{text}" if symbol else f"{sign}{text}"


def plain_yuan(fen: int) -> str:
    """Plain exact yuan for exports and machine-read text: ``-2000000.00``."""
    return format_yuan(fen, symbol=False, grouping=False)


def input_yuan(fen: int) -> str:
    """The yuan a form field shows for an amount when it is edited again: ``12000`` / ``12.5``."""
    return format_yuan(fen, symbol=False, grouping=False, cents=False)


def input_wan(fen: int) -> str:
    """The 万元 a form field in 万 shows for an amount edited again: ``1.5`` / ``12.000001``."""
    wan, rest = divmod(int(fen), FEN_PER_WAN)
    return f"{wan}.{rest:06d}".rstrip("0").rstrip(".") if rest else str(wan)


def decimal_yuan(fen: int) -> Decimal:
    """Yuan as a Decimal with two places (spreadsheet cells)."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_wan(fen: int, *, with_unit: bool = True, places: int = 2) -> str:
    """Large amounts in 万 / 亿 for cards and chart labels: ``12.35万元``, ``1.23亿元`` (or
    ``12.35万`` without the unit where space is short), translated. Rounded half-up to
    ``places`` decimals — display only: the tables beside them carry the exact amount. Amounts
    under 1万元 are shown exactly (``¥99.99``)."""
    sign = "-" if fen < 0 else ""
    value = abs(int(fen))
    if value >= FEN_PER_YI:
        n = _scaled(value, FEN_PER_YI, places)
        return sign + (_("%(n)s亿元", n=n) if with_unit else _("%(n)s亿", n=n))
    if value >= FEN_PER_WAN:
        n = _scaled(value, FEN_PER_WAN, places)
        return sign + (_("%(n)s万元", n=n) if with_unit else _("%(n)s万", n=n))
    return format_yuan(int(fen), cents=False)


def budget_text(fen: int, *, places: int = 2) -> str:
    """An amount as a Chinese proposal writes its budget, never rounded: ``86.4万元`` when it
    is a whole number of 万 to ``places`` decimals, else whole yuan (``161490元``). For text
    that is data (generated descriptions), so not translated."""
    value = abs(int(fen))
    sign = "-" if fen < 0 else ""
    step = FEN_PER_WAN // 10**places
    if value % FEN_PER_YUAN or value < FEN_PER_WAN or value % step:
        return f"{sign}{value // FEN_PER_YUAN}元"
    return f"{sign}{_scaled(value, FEN_PER_WAN, places)}万元"


def _scaled(value: int, unit_fen: int, places: int) -> str:
    """value / unit_fen, half-up to ``places`` decimals, trailing zeros dropped (integers only)."""
    factor = 10**places
    scaled = (value * factor + unit_fen // 2) // unit_fen
    whole, frac = divmod(scaled, factor)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:0{places}d}".rstrip("0")
