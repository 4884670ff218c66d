"""Pure parts of the search package: settings data, documents, query parsing, highlighting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.search.rules import highlight
from fupin.search.rules.base import SearchQuery, SearchQueryError, validate_query
from fupin.search.rules.documents import amount_band, prepare, region_aliases
from fupin.search.rules.settings_data import (
    DEFAULT_DIR,
    SearchSettingsError,
    default_settings,
    load_settings,
    meili_settings_body,
)
from fupin.search.rules.text import QueryParser, index_tokens
from tests.search.fupin_search_corpus import BY_ID

S = default_settings()

# ---- settings data --------------------------------------------------------------------------


def test_settings_data_declares_the_issue_facets_sorts_and_synonyms() -> None:
    assert set(S.facets) == {
        "province",
        "county",
        "category",
        "state",
        "contiguous_area",
        "amount_band",
    }
    assert set(S.sorts) == {"relevance", "deadline", "open_amount", "newest"}
    assert {"饮用水", "自来水"} <= set(S.synonyms["饮水"])
    assert {"公路", "通村路"} <= set(S.synonyms["道路"])
    assert "住房改造" in S.synonyms["危房"]
    assert "的" in S.stop_words
    assert S.public_states == ("published", "funded", "in_progress", "completed", "closed")


def test_meilisearch_settings_body_comes_from_the_same_data() -> None:
    body = meili_settings_body(S)
    assert body["searchableAttributes"] == list(S.searchable)
    assert body["filterableAttributes"] == list(S.filterable)
    assert body["synonyms"]["自来水"] == list(S.synonyms["自来水"])
    assert body["localizedAttributes"] == [{"attributePatterns": ["*"], "locales": ["cmn"]}]
    assert body["rankingRules"][0] == "sort"


def _copy_settings(tmp_path: Path) -> Path:
    target = tmp_path / "search"
    shutil.copytree(DEFAULT_DIR, target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('facets = ["province",', 'facets = ["provinz",', "attributes.facets"),
        ('newest = ["published_ts:desc"]', 'newest = ["published:desc"]', "sorts.newest"),
        ("title = 4.0", "title = 0", "embedded.boosts"),
        ('matching_strategy = "all"', 'matching_strategy = "any"', "matching_strategy"),
    ],
)
def test_inconsistent_settings_fail_naming_the_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    directory = _copy_settings(tmp_path)
    path = directory / "settings.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SearchSettingsError, match=message):
        load_settings(directory)


def test_amount_bands_must_increase(tmp_path: Path) -> None:
    directory = _copy_settings(tmp_path)
    path = directory / "amount_bands.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("5_000_000", "500"), encoding="utf-8")
    with pytest.raises(SearchSettingsError, match="below_fen"):
        load_settings(directory)


# ---- documents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "band"),
    [
        (0, "<1万"),
        (999_999, "<1万"),
        (1_000_000, "1-5万"),
        (19_999_999, "5-20万"),
        (20_000_000, "20-100万"),
        (100_000_000, ">100万"),
        (10**12, ">100万"),
    ],
)
def test_amount_band_boundaries(fen: int, band: str) -> None:
    assert amount_band(fen, S) == band


@pytest.mark.parametrize(
    ("name", "aliases"),
    [
        ("凉山彝族自治州", {"凉山", "凉山州"}),
        ("广西壮族自治区", {"广西"}),
        ("东乡族自治县", {"东乡", "东乡县"}),
        ("积石山保安族东乡族撒拉族自治县", {"积石山", "积石山县"}),
        ("克孜勒苏柯尔克孜自治州", {"克州", "克孜勒苏", "克孜勒苏州"}),
        ("莫力达瓦达斡尔族自治旗", {"莫力达瓦", "莫力达瓦旗"}),
        ("昭觉县", set()),
    ],
)
def test_region_aliases_are_the_names_people_type(name: str, aliases: set[str]) -> None:
    assert set(region_aliases({"prefecture": name}, S).split()) == aliases


def test_prepare_routes_non_public_needs_to_delete_and_drops_unknown_fields() -> None:
    docs = [
        dict(BY_ID[1], secret="x"),
        dict(BY_ID[2], state="draft"),
        dict(BY_ID[3], state="withdrawn"),
    ]
    to_index, to_delete = prepare(docs, S)
    assert [d["id"] for d in to_index] == [1] and "secret" not in to_index[0]
    assert to_delete == [2, 3]
    to_index, to_delete = prepare([BY_ID[4], dict(BY_ID[4], state="returned")], S)
    assert (to_index, to_delete) == ([], [4])  # the later change wins


# ---- query parsing --------------------------------------------------------------------------

parser = QueryParser(S)


def alternatives(text: str) -> list[tuple[str, ...]]:
    return [t.alternatives for t in parser.parse(text).terms]


def test_two_character_words_are_whole_terms_with_synonyms() -> None:
    assert alternatives("饮水")[0][0] == "饮水"
    assert set(alternatives("饮水")[0]) == {"饮水", *S.synonyms["饮水"]}


def test_long_runs_are_segmented_and_kept_as_a_phrase() -> None:
    parsed = parser.parse("凉山小学")
    assert [t.alternatives[0] for t in parsed.terms] == ["凉山", "小学"]
    assert parsed.phrases == ("凉山小学",)


def test_stop_words_punctuation_and_emoji_are_dropped() -> None:
    assert [t.alternatives[0] for t in parser.parse("学校的食堂！😀").terms] == ["学校", "食堂"]
    assert parser.parse("！？😀 ——").is_empty
    assert parser.parse("的").is_empty


def test_query_is_normalised_and_free_of_engine_syntax() -> None:
    parsed = parser.parse('"饮水" -道路 ＡＢＣ１２')
    assert parsed.plain == "饮水 道路 abc12"


def test_synonym_words_are_kept_whole_by_the_segmenter() -> None:
    assert alternatives("住房改造项目")[0][0] == "住房改造"


def test_index_tokens_are_bigrams_of_han_runs() -> None:
    assert index_tokens("饮水安全，G318国道") == ["饮水", "水安", "安全", "g318", "国道"]


@settings(max_examples=60)
@given(st.text(max_size=60))
def test_parser_never_fails_and_respects_the_term_limit(text: str) -> None:
    parsed = parser.parse(text)
    assert len(parsed.terms) <= S.max_query_terms


# ---- validation -----------------------------------------------------------------------------


def test_validation_normalises_whitespace_and_filters() -> None:
    valid = validate_query(
        SearchQuery(
            text="  小学   食堂 ",
            filters={"province": "四川省", "county": []},
            facets=["state", "state"],
        ),
        S,
    )
    assert valid.text == "小学 食堂"
    assert dict(valid.filters) == {"province": ("四川省",)}
    assert valid.facets == ("state",)
    assert valid.per_page == S.default_per_page and valid.offset == 0


def test_too_many_filter_values_are_refused() -> None:
    with pytest.raises(SearchQueryError) as err:
        validate_query(SearchQuery(filters={"county": [str(i) for i in range(51)]}), S)
    assert err.value.field == "county"


# ---- highlighting ---------------------------------------------------------------------------


def test_render_escapes_and_marks() -> None:
    text = "<b>饮水</b> & 饮水"
    out = highlight.render(text, highlight.find_spans(text, ["饮水"]))
    assert out == "&lt;b&gt;<mark>饮水</mark>&lt;/b&gt; &amp; <mark>饮水</mark>"


def test_overlapping_spans_merge_and_crop_keeps_the_first_match() -> None:
    text = "甲" * 200 + "饮水安全" + "乙" * 200
    out = highlight.render(text, highlight.find_spans(text, ["饮水", "水安"]), crop=50, marker="…")
    assert "<mark>饮水安</mark>" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out.replace("<mark>", "").replace("</mark>", "")) == 52


def test_byte_offsets_of_meilisearch_become_character_spans() -> None:
    text = "石门村饮水安全工程"
    start = len("石门村".encode())
    assert highlight.byte_spans_to_chars(text, [{"start": start, "length": 6}]) == [(3, 5)]
    assert highlight.byte_spans_to_chars(text, [{"start": 999, "length": 3}]) == []


@settings(max_examples=60)
@given(st.text(max_size=80), st.lists(st.text(min_size=1, max_size=4), max_size=4))
def test_rendered_highlight_never_contains_raw_html(text: str, words: list[str]) -> None:
    out = str(highlight.render(text, highlight.find_spans(text, words), crop=40))
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped and '"' not in stripped


def test_create_backend_picks_meilisearch_only_when_configured(tmp_path: Path) -> None:
    from fupin.search.adapters import create_backend
    from fupin.search.adapters.embedded import EmbeddedBackend
    from fupin.search.adapters.meili import MeiliBackend

    assert isinstance(create_backend(embedded_dir=tmp_path), EmbeddedBackend)
    assert isinstance(
        create_backend(meili_url="http://127.0.0.1:7700", embedded_dir=tmp_path), MeiliBackend
    )
    with pytest.raises(ValueError):
        create_backend()
