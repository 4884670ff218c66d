"""Index settings as data: loads and checks the top-level ``search/`` folder.

docs/domain.md §3.12: searchable / filterable / sortable attributes, ranking rules, synonyms and stop words
are data in ``search/``, read by both backends. This module is the only reader; it validates the
files once (a typo in a facet name fails at start-up with the file and key named, not at the
first query) and hands out one frozen :class:`SearchSettings`.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fupin import REPO_ROOT

DEFAULT_DIR = REPO_ROOT / "search"

#: The public sort names of the API and the interface; search/settings.toml maps each to clauses.
SORT_NAMES: tuple[str, ...] = ("relevance", "deadline", "open_amount", "newest")
#: The text fields of the embedded engine (settings.toml [embedded.fields] must use exactly these).
EMBEDDED_FIELDS: tuple[str, ...] = ("title", "category", "regions", "items", "description")
#: The weights of the embedded engine's relevance formula (settings.toml [embedded.ranking]).
RANKING_WEIGHTS: tuple[str, ...] = (
    "match",
    "typed",
    "place",
    "phrase",
    "proximity",
    "proximity_slop",
    "synonym",
    "bm25",
    "other_fields",
    "tie_step",
)


class SearchSettingsError(ValueError):
    """The data in ``search/`` is inconsistent; the message names the file and the key."""


@dataclass(frozen=True)
class AmountBand:
    label: str
    below_fen: int | None  # None: no upper bound (the last band)


@dataclass(frozen=True)
class SearchSettings:
    index_uid: str
    primary_key: str
    public_states: tuple[str, ...]
    searchable: tuple[str, ...]
    facets: tuple[str, ...]
    filterable: tuple[str, ...]
    sortable: tuple[str, ...]
    sorts: Mapping[str, tuple[str, ...]]
    ranking_rules: tuple[str, ...]
    matching_strategy: str
    fallback_matching_strategy: str
    embedded_fields: Mapping[str, tuple[str, ...]]
    embedded_boosts: Mapping[str, float]
    embedded_ranking: Mapping[str, float]
    max_query_chars: int
    max_query_terms: int
    default_per_page: int
    max_per_page: int
    max_page: int
    max_filter_values: int
    max_value_chars: int
    max_values_per_facet: int
    sort_facet_values_by: str
    max_total_hits: int
    crop_chars: int
    crop_marker: str
    localized_attributes: tuple[Mapping[str, tuple[str, ...]], ...]
    #: Each word -> the other words of its synonym group (normalised, see ``normalize``).
    synonyms: Mapping[str, tuple[str, ...]]
    synonym_groups: tuple[tuple[str, ...], ...]
    #: Broader word -> narrower words it also finds (not back).
    one_way_synonyms: Mapping[str, tuple[str, ...]]
    stop_words: frozenset[str]
    dictionary: tuple[str, ...]
    amount_bands: tuple[AmountBand, ...]
    region_suffixes: Mapping[str, str]
    nationalities: tuple[str, ...]
    region_extra_aliases: Mapping[str, tuple[str, ...]]

    def sort_clauses(self, sort: str) -> tuple[str, ...]:
        return self.sorts[sort]


def normalize(text: str) -> str:
    """NFKC + lower case: full-width Ｇ３１８ and ascii g318 are the same word (query and data)."""
    return unicodedata.normalize("NFKC", text).lower()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SearchSettingsError(f"{path}: missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SearchSettingsError(f"{path}: {exc}") from exc


def _read_lines(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SearchSettingsError(f"{path}: missing") from exc
    words = []
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(normalize(word))
    return tuple(dict.fromkeys(words))


def _strs(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SearchSettingsError(f"{path}: {key} must be a list of non-empty strings")
    return tuple(value)


def _int(path: Path, key: str, value: object, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SearchSettingsError(f"{path}: {key} must be an integer >= {minimum}")
    return value


def _subset(path: Path, key: str, items: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    unknown = [i for i in items if i not in allowed]
    if unknown:
        raise SearchSettingsError(f"{path}: {key} names {unknown}, not in {list(allowed)}")


def load_settings(directory: Path | None = None) -> SearchSettings:
    """Read and check every file of ``directory`` (default: the repository's ``search/``)."""
    base = Path(directory) if directory is not None else DEFAULT_DIR
    path = base / "settings.toml"
    raw = _read_toml(path)
    try:
        attrs, sorts_raw, ranking = raw["attributes"], raw["sorts"], raw["ranking"]
        emb, query, faceting = raw["embedded"], raw["query"], raw["faceting"]
        pagination, highlight, meili = raw["pagination"], raw["highlight"], raw["meilisearch"]
        index_uid, primary_key = raw["index_uid"], raw["primary_key"]
    except KeyError as exc:
        raise SearchSettingsError(f"{path}: missing key {exc}") from exc

    searchable = _strs(path, "attributes.searchable", attrs.get("searchable"))
    facets = _strs(path, "attributes.facets", attrs.get("facets"))
    filterable = _strs(path, "attributes.filterable", attrs.get("filterable"))
    sortable = _strs(path, "attributes.sortable", attrs.get("sortable"))
    _subset(path, "attributes.facets", facets, filterable)

    if set(sorts_raw) != set(SORT_NAMES):
        raise SearchSettingsError(f"{path}: [sorts] must define exactly {list(SORT_NAMES)}")
    sorts: dict[str, tuple[str, ...]] = {}
    for name in SORT_NAMES:
        clauses = tuple(sorts_raw[name])
        for clause in clauses:
            attr, _, direction = clause.partition(":")
            if attr not in sortable or direction not in ("asc", "desc"):
                raise SearchSettingsError(
                    f"{path}: sorts.{name} clause {clause!r} must be '<sortable>:asc|desc'"
                )
        sorts[name] = clauses

    fields = {k: _strs(path, f"embedded.fields.{k}", v) for k, v in emb["fields"].items()}
    _subset(path, "embedded.fields", tuple(fields), EMBEDDED_FIELDS)
    covered = [a for attrs_ in fields.values() for a in attrs_]
    if sorted(covered) != sorted(searchable) or set(fields) != set(EMBEDDED_FIELDS):
        raise SearchSettingsError(
            f"{path}: embedded.fields must use {list(EMBEDDED_FIELDS)} and cover "
            "attributes.searchable exactly once"
        )
    boosts = {k: float(v) for k, v in emb["boosts"].items()}
    if set(boosts) != set(EMBEDDED_FIELDS) or min(boosts.values()) <= 0:
        raise SearchSettingsError(f"{path}: embedded.boosts must give a positive boost per field")

    ranking_weights = emb.get("ranking", {})
    if set(ranking_weights) != set(RANKING_WEIGHTS) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
        for v in ranking_weights.values()
    ):
        raise SearchSettingsError(
            f"{path}: embedded.ranking must give exactly {list(RANKING_WEIGHTS)}, each >= 0"
        )
    for key in ("matching_strategy", "fallback_matching_strategy"):
        if ranking.get(key) not in ("all", "last", "frequency"):
            raise SearchSettingsError(f"{path}: ranking.{key} must be all|last|frequency")
    if faceting.get("sort_facet_values_by") not in ("alpha", "count"):
        raise SearchSettingsError(f"{path}: faceting.sort_facet_values_by must be alpha|count")

    localized = tuple(
        {
            "attribute_patterns": _strs(
                path, "localized.attribute_patterns", r["attribute_patterns"]
            ),
            "locales": _strs(path, "localized.locales", r["locales"]),
        }
        for r in meili.get("localized_attributes", [])
    )

    syn_path = base / "synonyms.toml"
    syn_raw = _read_toml(syn_path)
    groups: list[tuple[str, ...]] = []
    for group in syn_raw.get("groups", []):
        words = tuple(dict.fromkeys(normalize(w) for w in _strs(syn_path, "groups", group)))
        if len(words) < 2:
            raise SearchSettingsError(f"{syn_path}: group {group} needs at least two words")
        groups.append(words)
    synonyms: dict[str, tuple[str, ...]] = {}
    for words in groups:
        for word in words:
            others = [w for w in words if w != word]
            synonyms[word] = tuple(dict.fromkeys([*synonyms.get(word, ()), *others]))
    one_way: dict[str, tuple[str, ...]] = {}
    for word, narrower in syn_raw.get("one_way", {}).items():
        key = normalize(word)
        words = tuple(normalize(w) for w in _strs(syn_path, f"one_way.{word}", narrower))
        one_way[key] = words
        synonyms[key] = tuple(
            w for w in dict.fromkeys([*synonyms.get(key, ()), *words]) if w != key
        )

    bands_path = base / "amount_bands.toml"
    bands: list[AmountBand] = []
    previous = 0
    raw_bands = _read_toml(bands_path).get("bands", [])
    for i, band in enumerate(raw_bands):
        below = band.get("below_fen")
        last = i == len(raw_bands) - 1
        if not isinstance(band.get("label"), str) or (below is None) != last:
            raise SearchSettingsError(
                f"{bands_path}: band {i} needs a label, and below_fen on all but the last band"
            )
        if below is not None:
            below = _int(bands_path, f"bands[{i}].below_fen", below, previous + 1)
            previous = below
        bands.append(AmountBand(band["label"], below))
    if not bands:
        raise SearchSettingsError(f"{bands_path}: no bands")

    regions_path = base / "regions.toml"
    regions = _read_toml(regions_path)
    nationalities = _strs(regions_path, "nationalities", regions.get("nationalities"))
    extra = {k: _strs(regions_path, f"extra.{k}", v) for k, v in regions.get("extra", {}).items()}

    return SearchSettings(
        index_uid=index_uid,
        primary_key=primary_key,
        public_states=_strs(path, "public_states", raw.get("public_states")),
        searchable=searchable,
        facets=facets,
        filterable=filterable,
        sortable=sortable,
        sorts=sorts,
        ranking_rules=_strs(path, "ranking.rules", ranking.get("rules")),
        matching_strategy=ranking["matching_strategy"],
        fallback_matching_strategy=ranking["fallback_matching_strategy"],
        embedded_fields=fields,
        embedded_boosts=boosts,
        embedded_ranking={k: float(v) for k, v in ranking_weights.items()},
        max_query_chars=_int(path, "query.max_chars", query.get("max_chars")),
        max_query_terms=_int(path, "query.max_terms", query.get("max_terms")),
        default_per_page=_int(path, "query.default_per_page", query.get("default_per_page")),
        max_per_page=_int(path, "query.max_per_page", query.get("max_per_page")),
        max_page=_int(path, "query.max_page", query.get("max_page")),
        max_filter_values=_int(path, "query.max_filter_values", query.get("max_filter_values")),
        max_value_chars=_int(path, "query.max_value_chars", query.get("max_value_chars")),
        max_values_per_facet=_int(
            path, "faceting.max_values_per_facet", faceting.get("max_values_per_facet")
        ),
        sort_facet_values_by=faceting["sort_facet_values_by"],
        max_total_hits=_int(path, "pagination.max_total_hits", pagination.get("max_total_hits")),
        crop_chars=_int(path, "highlight.crop_chars", highlight.get("crop_chars"), 10),
        crop_marker=str(highlight.get("crop_marker", "…")),
        localized_attributes=localized,
        synonyms=synonyms,
        synonym_groups=tuple(groups),
        one_way_synonyms=one_way,
        stop_words=frozenset(_read_lines(base / "stop_words.txt")),
        dictionary=_read_lines(base / "dictionary.txt"),
        amount_bands=tuple(bands),
        region_suffixes=dict(regions.get("suffixes", {})),
        nationalities=tuple(sorted(nationalities, key=len, reverse=True)),
        region_extra_aliases=extra,
    )


@cache
def default_settings() -> SearchSettings:
    """The repository's ``search/`` folder, read once per process."""
    return load_settings(DEFAULT_DIR)


def meili_settings_body(settings: SearchSettings) -> dict[str, Any]:
    """The Meilisearch ``PATCH /indexes/{uid}/settings`` body for these settings (camelCase)."""
    return {
        "searchableAttributes": list(settings.searchable),
        "filterableAttributes": list(settings.filterable),
        "sortableAttributes": list(settings.sortable),
        "rankingRules": list(settings.ranking_rules),
        "synonyms": {word: list(others) for word, others in settings.synonyms.items()},
        "stopWords": sorted(settings.stop_words),
        "dictionary": list(settings.dictionary),
        "faceting": {
            "maxValuesPerFacet": settings.max_values_per_facet,
            "sortFacetValuesBy": {"*": settings.sort_facet_values_by},
        },
        "pagination": {"maxTotalHits": settings.max_total_hits},
        "localizedAttributes": [
            {"attributePatterns": list(r["attribute_patterns"]), "locales": list(r["locales"])}
            for r in settings.localized_attributes
        ],
    }
