"""What the app holds for search (docs/domain.md §3.12): the backend chosen by the settings, and
:meth:`SearchService.search_needs`, the one call behind the search page, the JSON API and the CLI.

Guarantees on top of the backend:

* **Never a need that is not public.** The index only receives public documents, and in addition
  every page of hits is checked against the database before it is returned: a hit whose need is
  no longer public (withdrawn a moment ago, its outbox row not drained yet) is dropped, and the
  money figures of the rest are taken from the database (they move with every pledge).
* **Bad input is the caller's error, named.** A :class:`SearchQueryError` becomes
  :class:`fupin.errors.InvalidInput` naming the parameter (``q``, ``sort``, ``page``,
  ``per_page``, ``facets`` or the facet used as a filter) → 422, never a 500.
* **Engine down → 503, not a guess.** :class:`SearchUnavailable` (and any unexpected engine
  failure, which is logged) becomes :class:`fupin.errors.ServiceUnavailable` with a message that
  says so and points at the needs list. Decision: no database "fallback" without full text — a
  list that ignores the words typed would look like search results and mislead; the needs list
  (``/needs``, database-backed, filters by region/category/state) stays available and the error
  links to it. Writes are not affected: they wait in the outbox (outbox_db.py).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fupin.core.clock import today_cn
from fupin.errors import InvalidInput, ServiceUnavailable
from fupin.i18n import _
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.needs.rules import effective_state
from fupin.needs.service import search_outbox as outbox_db
from fupin.regions.models import Region
from fupin.search.adapters import SearchBackend, create_backend
from fupin.search.rules.base import SearchError, SearchQuery, SearchQueryError, SearchUnavailable
from fupin.search.rules.settings_data import SORT_NAMES, SearchSettings, default_settings
from fupin.settings import Settings

log = logging.getLogger(__name__)

#: Facets whose filter also accepts a region code (``province=530000``), as the needs list does.
CODE_FILTERS = {"province": "province", "county": "county"}


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        _("搜索暂时不可用，请稍后再试。需求列表（/needs）仍可按地区、类别浏览。"),
        code="search_unavailable",
    )


def partial_note() -> str:
    """What the page and the API say when search fell back from every word to most words."""
    return _("没有同时包含所有词的结果，以下为部分匹配")


@dataclass(frozen=True)
class NeedSearchArgs:
    """A search request, as parsed from a query string (page and API use the same names)."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int | None = None
    facets: tuple[str, ...] | None = None  # None: every facet of search/settings.toml


@dataclass
class NeedSearchPage:
    """One page of public needs. ``items`` are search documents (fupin.search.rules.documents.FIELDS)
    plus ``highlight`` = {"title", "description"}: escaped HTML with ``<mark>`` (Markup)."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    args: NeedSearchArgs
    #: No need holds every word typed: these hits hold most of them (``note`` says so).
    partial: bool = False

    @property
    def note(self) -> str | None:
        return partial_note() if self.partial else None

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.per_page else 0


def _int_arg(name: str, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("%(name)s 必须是整数。", name=name), field=name) from None


def parse_query_args(
    items: Iterable[tuple[str, str]], *, settings: SearchSettings | None = None
) -> NeedSearchArgs:
    """Read ``q``, ``sort``, ``page``, ``per_page``, ``facets`` (comma-separated) and one
    repeatable parameter per facet (``province=云南省&province=四川省``). Other parameters are
    not search parameters and are ignored (e.g. ``lang``). Values are checked by search_needs."""
    search_settings = settings or default_settings()
    params: dict[str, list[str]] = {}
    for key, value in items:
        params.setdefault(key, []).append(value)

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[-1] if values else None

    filters: dict[str, tuple[str, ...]] = {}
    for name in search_settings.facets:
        values = tuple(v for raw in params.get(name, []) if (v := raw.strip()))
        if values:
            filters[name] = values
    page = _int_arg("page", one("page"))
    facets_raw = one("facets")
    facets = None
    if facets_raw is not None:
        facets = tuple(f for f in (p.strip() for p in facets_raw.split(",")) if f)
    return NeedSearchArgs(
        q=one("q") or "",
        filters=filters,
        sort=one("sort") or "relevance",
        page=1 if page is None else page,
        per_page=_int_arg("per_page", one("per_page")),
        facets=facets,
    )


#: Parameters only search answers: full text, the facets the database list has no filter for,
#: and facet counts. ``GET /api/v1/needs`` with any of them (or ``sort=relevance``, or a facet
#: given several values) is served by search instead of the database list.
SEARCH_ONLY_PARAMS = ("q", "contiguous_area", "amount_band", "facets")
MULTI_VALUE_FACETS = ("province", "county", "category", "state")


def wants_search(items: Iterable[tuple[str, str]]) -> bool:
    """Should this public needs-list request be answered by search (see SEARCH_ONLY_PARAMS)?"""
    seen: dict[str, int] = {}
    for key, value in items:
        if key in SEARCH_ONLY_PARAMS or (key == "sort" and value == "relevance"):
            return True
        seen[key] = seen.get(key, 0) + 1
    return any(seen.get(name, 0) > 1 for name in MULTI_VALUE_FACETS)


class SearchService:
    """The search backend of this process, opened in the app's lifespan (``app.state.search``)
    or by a CLI command / the standalone worker."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.settings: SearchSettings = backend.settings
        self.ready = False  # ensure_index() succeeded
        self.index_created_empty = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchService:
        """Meilisearch when ``FUPIN_MEILI_URL`` is set, else the embedded index in
        ``settings.search_dir`` (docs/domain.md §4.2). Not opened yet."""
        backend = create_backend(
            meili_url=settings.meili_url or None,
            meili_api_key=str(settings.meili_key) or None,
            embedded_dir=settings.search_dir,
        )
        return cls(backend)

    async def open(self) -> None:
        """Open the backend and try to prepare the index. An engine that is down does not stop
        the app: searches answer 503 and the worker keeps retrying ensure_ready()."""
        try:
            await self.backend.open()
        except Exception:  # e.g. an unreadable index directory: 503s and logs, not a dead app
            log.exception("search backend could not be opened")
            return
        await self.ensure_ready()

    async def ensure_ready(self) -> bool:
        if self.ready:
            return True
        try:
            existed = await self.backend.ensure_index()
        except SearchError as exc:
            log.warning("search index not ready: %s", exc)
            return False
        except Exception:
            log.exception("search index could not be prepared")
            return False
        self.index_created_empty = self.index_created_empty or not existed
        self.ready = True
        return True

    async def close(self) -> None:
        await self.backend.close()

    async def health(self) -> bool:
        return self.ready and await self.backend.health()

    # ---- searching ------------------------------------------------------------------------

    async def _code_to_names(self, filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """``province=530000`` means 云南省: the index holds names (the facet values people
        see), the needs list speaks codes; both work here."""
        out: dict[str, list[str]] = {}
        for name, values in filters.items():
            values = list(values)
            if name in CODE_FILTERS:
                codes = [v for v in values if v.isascii() and v.isdigit() and len(v) <= 12]
                if codes:
                    found = dict(await Region.filter(code__in=codes).values_list("code", "name"))
                    values = [found.get(v, v) for v in values]
            out[name] = values
        return out

    async def search_needs(
        self,
        q: str = "",
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int | None = None,
        facets: Sequence[str] | None = None,
    ) -> NeedSearchPage:
        """Search public needs. Raises InvalidInput (422, naming the field) or
        ServiceUnavailable (503); never an engine error."""
        args = NeedSearchArgs(
            q=q,
            filters={k: tuple(v) for k, v in (filters or {}).items()},
            sort=sort,
            page=page,
            per_page=per_page,
            facets=tuple(facets) if facets is not None else None,
        )
        return await self.search(args)

    async def search(self, args: NeedSearchArgs) -> NeedSearchPage:
        if args.sort not in SORT_NAMES:  # checked again by the backend; named here for the UI
            raise InvalidInput(
                _("未知的排序方式：%(sort)s", sort=args.sort[:40]), field="sort", code="unknown"
            )
        query = SearchQuery(
            text=args.q,
            filters=await self._code_to_names(args.filters),
            sort=args.sort,
            page=args.page,
            per_page=args.per_page,
            facets=self.settings.facets if args.facets is None else args.facets,
        )
        if not self.ready and not await self.ensure_ready():
            raise unavailable()
        try:
            result = await self.backend.search(query)
        except SearchQueryError as exc:
            raise InvalidInput(str(exc), field=exc.field, code=exc.code) from None
        except SearchError as exc:
            log.warning("search failed: %s", exc)
            raise unavailable() from None
        except Exception:  # an engine failure the backend did not map: log it, never leak it
            log.exception("search backend failed unexpectedly")
            raise unavailable() from None
        items, dropped = await self._only_public(result.hits)
        return NeedSearchPage(
            items=items,
            total=max(0, result.total - dropped),
            page=result.page,
            per_page=result.per_page,
            facets=result.facets,
            args=args,
            partial=result.partial,
        )

    async def _only_public(self, hits: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """Keep the hits whose need is public *now* (the database decides, not the index), with
        the current state and money figures."""
        if not hits:
            return [], 0
        today = today_cn()
        rows = {
            r["id"]: r
            for r in await Need.filter(
                id__in=[h["id"] for h in hits], state__in=PUBLIC_STATES
            ).values("id", "state", "deadline", "target_fen", "pledged_fen", "received_fen")
            # a published need past its deadline has expired, even before the sweep ran
            if effective_state(r["state"], r["deadline"], today) in PUBLIC_STATES
        }
        items = []
        for hit in hits:
            row = rows.get(hit["id"])
            if row is None:
                continue
            item = {k: v for k, v in hit.items() if k != "_highlight"}
            item.update({k: v for k, v in row.items() if k != "deadline"})
            item["open_fen"] = max(row["target_fen"] - row["pledged_fen"], 0)
            item["highlight"] = hit["_highlight"]
            items.append(item)
        return items, len(hits) - len(items)


@dataclass(frozen=True)
class RebuildReport:
    indexed: int  # public needs written to the new index
    requeued: int  # needs changed while the rebuild ran, queued again in the outbox


async def rebuild_index(
    service: SearchService,
    *,
    batch_size: int = 500,
    progress: Any = None,
) -> RebuildReport:
    """Rebuild the index from the database without downtime for readers (``fupin reindex``).

    Searches keep using the live index while a twin is filled; the twin then replaces it in one
    atomic step (SearchBackend.finish_rebuild). A change the outbox worker applied to the *old*
    index while the rebuild ran would be lost by the swap, so every need whose outbox row was
    applied (or was being applied) since the start is queued again afterwards; changes still
    waiting in the outbox reach the new index anyway. ``progress(n)`` is called after each
    batch (a coroutine function is awaited)."""
    if not await service.ensure_ready():
        raise unavailable()
    backend = service.backend
    started = outbox_db.utcnow()
    token = await backend.start_rebuild()
    indexed = 0
    try:
        after = 0
        while True:
            docs = await outbox_db.public_documents(after, batch_size)
            if not docs:
                break
            await backend.rebuild_add(token, docs)
            indexed += len(docs)
            after = docs[-1]["id"]
            if progress is not None:
                step = progress(len(docs))
                if inspect.isawaitable(step):
                    await step
        await backend.finish_rebuild(token)
    except BaseException:
        await backend.abort_rebuild(token)
        raise
    requeued = await outbox_db.requeue_changed_since(started)
    return RebuildReport(indexed=indexed, requeued=requeued)


async def open_service(settings: Settings) -> SearchService:
    service = SearchService.from_settings(settings)
    await service.open()
    return service


def get_service(state: Any) -> SearchService:
    """``request.app.state`` → the app's SearchService (503 when the app has none)."""
    service = getattr(state, "search", None)
    if service is None:
        raise unavailable()
    return service


__all__ = [
    "NeedSearchArgs",
    "NeedSearchPage",
    "SearchService",
    "SearchUnavailable",
    "get_service",
    "open_service",
    "parse_query_args",
    "wants_search",
]
