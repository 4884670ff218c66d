"""Every user-facing string has an English translation, and the shipped .mo is compiled from
the shipped .po (so the switch shows what the catalogue says)."""

from __future__ import annotations

import io

from babel.messages.mofile import write_mo

from fupin import i18n, i18n_tools


def test_every_string_in_code_and_templates_is_translated() -> None:
    missing = i18n_tools.missing("en")
    assert missing == [], (
        f"{len(missing)} untranslated (run `fupin i18n update`), e.g. {missing[:5]}"
    )


def test_compiled_catalogue_matches_the_po_file() -> None:
    buf = io.BytesIO()
    write_mo(buf, i18n_tools.load("en"), use_fuzzy=False)
    assert i18n_tools.po_path("en").with_suffix(".mo").read_bytes() == buf.getvalue()


def test_english_is_used_when_switched_and_chinese_by_default() -> None:
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("地区") == "Regions"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.gettext("地区") == "地区"
