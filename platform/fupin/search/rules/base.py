"""The one small search interface the rest of Fupin uses (docs/domain.md §4.1: "Search backends sit behind
one small interface"): query and result types, the error hierarchy, and :class:`SearchBackend`.

Everything here is engine-neutral. Validation of a query happens once, here, so both backends
refuse the same bad input with the same :class:`SearchQueryError` naming the field, and no engine
error ever reaches a user ("Bad input").
"""

from __future__ import annotations

import abc
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Self

from fupin.i18n import _
from fupin.search.rules.settings_data import SORT_NAMES, SearchSettings


class SearchError(Exception):
    """Base of every search failure. ``str(err)`` is safe to show: it never carries engine text."""


class SearchQueryError(SearchError):
    """The query itself is wrong. ``field`` is the parameter to blame (``q``, ``sort``, ``page``,
    ``per_page``, ``facets`` or a facet name used as a filter); ``code`` is stable for the API."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class SearchUnavailable(SearchError):
    """The engine cannot be reached or is not ready; retry later (the outbox does)."""


class SearchDocumentError(SearchError):
    """A document is malformed (missing field, wrong type): a programming error upstream."""


@dataclass(frozen=True)
class SearchQuery:
    """What a user asked for. Filters: facet name -> allowed values, ORed within a facet and ANDed
    across facets (the amount band is the facet ``amount_band``)."""

    text: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int | None = None  # None: settings' default_per_page
    facets: Sequence[str] = ()


@dataclass(frozen=True)
class ValidQuery:
    """A :class:`SearchQuery` after :func:`validate_query`: normalised, bounded, safe to use."""

    text: str
    filters: Mapping[str, tuple[str, ...]]
    sort: str
    page: int
    per_page: int
    facets: tuple[str, ...]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SearchResult:
    """One page of hits. Each hit is the indexed document plus ``_highlight`` =
    ``{"title": Markup, "description": Markup}``: HTML-escaped text with ``<mark>`` around the
    matches (description cropped around the first match), safe to render unescaped.
    ``facets`` = {facet: {value: count}} over all hits of the query, most frequent first.
    ``partial``: no need holds every word of the query, so these hits hold most of them (the
    caller must say so: "没有同时包含所有词的结果，以下为部分匹配")."""

    hits: list[dict[str, Any]]
    total: int
    facets: dict[str, dict[str, int]]
    page: int
    per_page: int
    partial: bool = False

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.per_page else 0


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def validate_query(query: SearchQuery, settings: SearchSettings) -> ValidQuery:
    """Check and normalise ``query``; raise :class:`SearchQueryError` naming the field.

    Filter values are kept as data: they are never parsed, and each backend quotes them for its
    own engine (meili.quote_filter_value), so no value can change the meaning of a filter.
    """
    if not isinstance(query.text, str):
        raise SearchQueryError("q", "invalid", _("搜索词必须是文字"))
    text = " ".join(query.text.split())
    if len(text) > settings.max_query_chars:
        raise SearchQueryError(
            "q", "too_long", _("搜索词不能超过 %(n)s 个字", n=settings.max_query_chars)
        )
    if query.sort not in SORT_NAMES:
        raise SearchQueryError(
            "sort", "unknown", _("未知的排序方式：%(sort)s", sort=str(query.sort)[:40])
        )
    page = query.page
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= settings.max_page:
        raise SearchQueryError(
            "page", "out_of_range", _("页码须在 1 到 %(n)s 之间", n=settings.max_page)
        )
    per_page = settings.default_per_page if query.per_page is None else query.per_page
    if (
        not isinstance(per_page, int)
        or isinstance(per_page, bool)
        or not 1 <= per_page <= settings.max_per_page
    ):
        raise SearchQueryError(
            "per_page", "out_of_range", _("每页条数须在 1 到 %(n)s 之间", n=settings.max_per_page)
        )
    if isinstance(query.facets, str):
        raise SearchQueryError("facets", "invalid", _("分面须为名称列表"))
    facets = tuple(dict.fromkeys(query.facets))
    for name in facets:
        if name not in settings.facets:
            raise SearchQueryError(
                "facets", "unknown", _("未知的分面：%(name)s", name=str(name)[:40])
            )
    filters: dict[str, tuple[str, ...]] = {}
    for name, values in query.filters.items():
        if name not in settings.filterable:
            raise SearchQueryError(
                str(name)[:40], "unknown_filter", _("未知的筛选条件：%(name)s", name=str(name)[:40])
            )
        if isinstance(values, str):
            values = (values,)
        clean: list[str] = []
        for value in values:
            if not isinstance(value, str) or _has_control(value):
                raise SearchQueryError(name, "invalid", _("筛选值无效"))
            if len(value) > settings.max_value_chars:
                raise SearchQueryError(
                    name, "too_long", _("筛选值不能超过 %(n)s 个字", n=settings.max_value_chars)
                )
            clean.append(value)
        clean = list(dict.fromkeys(clean))
        if len(clean) > settings.max_filter_values:
            raise SearchQueryError(
                name, "too_many", _("筛选值不能超过 %(n)s 个", n=settings.max_filter_values)
            )
        if clean:
            filters[name] = tuple(clean)
    return ValidQuery(
        text=text,
        filters=MappingProxyType(filters),
        sort=query.sort,
        page=page,
        per_page=per_page,
        facets=facets,
    )


def sort_facet_counts(counts: Mapping[str, int], order: str) -> dict[str, int]:
    """Facet values most frequent first (ties by value), or by value (``alpha``): the same order
    on every backend."""
    if order == "alpha":
        return dict(sorted(counts.items()))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def empty_result(query: ValidQuery) -> SearchResult:
    """The answer to a query with text but no searchable word (only punctuation, emoji or stop
    words): nothing matches. Not an error, and not "everything" either."""
    return SearchResult(
        hits=[],
        total=0,
        facets={f: {} for f in query.facets},
        page=query.page,
        per_page=query.per_page,
    )


class SearchBackend(abc.ABC):
    """A search engine holding the public needs.

    Writers: in production the outbox worker is the only writer (docs/domain.md §3.12); in embedded mode the
    index directory also allows only one writing process (see EmbeddedBackend). Any number of
    processes may search.

    Zero-downtime rebuild (``fupin reindex``)::

        started = now()
        token = await backend.start_rebuild()          # empty twin index, same settings
        for batch in all_public_needs_in_batches():
            await backend.rebuild_add(token, batch)
        await backend.finish_rebuild(token)             # atomic swap; readers never see a gap
        # then re-upsert the needs changed since `started` (changes the outbox applied to the old
        # index while the rebuild ran), or simply leave their outbox rows to be drained again.
    """

    name: str = "abstract"

    def __init__(self, settings: SearchSettings) -> None:
        self.settings = settings

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abc.abstractmethod
    async def open(self) -> None:
        """Acquire resources (client, index files). Cheap; does not create the index."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release resources. Safe to call twice."""

    @abc.abstractmethod
    async def ensure_index(self) -> bool:
        """Create the index if missing and apply the settings of ``search/``.

        Returns False when the index was created empty (or had to be recreated), i.e. the caller
        should run a full reindex; True when existing documents are usable as they are."""

    @abc.abstractmethod
    async def upsert(self, docs: Sequence[Mapping[str, Any]], *, wait: bool = False) -> None:
        """Add or replace documents by ``id``. Documents whose ``state`` is not public are removed
        from the index instead (search never shows a need that is not public). ``wait=True``:
        return only once a following search sees the change (read-your-writes)."""

    @abc.abstractmethod
    async def delete(self, ids: Sequence[int], *, wait: bool = False) -> None:
        """Remove documents by id (unknown ids are ignored)."""

    @abc.abstractmethod
    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query; raises SearchQueryError (bad input) or SearchUnavailable."""

    @abc.abstractmethod
    async def health(self) -> bool:
        """True when searches can be served now. Never raises."""

    @abc.abstractmethod
    async def count(self) -> int:
        """Number of documents in the live index (for reindex progress and checks)."""

    @abc.abstractmethod
    async def wait_for_pending(self, timeout_s: float = 30.0) -> None:
        """Wait until every write this object sent is visible to searches."""

    @abc.abstractmethod
    async def start_rebuild(self) -> str:
        """Start an empty twin index with the same settings; returns its token."""

    @abc.abstractmethod
    async def rebuild_add(self, token: str, docs: Sequence[Mapping[str, Any]]) -> None:
        """Add documents to the twin index (not visible to searches yet)."""

    @abc.abstractmethod
    async def finish_rebuild(self, token: str) -> None:
        """Make the twin the live index in one atomic step and drop the old one."""

    @abc.abstractmethod
    async def abort_rebuild(self, token: str) -> None:
        """Drop the twin index; the live index is untouched."""
