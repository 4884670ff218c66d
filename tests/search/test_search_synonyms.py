"""Every synonym group of search/synonyms.toml, on the embedded engine: each word of a group finds
a need that only uses another word of it, and the need with the word as typed comes first.
One-way entries find their narrower words and are not found back."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.search.adapters import SearchQuery
from fupin.search.adapters.embedded import EmbeddedBackend
from fupin.search.rules.settings_data import default_settings
from tests.search.fupin_search_corpus import BY_ID

S = default_settings()


def need(need_id: int, word: str) -> dict:
    """A need that says ``word`` and nothing else a group could match."""
    return dict(
        BY_ID[44],
        id=need_id,
        title=f"红星村{word}项目",
        description=f"红星村群众提出{word}的需求，村民代表大会已通过。",
        items="",
        category="other",
        category_label="其他",
    )


@pytest.mark.parametrize("group", S.synonym_groups, ids=["/".join(g[:3]) for g in S.synonym_groups])
async def test_every_word_of_the_group_finds_the_others_typed_word_first(
    tmp_path: Path, group: tuple[str, ...]
) -> None:
    docs = [need(i + 1, word) for i, word in enumerate(group)]
    async with EmbeddedBackend(tmp_path / "index") as backend:
        await backend.ensure_index()
        await backend.upsert(docs, wait=True)
        for i, word in enumerate(group):
            found = [h["id"] for h in (await backend.search(SearchQuery(text=word))).hits]
            assert set(found) == {d["id"] for d in docs}, (word, found)
            # the word as typed first (a longer word of the group holding it ties with it)
            holding = {d["id"] for d in docs if word in d["title"]}
            assert set(found[: len(holding)]) == holding, (word, found)
            assert found[0] in holding and i + 1 in holding


@pytest.mark.parametrize("word", sorted(S.one_way_synonyms))
async def test_a_one_way_word_finds_its_narrower_words_not_back(tmp_path: Path, word: str) -> None:
    narrower = S.one_way_synonyms[word]
    docs = [need(1, word), *(need(i + 2, w) for i, w in enumerate(narrower))]
    async with EmbeddedBackend(tmp_path / "index") as backend:
        await backend.ensure_index()
        await backend.upsert(docs, wait=True)
        found = [h["id"] for h in (await backend.search(SearchQuery(text=word))).hits]
        assert set(found) == {d["id"] for d in docs} and found[0] == 1
        for i, w in enumerate(narrower):
            back = [h["id"] for h in (await backend.search(SearchQuery(text=w))).hits]
            assert i + 2 in back
            if word not in S.synonyms.get(w, ()) and w not in word:
                assert 1 not in back, (w, "finds the broader word")
