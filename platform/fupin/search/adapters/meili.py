"""The Meilisearch backend (production, ``FUPIN_MEILI_URL``), through meilisearch-python-sdk's
``AsyncClient`` (docs/stack.md §2).

What it sends is pinned by contract tests against Meilisearch's own OpenAPI document
(tests/contracts/). Notes:

* Settings come from ``search/`` (settings_data.meili_settings_body), including
  ``localizedAttributes: cmn`` so short Chinese texts are not taken for Japanese.
* Filters are built from validated facet names and *quoted* values (quote_filter_value), so a
  value such as ``x" OR state = "draft`` stays one value and can never widen the filter.
* Highlighting uses ``showMatchesPosition`` (byte offsets) and the shared renderer
  (highlight.py) rather than Meilisearch's ``_formatted``, which is not HTML-escaped: a title
  containing ``<script>`` must reach the page as text.
* Every engine or transport error is mapped to SearchError subclasses; the details are logged,
  never shown.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch_python_sdk.models.search import SearchResults
from meilisearch_python_sdk.models.settings import MeilisearchSettings
from meilisearch_python_sdk.types import JsonDict

from fupin.i18n import _
from fupin.search.rules import highlight
from fupin.search.rules.base import (
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchQueryError,
    SearchResult,
    SearchUnavailable,
    ValidQuery,
    empty_result,
    sort_facet_counts,
    validate_query,
)
from fupin.search.rules.documents import FIELDS, check_ids, derived_fields, prepare
from fupin.search.rules.settings_data import SearchSettings, default_settings, meili_settings_body
from fupin.search.rules.text import QueryParser

log = logging.getLogger(__name__)

_ATTRIBUTE = re.compile(r"[a-z_][a-z0-9_]*")

#: Meilisearch error code -> the query field to blame (our validation should catch these first;
#: they still happen e.g. while new settings are being applied).
_QUERY_ERROR_FIELDS = {
    "invalid_search_q": "q",
    "invalid_search_filter": "filters",
    "invalid_search_sort": "sort",
    "invalid_search_facets": "facets",
    "invalid_search_page": "page",
    "invalid_search_hits_per_page": "per_page",
}


def quote_filter_value(value: str) -> str:
    """A Meilisearch filter string literal holding exactly ``value``.

    Meilisearch's filter parser (crates/filter-parser/src/value.rs) reads a double-quoted value
    up to the first unescaped ``"``, turns ``\\"`` into ``"`` and then unescapes ``\\\\`` to
    ``\\``; doubling backslashes first and then escaping quotes is the exact inverse."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(filters: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One ``IN [...]`` expression per facet; Meilisearch ANDs the expressions of an array."""
    out = []
    for name, values in filters.items():
        if not _ATTRIBUTE.fullmatch(name):  # names come from search/settings.toml, never users
            raise ValueError(f"not an attribute name: {name!r}")
        out.append(f"{name} IN [{', '.join(quote_filter_value(v) for v in values)}]")
    return out or None


class MeiliBackend(SearchBackend):
    name = "meilisearch"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        settings: SearchSettings | None = None,
        *,
        index_uid: str | None = None,
        timeout_s: int = 10,
        task_timeout_ms: int = 30_000,
    ) -> None:
        super().__init__(settings or default_settings())
        self.url = url
        self.api_key = api_key
        self.index_uid = index_uid or self.settings.index_uid
        self.timeout_s = timeout_s
        self.task_timeout_ms = task_timeout_ms
        self._client: AsyncClient | None = None
        self._parser: QueryParser | None = None
        self._pending: list[int] = []
        self._rebuild_tasks: dict[str, list[int]] = {}

    # ---- plumbing -------------------------------------------------------------------------

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise SearchUnavailable(_("搜索服务暂不可用"))
        return self._client

    async def open(self) -> None:
        if self._client is None:
            self._client = AsyncClient(self.url, self.api_key, timeout=self.timeout_s)
        if self._parser is None:
            self._parser = QueryParser(self.settings)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _map_error(self, exc: Exception, action: str) -> SearchError:
        """Log the engine's words, return ours."""
        if isinstance(exc, MeilisearchApiError):
            log.warning("meilisearch %s failed: %s %s", action, exc.status_code, exc)
            code = exc.code
            if code in _QUERY_ERROR_FIELDS or code.startswith("invalid_search"):
                field = _QUERY_ERROR_FIELDS.get(code, "q")
                return SearchQueryError(field, "rejected", _("搜索条件无效"))
            if code == "index_not_found" or exc.status_code >= 500:
                return SearchUnavailable(_("搜索服务暂不可用"))
            return SearchError(_("搜索服务出错"))
        log.warning("meilisearch %s unavailable: %r", action, exc)
        return SearchUnavailable(_("搜索服务暂不可用"))

    _ERRORS = (MeilisearchError, httpx2.HTTPError, OSError)

    async def _wait(self, task_uids: Sequence[int]) -> None:
        for uid in task_uids:
            try:
                task = await self.client.wait_for_task(uid, timeout_in_ms=self.task_timeout_ms)
            except MeilisearchTimeoutError as exc:
                raise SearchUnavailable(_("搜索服务处理超时")) from exc
            except self._ERRORS as exc:
                raise self._map_error(exc, "task wait") from exc
            if task.status != "succeeded":
                log.error("meilisearch task %s %s: %s", uid, task.status, task.error)
                raise SearchError(_("搜索索引更新失败"))

    async def wait_for_pending(self, timeout_s: float = 30.0) -> None:
        pending, self._pending = self._pending, []
        await self._wait(pending)

    def _to_meili(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        return {**doc, **derived_fields(doc, self.settings)}

    # ---- index ----------------------------------------------------------------------------

    async def _apply_settings(self, uid: str) -> None:
        body = MeilisearchSettings.model_validate(meili_settings_body(self.settings))
        try:
            task = await self.client.index(uid).update_settings(body)
        except self._ERRORS as exc:
            raise self._map_error(exc, "settings") from exc
        await self._wait([task.task_uid])

    async def _create_index(self, uid: str) -> None:
        try:
            await self.client.create_index(
                uid,
                primary_key=self.settings.primary_key,
                wait=True,
                timeout_in_ms=self.task_timeout_ms,
            )
        except self._ERRORS as exc:
            raise self._map_error(exc, "create index") from exc

    async def _index_exists(self, uid: str) -> bool:
        try:
            await self.client.get_index(uid)
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                return False
            raise self._map_error(exc, "get index") from exc
        except self._ERRORS as exc:
            raise self._map_error(exc, "get index") from exc
        return True

    async def ensure_index(self) -> bool:
        existed = await self._index_exists(self.index_uid)
        if not existed:
            await self._create_index(self.index_uid)
        await self._apply_settings(self.index_uid)  # Meilisearch re-indexes by itself if needed
        return existed

    async def health(self) -> bool:
        try:
            status = await self.client.health()
        except Exception:  # health never raises
            return False
        return status.status == "available"

    async def count(self) -> int:
        try:
            stats = await self.client.index(self.index_uid).get_stats()
        except self._ERRORS as exc:
            raise self._map_error(exc, "stats") from exc
        return stats.number_of_documents

    # ---- writing --------------------------------------------------------------------------

    async def _write(self, uid: str, docs: list[dict[str, Any]], ids: list[int]) -> list[int]:
        index = self.client.index(uid)
        tasks = []
        try:
            if docs:
                info = await index.add_documents(
                    [self._to_meili(d) for d in docs], primary_key=self.settings.primary_key
                )
                tasks.append(info.task_uid)
            if ids:
                info = await index.delete_documents([str(i) for i in ids])
                tasks.append(info.task_uid)
        except self._ERRORS as exc:
            raise self._map_error(exc, "write") from exc
        return tasks

    async def upsert(self, docs: Sequence[Mapping[str, Any]], *, wait: bool = False) -> None:
        to_index, to_delete = prepare(docs, self.settings)
        tasks = await self._write(self.index_uid, to_index, to_delete)
        if wait:
            await self._wait(tasks)
        else:
            self._pending.extend(tasks)

    async def delete(self, ids: Sequence[int], *, wait: bool = False) -> None:
        tasks = await self._write(self.index_uid, [], check_ids(ids))
        if wait:
            await self._wait(tasks)
        else:
            self._pending.extend(tasks)

    # ---- rebuild --------------------------------------------------------------------------

    def _twin(self, token: str) -> str:
        if token not in self._rebuild_tasks:
            raise SearchUnavailable(_("未知的重建任务"))
        return f"{self.index_uid}_rebuild_{token}"

    async def start_rebuild(self) -> str:
        token = uuid.uuid4().hex[:12]
        self._rebuild_tasks[token] = []
        twin = self._twin(token)
        await self._create_index(twin)
        await self._apply_settings(twin)
        return token

    async def rebuild_add(self, token: str, docs: Sequence[Mapping[str, Any]]) -> None:
        twin = self._twin(token)
        to_index, _ignored = prepare(docs, self.settings)
        self._rebuild_tasks[token] += await self._write(twin, to_index, [])

    async def finish_rebuild(self, token: str) -> None:
        twin = self._twin(token)
        await self._wait(self._rebuild_tasks[token])
        if not await self._index_exists(self.index_uid):
            await self._create_index(self.index_uid)
        try:
            swap = await self.client.swap_indexes([(self.index_uid, twin)])
        except self._ERRORS as exc:
            raise self._map_error(exc, "swap") from exc
        await self._wait([swap.task_uid])
        del self._rebuild_tasks[token]
        try:  # the twin now holds the old documents
            await self.client.index(twin).delete()
        except self._ERRORS as exc:
            log.warning("could not drop old index %s: %r", twin, exc)

    async def abort_rebuild(self, token: str) -> None:
        if token not in self._rebuild_tasks:
            return
        twin = self._twin(token)
        del self._rebuild_tasks[token]
        try:
            await self.client.index(twin).delete()
        except self._ERRORS as exc:
            log.warning("could not drop rebuild index %s: %r", twin, exc)

    # ---- searching ------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchResult:
        valid = validate_query(query, self.settings)
        if self._parser is None:
            raise SearchUnavailable(_("搜索服务暂不可用"))
        parsed = self._parser.parse(valid.text)
        if valid.text and parsed.is_empty:
            return empty_result(valid)
        sort = valid.sort
        if sort == "relevance" and parsed.is_empty:
            sort = "newest"  # same browsing order as the embedded backend
        found = await self._search_once(valid, parsed.plain, sort, self.settings.matching_strategy)
        partial = False
        if not found.hits and not found.total_hits and parsed.can_fall_back:
            # No need holds every word: most words instead, and the page says so.
            strategy = self.settings.fallback_matching_strategy
            found = await self._search_once(valid, parsed.plain, sort, strategy)
            partial = bool(found.hits)
        hits = []
        for hit in found.hits:
            doc = {k: hit[k] for k in FIELDS if k in hit}
            positions = hit.get("_matchesPosition") or {}
            title, description = str(doc.get("title", "")), str(doc.get("description", ""))
            doc["_highlight"] = {
                "title": highlight.render(
                    title, highlight.byte_spans_to_chars(title, positions.get("title", []))
                ),
                "description": highlight.render(
                    description,
                    highlight.byte_spans_to_chars(description, positions.get("description", [])),
                    crop=self.settings.crop_chars,
                    marker=self.settings.crop_marker,
                ),
            }
            hits.append(doc)
        distribution = found.facet_distribution or {}
        facets = {
            name: sort_facet_counts(
                {str(k): int(v) for k, v in (distribution.get(name) or {}).items() if k != ""},
                self.settings.sort_facet_values_by,
            )
            for name in valid.facets
        }
        total = found.total_hits if found.total_hits is not None else found.estimated_total_hits
        return SearchResult(
            hits=hits,
            total=total or 0,
            facets=facets,
            page=valid.page,
            per_page=valid.per_page,
            partial=partial,
        )

    async def _search_once(
        self, valid: ValidQuery, plain: str, sort: str, strategy: str
    ) -> SearchResults[JsonDict]:
        try:
            return await self.client.index(self.index_uid).search(
                plain or None,
                filter=build_filter(valid.filters),
                facets=list(valid.facets) or None,
                sort=list(self.settings.sort_clauses(sort)) or None,
                page=valid.page,
                hits_per_page=valid.per_page,
                attributes_to_retrieve=list(FIELDS),
                show_matches_position=True,
                matching_strategy=strategy,  # type: ignore[arg-type]
            )
        except self._ERRORS as exc:
            raise self._map_error(exc, "search") from exc
