"""Jinja2 environment: templates/ at the repository root, gettext, money and date filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from fupin import REPO_ROOT, i18n
from fupin.core import display
from fupin.core.categories import CATEGORIES
from fupin.core.clock import in_china
from fupin.core.money import format_wan, format_yuan


def yuan(fen: int | None, *, symbol: bool = True) -> str:
    """The ``|yuan`` filter: exact yuan (``¥1,234.56``); nothing for a missing amount."""
    return "" if fen is None else format_yuan(fen, symbol=symbol)


def wan(fen: int | None) -> str:
    """The ``|wan`` filter: 万元 / 亿元 for cards (display only)."""
    return "" if fen is None else format_wan(fen)


#: Babel's locales parsed once: ``format_date(..., locale="zh_CN")`` parses the locale and its
#: pattern on every call (49 µs against 8 µs for the pre-parsed pattern, and a list page shows
#: dozens of dates).
_LOCALES = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}


@lru_cache(maxsize=4096)
def _medium_date(lang: str, value: date) -> str:
    locale = _LOCALES.get(lang, _LOCALES["en"])
    return str(locale.date_formats["medium"].apply(value, locale))


def fmt_date(value: date | datetime | None) -> str:
    """The ``|date`` filter: Babel's medium date of the page's language (2026年3月1日)."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return _medium_date(i18n.current_locale.get(), day)


def fmt_minute(value: datetime | None) -> str:
    """The ``|minute`` filter: an instant as China's time to the minute (2026-03-01 08:05)."""
    return "" if value is None else in_china(value).strftime("%Y-%m-%d %H:%M")


def percent(numerator: int, denominator: int) -> int:
    if not denominator:
        return 0
    return max(0, min(100, (numerator * 100) // denominator))


def category_label(code: str) -> str:
    return i18n._(CATEGORIES.get(code, code))


def make_templates(directory: Path | None = None, *, auto_reload: bool = True) -> Jinja2Templates:
    """The environment. ``auto_reload`` (development only) makes Jinja2 stat every template
    file, includes too, on every render to pick up edits; elsewhere templates are compiled once
    per process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or REPO_ROOT / "templates")),
        auto_reload=auto_reload,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s, **kw: i18n.gettext(s, **kw),
        lambda s, p, n, **kw: i18n.ngettext(s, p, n, **kw),
        newstyle=True,
    )
    env.globals.update(
        _=i18n.gettext,
        categories=CATEGORIES,
        category_label=category_label,
        current_locale=i18n.current_locale.get,
    )
    env.filters.update(yuan=yuan, wan=wan, date=fmt_date, minute=fmt_minute)
    # One number and date style per context (fupin.core.display holds the rules).
    env.filters.update(
        yuan=lambda fen, symbol=True: (
            "" if fen is None else display.exact_money(fen, symbol=symbol)
        ),
        wan=lambda fen: "" if fen is None else display.short_money(fen, i18n.current_locale.get()),
        date=lambda value: "" if value is None else display.day(value),
        minute=lambda value: "" if value is None else display.minute(value),
    )
    env.globals["percent"] = percent
    return Jinja2Templates(env=env)


def context_for(request: Request, extra: dict[str, Any]) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "actor": getattr(request.state, "actor", None),
        # Set by the request context for signed-in pages (fupin.middleware.context).
        "unread_notifications": getattr(request.state, "unread_notifications", 0),
        "csrf_token": request.scope.get("fupin.csrf_token", ""),
        "lang": i18n.current_locale.get(),
        "flash": request.session.pop("flash", None) if "session" in request.scope else None,
    }
    ctx.update(extra)
    return ctx
