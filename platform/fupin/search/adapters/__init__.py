"""Search over public needs (docs/domain.md §3.12) behind one small interface (base.SearchBackend).

Two backends: ``EmbeddedBackend`` (default, tantivy index in a directory, no server) and
``MeiliBackend`` (production, when a Meilisearch URL is configured). Use :func:`create_backend`.
"""

from __future__ import annotations

from pathlib import Path

from fupin.search.rules.base import (
    SearchBackend,
    SearchDocumentError,
    SearchError,
    SearchQuery,
    SearchQueryError,
    SearchResult,
    SearchUnavailable,
)
from fupin.search.rules.settings_data import SearchSettings, default_settings, load_settings

__all__ = [
    "SearchBackend",
    "SearchDocumentError",
    "SearchError",
    "SearchQuery",
    "SearchQueryError",
    "SearchResult",
    "SearchSettings",
    "SearchUnavailable",
    "create_backend",
    "default_settings",
    "load_settings",
]


def create_backend(
    *,
    meili_url: str | None = None,
    meili_api_key: str | None = None,
    embedded_dir: Path | str | None = None,
    settings: SearchSettings | None = None,
) -> SearchBackend:
    """Meilisearch when ``meili_url`` is set (production), else the embedded index in
    ``embedded_dir``. Call ``await backend.open()`` (or ``async with backend``) before use."""
    # Each backend is imported only when chosen: a process loads the Meilisearch SDK (half a
    # second to import, and httpx) or tantivy's native library, never both, and a process that
    # does not search (the CLI's other commands) loads neither.
    if meili_url:
        from fupin.search.adapters.meili import MeiliBackend

        return MeiliBackend(meili_url, meili_api_key, settings=settings)
    if embedded_dir is None:
        raise ValueError("embedded_dir is required when no Meilisearch URL is configured")
    from fupin.search.adapters.embedded import EmbeddedBackend  # (see above)

    return EmbeddedBackend(embedded_dir, settings=settings)
