"""Fixtures of the search suite: one backend per available engine, loaded with the fixed corpus.

The embedded backend always runs. Meilisearch runs only when ``FUPIN_TEST_MEILI_URL`` points at
a running server (``FUPIN_TEST_MEILI_KEY`` for its key): no package can install a Meilisearch
server on dev/CI machines (docs/stack.md §1.1), so there the adapter is covered by the contract tests
(test_meili_contract.py) instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fupin.search.adapters import SearchBackend
from fupin.search.adapters.embedded import EmbeddedBackend
from tests.search.fupin_search_corpus import CORPUS

MEILI_URL = os.environ.get("FUPIN_TEST_MEILI_URL", "")
BACKENDS = ["embedded", *(["meilisearch"] if MEILI_URL else [])]


def make_backend(kind: str, directory: Path) -> SearchBackend:
    if kind == "embedded":
        return EmbeddedBackend(directory / "index")
    from fupin.search.adapters.meili import MeiliBackend

    return MeiliBackend(
        MEILI_URL,
        os.environ.get("FUPIN_TEST_MEILI_KEY") or None,
        index_uid=f"fupin_test_{uuid.uuid4().hex[:10]}",
    )


@pytest.fixture(params=BACKENDS)
async def empty_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SearchBackend]:
    backend = make_backend(request.param, tmp_path)
    async with backend:
        await backend.ensure_index()
        try:
            yield backend
        finally:
            if request.param == "meilisearch":  # leave the shared server clean
                await backend.client.index(backend.index_uid).delete()  # type: ignore[attr-defined]


@pytest.fixture
async def backend(empty_backend: SearchBackend) -> SearchBackend:
    await empty_backend.upsert(CORPUS, wait=True)
    return empty_backend
