"""One pair-year figure as people type it, and back (pure).

The office enters money in 万元 with up to six decimals, exact to the fen (1 万元 = 1,000,000
fen) — read by the one money grammar (``core.money.parse_yuan``) with the 万 implied — and
people and counts as whole numbers; empty means "not agreed / not reported". The API takes the
stored value itself (integer fen, people or count). Both end as an integer between 0 and
``MAX_FIGURE``; used by the HTML form's schema (``fupin.pairs.schemas``) and by the service for
text it is handed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fupin.core.money import input_wan, parse_yuan
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.pairs.rules.alerts import MAX_FIGURE, MONEY, Indicator


class FigureError(ValueError):
    """A figure that cannot be recorded: a stable ``code`` and a message naming the figure."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def figure_name(indicator: Indicator, *, target: bool) -> str:
    """ "财政援助资金（目标）": the figure as a message names it."""
    return _(
        "%(name)s（%(kind)s）",
        name=_(indicator.label),
        kind=_("目标") if target else _("报告数"),
    )


def parse_figure(raw: object, indicator: Indicator, *, target: bool) -> int | None:
    """The stored value of one figure: an int as it is, text as the form grammar above (money
    in 万元), ``None`` or blank text as "not agreed / not reported". Raises ``FigureError``."""
    what = figure_name(indicator, target=target)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise FigureError("invalid", _("%(what)s必须是数字。", what=what))
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if text == "":
            return None
        if indicator.unit == MONEY:
            value = _wan_text(text, what)
        else:
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                raise FigureError("invalid", _("%(what)s必须是数字。", what=what)) from None
            if not number.is_finite() or number != number.to_integral_value():
                raise FigureError("invalid", _("%(what)s必须是整数。", what=what))
            value = int(number)
    if value < 0:
        raise FigureError("negative", _("%(what)s不能为负数。", what=what))
    if value > MAX_FIGURE:
        raise FigureError("out_of_range", _("%(what)s数值过大。", what=what))
    return value


def format_figure_input(value: int | None, indicator: Indicator) -> str:
    """The form value for a stored figure (the inverse of ``parse_figure`` for form text)."""
    if value is None:
        return ""
    if indicator.unit != MONEY:
        return str(value)
    return input_wan(value)


#: The one money grammar's refusals (core.money), in words that name the figure.
_MONEY_REFUSALS = {
    "too_many_decimals": ("invalid", "%(what)s最多精确到分（万元小数点后 6 位）。"),
    "negative": ("negative", "%(what)s不能为负数。"),
    "too_large": ("out_of_range", "%(what)s数值过大。"),
}


def _wan_text(text: str, what: str) -> int:
    """Money typed in 万元 (the form's unit): the one money grammar (core.money.parse_yuan) with
    the 万 suffix implied, so 1e3 or 1,2,3 are refused here as in every other form."""
    amount = text if text.endswith(("万", "万元")) else text + "万"
    try:
        return parse_yuan(amount, field="figure")
    except InvalidInput as exc:
        code, message = _MONEY_REFUSALS.get(exc.code, ("invalid", "%(what)s必须是数字。"))
        raise FigureError(code, _(message, what=what)) from None
