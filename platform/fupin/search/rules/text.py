"""Chinese-aware text analysis shared by the backends (pure: no I/O, no engine).

Index side (embedded engine): text becomes overlapping character bigrams (饮水安全 -> 饮水 水安
安全) plus whole ascii words; a query word is then found as a *phrase of its bigrams*, i.e. as a
substring, so every 2-character word (饮水, 道路) matches exactly, whatever the segmentation of
the document (docs/stack.md §3.2: jieba-only indexes missed 15% of 4-character queries).

Query side (both backends): the query is cut into runs of Han characters and ascii words;
punctuation and emoji are separators and nothing else. A Han run longer than two characters is
segmented with rjieba (凉山小学 -> 凉山 + 小学, each must match, anywhere in the need), stop words
are dropped, and each word is expanded with its synonyms. The whole run is kept as a phrase that
ranks higher when it occurs as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import rjieba

from fupin.search.rules.settings_data import SearchSettings, normalize

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
#: A run of Han characters, or an ascii word (text is normalised to lower case first).
RUN = re.compile(rf"[{_HAN}]+|[a-z0-9]+")


def is_han(word: str) -> bool:
    return bool(word) and not word[0].isascii()


def bigrams(word: str) -> list[str]:
    """The tokens of one run: ascii word as is, one Han character as is, else its bigrams."""
    if not is_han(word) or len(word) == 1:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]


def index_tokens(text: str) -> list[str]:
    """Tokens of a field for the bigram index, in order (positions matter for phrases)."""
    out: list[str] = []
    for match in RUN.finditer(normalize(text)):
        out.extend(bigrams(match.group()))
    return out


def unigram_tokens(text: str) -> set[str]:
    """Distinct Han characters, for one-character queries (a bigram index cannot answer 水)."""
    return {c for m in RUN.finditer(normalize(text)) if is_han(m.group()) for c in m.group()}


#: Endings of place names people add or leave out (凉山 / 凉山州, 昭觉 / 昭觉县, 竹核 / 竹核乡).
PLACE_SUFFIXES = ("自治州", "自治县", "州", "县", "市", "旗", "盟", "区", "镇", "乡", "村")
#: Words with such an ending that are not place names (贫困村 is not a place called 贫困).
NOT_PLACE_STEMS = frozenset({"贫困", "深度贫困", "示范", "试点", "重点", "行政", "新农", "美丽"})


def place_stem(word: str) -> str | None:
    """The name without its administrative ending (凉山州 → 凉山), when at least two
    characters remain; None for anything else. 凉山 is a substring of every way of writing
    凉山州, so a query word with an ending still finds the place written without it."""
    if not is_han(word):
        return None
    for suffix in PLACE_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            return None if stem in NOT_PLACE_STEMS else stem
    return None


def synonym_sets(settings: SearchSettings) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The synonym sets as (key, words): a document holding any of the words carries the key
    (the embedded engine indexes the keys, so a query word's synonyms cost one term each).
    One key per group (g0, g1 …) and one per one-way word (o0 …: its narrower words)."""
    groups = [(f"g{i}", group) for i, group in enumerate(settings.synonym_groups)]
    one_way = sorted(settings.one_way_synonyms.items())
    return (*groups, *((f"o{i}", words) for i, (_key, words) in enumerate(one_way)))


def synonym_keys(settings: SearchSettings) -> dict[str, tuple[str, ...]]:
    """word → the keys of :func:`synonym_sets` that hold its synonyms."""
    out: dict[str, list[str]] = {}
    for i, group in enumerate(settings.synonym_groups):
        for word in group:
            out.setdefault(word, []).append(f"g{i}")
    for i, (key, _words) in enumerate(sorted(settings.one_way_synonyms.items())):
        out.setdefault(key, []).append(f"o{i}")
    return {word: tuple(keys) for word, keys in out.items()}


@dataclass(frozen=True)
class Term:
    """One query word: a document matches when it contains ANY of the alternatives (the word as
    typed first, then its synonyms). The first ``typed`` alternatives count as the word as
    typed (the word, and its place stem: 凉山州 → 凉山); the rest are synonyms."""

    alternatives: tuple[str, ...]
    typed: int = 1


@dataclass(frozen=True)
class ParsedQuery:
    #: Every term must match (AND), each anywhere in the searchable fields.
    terms: tuple[Term, ...]
    #: Runs typed as one string that were split into several terms: a need containing the run as
    #: typed ranks higher, but it is not required.
    phrases: tuple[str, ...]
    #: The query as words separated by spaces, free of any engine syntax (quotes, minus signs).
    plain: str
    #: When no need holds every word, may the search fall back to most words? Yes for words
    #: typed apart (小学 食堂) and for a sentence (我们公司想资助云南的小学: three words or
    #: more in one run); no for one compound typed as one string (道路硬化工程), whose parts
    #: alone mean something else.
    can_fall_back: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def highlight_words(self) -> tuple[str, ...]:
        words = [w for t in self.terms for w in t.alternatives] + list(self.phrases)
        return tuple(dict.fromkeys(words))


_registered_words: set[str] = set()


def _segmenter(settings: SearchSettings) -> Any:
    """rjieba with the domain dictionary and every synonym registered (once per process), so
    that 住房改造项目 is cut as 住房改造 + 项目 and the synonym group is found."""
    words = set(settings.dictionary) | set(settings.synonyms)
    for word in sorted(words - _registered_words):
        if is_han(word):
            rjieba.add_word(word, None, None)
    _registered_words.update(words)
    return rjieba


class QueryParser:
    def __init__(self, settings: SearchSettings) -> None:
        self.settings = settings
        self._jieba = _segmenter(settings)

    def _term(self, word: str) -> Term:
        stem = place_stem(word)
        typed = (word, stem) if stem and stem not in self.settings.stop_words else (word,)
        synonyms = [w for w in self.settings.synonyms.get(word, ()) if w not in typed]
        return Term((*typed, *synonyms), typed=len(typed))

    def parse(self, text: str) -> ParsedQuery:
        stop = self.settings.stop_words
        terms: list[Term] = []
        phrases: list[str] = []
        runs = [m.group() for m in RUN.finditer(normalize(text))]
        kept_runs = 0
        sentence = False
        for run in runs:
            if run in stop:
                continue
            kept_runs += 1
            if not is_han(run) or len(run) <= 2 or run in self.settings.synonyms:
                terms.append(self._term(run))
                continue
            words = [w for w in self._jieba.cut(run) if w not in stop and RUN.fullmatch(w)]
            if words == [run]:
                terms.append(self._term(run))
                continue
            terms.extend(self._term(w) for w in words)
            sentence = sentence or len([w for w in self._jieba.cut(run) if RUN.fullmatch(w)]) >= 3
            if len(words) > 1 or (words and words[0] != run):
                phrases.append(run)
        unique = list(dict.fromkeys(terms))[: self.settings.max_query_terms]
        return ParsedQuery(
            terms=tuple(unique),
            phrases=tuple(phrases),
            plain=" ".join(runs),
            can_fall_back=len(unique) > 1 and (kept_runs > 1 or sentence),
        )
