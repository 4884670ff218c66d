"""Catalogue maintenance: extract every gettext string, update the English catalogue, compile.

Used by `fupin i18n update|compile|check`; `check` fails when a string in the code or the
templates has no English translation (a test runs it, so untranslated strings fail CI).
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from fupin import REPO_ROOT
from fupin.i18n import LOCALE_DIR

METHOD_MAP = [
    ("platform/fupin/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    catalog = Catalog(project="fupin", locale=None)
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(REPO_ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="fupin")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def update(locale: str = "en") -> Catalog:
    template = extract()
    catalog = load(locale)
    catalog.update(template, no_fuzzy_matching=True)
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True, ignore_obsolete=True)
    return catalog


def compile_catalog(locale: str = "en") -> None:
    catalog = load(locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    (po_path(locale).with_suffix(".mo")).write_bytes(buf.getvalue())


def missing(locale: str = "en") -> list[str]:
    """Strings used in code or templates that have no translation in the catalogue."""
    catalog = load(locale)
    result = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        if (
            found is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
        ):
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def apply_translations(mapping: dict[str, str | list[str]], locale: str = "en") -> int:
    """Fill translations from a {msgid: text or [singular, plural]} mapping; returns how many."""
    update(locale)
    catalog = load(locale)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key not in mapping:
            continue
        value = mapping[key]
        if isinstance(message.id, tuple):
            message.string = tuple(value) if isinstance(value, list) else (value, value)
        else:
            message.string = value[0] if isinstance(value, list) else value
        filled += 1
    with po_path(locale).open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, ignore_obsolete=True)
    compile_catalog(locale)
    return filled
