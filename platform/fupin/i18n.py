"""Translation: Chinese is the source language; English comes from Babel catalogues.

The current locale lives in a context variable set per request by the locale middleware, so
domain code can call ``_()`` without knowing about HTTP. Module-level constants that are shown to
users use ``N_()`` (mark for extraction) and are translated with ``_()`` when rendered.
"""

from __future__ import annotations

import contextvars
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
#: The language switch remembers the choice in this cookie.
LANG_COOKIE = "fupin_lang"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_locale", default=DEFAULT_LOCALE
)


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(message: str, /, **params: object) -> str:
    text = translations(current_locale.get()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    text = translations(current_locale.get()).ungettext(singular, plural, n)
    return text % {"n": n, **params}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


_ = gettext
