"""How amounts and dates read to a person: one rule per context, the same on every page.

Pure functions (no I/O, no request state: the caller passes the locale), used through the
template filters registered in ``core/templating.py``:

* **Headline and chart money** (``short_money``, filter ``|wan``): the figure cards above a
  page and the labels on a chart. Chinese: 万元 from 1万元, 亿元 from 1亿元, three significant
  figures with trailing zeros dropped, never grouped (``8.43亿元``, ``31.4万元``, ``622万元``,
  ``2044万元``, ``1.5万元``);
  below 1万元 the exact yuan without empty cents (``¥8,700``, ``¥99.99``). English: the same
  rule in millions and billions (``¥8.43 billion``, ``¥6.22 million``), and exact yuan below
  a million (``¥314,000``) — never a literal "× 10,000 yuan". Display only: the tables beside
  them carry the exact amount.
* **Table money** (``exact_money``, filter ``|yuan``): ``¥1,234,567.00`` — the symbol,
  thousands separators and the fen, in both languages.
* **Dates** (``day``, filter ``|date``): ``2026-03-01`` everywhere a day is shown (lists,
  search, the ledger, receipts), in both languages; an instant is first taken to China's day.
* **Instants** (``minute``, filter ``|minute``): China's wall-clock time to the minute,
  ``2026-03-01 08:05``.
* **Codes** (``code_label``): a stored code (a category, a state) is shown by its label; a
  code without one is shown as "—", never raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from fupin.core.clock import in_china

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元
FEN_PER_YI = 10_000_000_000  # 1 亿元
FEN_PER_MILLION = 100_000_000  # ¥1 million
FEN_PER_BILLION = 100_000_000_000  # ¥1 billion
#: Short amounts keep this many significant figures (more where the whole part is longer).
SIGNIFICANT = 3


def _is_english(locale: str) -> bool:
    return locale.lower().startswith("en")


def exact_money(fen: int, *, symbol: bool = True) -> str:
    """Exact yuan with thousands separators and the fen: ``¥8,324,700.00`` (tables)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    text = f"{whole:,}.{part:02d}"
    return f"{sign}¥{text}" if symbol else f"{sign}{text}"


def whole_money(fen: int) -> str:
    """Exact yuan without empty cents: ``¥8,700``, ``¥99.99`` (small headline amounts)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    text = f"{whole:,}" + (f".{part:02d}" if part else "")
    return f"{sign}¥{text}"


def significant(value: int, unit: int, figures: int = SIGNIFICANT, *, grouping: bool = True) -> str:
    """``value / unit`` (both positive integers, value ≥ unit) to ``figures`` significant
    figures, half-up, trailing zeros dropped, thousands separated unless ``grouping`` is off
    (Chinese 万 and 亿 are not grouped: ``2044万元``): 842857/100000 → ``8.43``."""
    whole_digits = len(str(value // unit))
    places = max(0, figures - whole_digits)
    factor = 10**places
    scaled = (value * factor + unit // 2) // unit
    whole, frac = divmod(scaled, factor)
    if len(str(whole)) > whole_digits:  # 9.995 → 10.0: one place fewer
        places = max(0, places - 1)
        factor = 10**places
        scaled = (value * factor + unit // 2) // unit
        whole, frac = divmod(scaled, factor)
    text = f"{whole:,}" if grouping else str(whole)
    if places and frac:
        text += f".{frac:0{places}d}".rstrip("0")
    return text


def short_money(fen: int, locale: str = "zh") -> str:
    """A headline or chart amount (see the module's rules): ``8.43亿元`` / ``¥8.43 billion``."""
    sign = "-" if fen < 0 else ""
    value = abs(int(fen))
    if _is_english(locale):
        if value >= FEN_PER_BILLION:
            return f"{sign}¥{significant(value, FEN_PER_BILLION)} billion"
        if value >= FEN_PER_MILLION:
            return f"{sign}¥{significant(value, FEN_PER_MILLION)} million"
        return whole_money(int(fen))
    if value >= FEN_PER_YI:
        return f"{sign}{significant(value, FEN_PER_YI, grouping=False)}亿元"
    if value >= FEN_PER_WAN:
        return f"{sign}{significant(value, FEN_PER_WAN, grouping=False)}万元"
    return whole_money(int(fen))


def day(value: date | datetime) -> str:
    """A day as ``2026-03-01``; an instant is China's day at that instant."""
    if isinstance(value, datetime):
        value = in_china(value).date() if value.tzinfo else value.date()
    return value.isoformat()


def minute(value: datetime) -> str:
    """An instant as China's wall-clock time to the minute: ``2026-03-01 08:05``."""
    return (in_china(value) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M")


def code_label(code: str | None, labels: Mapping[str, str]) -> str:
    """A stored code by its label; "—" for a code that has none (never the raw code)."""
    if not code:
        return "—"
    return labels.get(code, "—")
