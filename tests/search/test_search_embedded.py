"""What only the embedded backend has: files on disk, one writer, other processes following."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fupin.search.adapters import SearchQuery, SearchUnavailable
from fupin.search.adapters.embedded import EmbeddedBackend
from fupin.search.rules.settings_data import default_settings
from tests.search.fupin_search_corpus import BY_ID, CORPUS


async def found(backend: EmbeddedBackend, text: str) -> set[int]:
    return {h["id"] for h in (await backend.search(SearchQuery(text=text, per_page=100))).hits}


async def test_index_persists_across_reopen(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as backend:
        assert await backend.ensure_index() is False  # created empty: caller should reindex
        await backend.upsert(CORPUS)
    async with EmbeddedBackend(tmp_path) as again:
        assert await again.ensure_index() is True
        assert await again.count() == len(CORPUS)
        assert 1 in await found(again, "饮水")


async def test_search_before_the_index_exists_is_unavailable(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as backend:
        assert await backend.health() is False
        with pytest.raises(SearchUnavailable):
            await backend.search(SearchQuery(text="饮水"))


async def test_a_second_writer_is_refused_while_the_first_holds_the_index(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as writer, EmbeddedBackend(tmp_path) as other:
        await writer.ensure_index()
        await writer.upsert(CORPUS[:2])  # takes the writer lock and keeps it
        with pytest.raises(SearchUnavailable):
            await other.upsert(CORPUS[2:4])
        assert await other.count() == 2  # but it can read
    async with EmbeddedBackend(tmp_path) as later:  # the lock went with the first writer
        await later.upsert(CORPUS[2:4])
        assert await later.count() == 4


async def test_readers_follow_a_rebuild_finished_by_another_instance(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as reader, EmbeddedBackend(tmp_path) as indexer:
        await indexer.ensure_index()
        await indexer.upsert(CORPUS)
        assert 1 in await found(reader, "火普村")
        token = await indexer.start_rebuild()
        await indexer.rebuild_add(token, [dict(BY_ID[1], title="火普村鹦鹉饮水")])
        await indexer.finish_rebuild(token)
        assert await found(reader, "鹦鹉") == {1}
        assert await reader.count() == 1
        generations = sorted(p.name for p in tmp_path.glob("gen-*"))
        assert len(generations) == 2  # the live one and the one it replaced


async def test_changed_index_layout_recreates_the_index(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as backend:
        await backend.ensure_index()
        await backend.upsert(CORPUS)
    changed = dataclasses.replace(default_settings(), nationalities=("彝族",))
    async with EmbeddedBackend(tmp_path, changed) as backend:
        assert await backend.ensure_index() is False
        assert await backend.count() == 0


async def test_bigrams_find_substrings_across_word_boundaries(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path) as backend:
        await backend.ensure_index()
        await backend.upsert(CORPUS)
        assert 1 in await found(backend, "水安")  # 饮水|安全: no segmenter would cut here
        assert 1 not in await found(backend, "水全")  # not a substring
