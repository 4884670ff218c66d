"""The behaviour suite: the same tests for every backend (conftest.BACKENDS).

Assertions are about what users see, phrased so that they hold for any engine that
honours the contract: e.g. "every need with 饮水 in its title is found", not an engine's exact
scoring.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from fupin.search.adapters import SearchBackend, SearchDocumentError, SearchQuery, SearchQueryError
from fupin.search.rules.settings_data import default_settings
from tests.search.fupin_search_corpus import BY_ID, CORPUS, ids_where, make_doc

ALL = 100  # max per_page: the corpus has 64 needs


async def ids(backend: SearchBackend, text: str = "", **kw: object) -> list[int]:
    result = await backend.search(SearchQuery(text=text, per_page=ALL, **kw))  # type: ignore[arg-type]
    return [h["id"] for h in result.hits]


def titles_with(*words: str) -> set[int]:
    return ids_where(lambda d: any(w in d["title"] for w in words))


def anywhere(doc: dict, word: str) -> bool:
    fields = (
        "title",
        "description",
        "items",
        "category_label",
        "province",
        "prefecture",
        "county",
        "township",
        "village",
    )
    return any(word in doc[f] for f in fields)


def anywhere_or_synonym(doc: dict, word: str) -> bool:
    """The word or one of its synonyms (search/synonyms.toml) is in the need."""
    return any(anywhere(doc, w) for w in (word, *default_settings().synonyms.get(word, ())))


# ---- Chinese words --------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["饮水", "道路", "危房", "光伏", "宽带", "茶叶", "民宿", "水窖"])
async def test_two_character_word_finds_every_need_with_it_in_the_title(
    backend: SearchBackend, word: str
) -> None:
    found = set(await ids(backend, word))
    assert titles_with(word) <= found
    assert titles_with(word), "corpus check: the word is in some title"


async def test_every_hit_contains_the_word_or_a_synonym(backend: SearchBackend) -> None:
    group = ("饮水", *default_settings().synonyms["饮水"])
    found = await ids(backend, "饮水")
    assert found
    for need_id in found:
        assert any(anywhere(BY_ID[need_id], w) for w in group), BY_ID[need_id]["title"]


async def test_synonyms_find_needs_that_use_the_other_word(backend: SearchBackend) -> None:
    assert 1 in await ids(backend, "自来水")  # 火普村饮水安全巩固提升工程
    assert 3 in await ids(backend, "饮水")  # 坝美村自来水入户工程
    assert 14 in await ids(backend, "危房")  # 万福村住房改造项目
    assert 13 in await ids(backend, "住房改造")  # 依撒村危房改造
    assert 8 in await ids(backend, "道路")  # 大坪村组级公路拓宽
    assert 10 in await ids(backend, "道路")  # 红柳村通村路护栏安装


async def test_words_separated_by_spaces_must_all_match(backend: SearchBackend) -> None:
    found = await ids(backend, "小学 食堂")
    assert {17, 48} <= set(found)
    for need_id in found:
        doc = BY_ID[need_id]
        assert anywhere_or_synonym(doc, "小学") and anywhere_or_synonym(doc, "食堂"), doc["title"]
    assert 18 not in found  # 小学教室: no 食堂


async def test_stop_words_are_ignored_between_words(backend: SearchBackend) -> None:
    found = await ids(backend, "学校的食堂")
    assert 59 in found  # 学校的食堂扩建 (as typed)
    assert 17 in found  # 小学食堂改造: its description says 学校食堂
    for need_id in found:
        doc = BY_ID[need_id]
        assert anywhere(doc, "食堂"), doc["title"]


async def test_prefecture_short_name_finds_needs_of_all_its_counties(
    backend: SearchBackend,
) -> None:
    liangshan = ids_where(lambda d: d["prefecture"] == "凉山彝族自治州")
    assert len(liangshan) > 5
    assert set(await ids(backend, "凉山")) == liangshan
    assert set(await ids(backend, "凉山州")) == liangshan


@pytest.mark.parametrize(
    ("text", "prefecture_or_county"),
    [
        ("黔东南", "黔东南苗族侗族自治州"),
        ("恩施", "恩施土家族苗族自治州"),
        ("昭觉", "昭觉县"),
        ("东乡县", "东乡族自治县"),
        ("临夏州", "临夏回族自治州"),
    ],
)
async def test_region_names_find_the_needs_of_that_region(
    backend: SearchBackend, text: str, prefecture_or_county: str
) -> None:
    expected = ids_where(lambda d: prefecture_or_county in (d["prefecture"], d["county"]))
    assert expected
    assert expected <= set(await ids(backend, text))


async def test_region_and_topic_in_one_string_both_must_match(backend: SearchBackend) -> None:
    found = set(await ids(backend, "凉山小学"))
    assert 17 in found  # 美姑县 依果觉村小学食堂改造
    for need_id in found:
        assert BY_ID[need_id]["prefecture"] == "凉山彝族自治州"


async def test_single_character_and_ascii_words_match(backend: SearchBackend) -> None:
    assert 11 in await ids(backend, "桥")
    assert await ids(backend, "G318") == [12]
    assert await ids(backend, "g318") == [12]


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["！？。", "😀🎉", "   ", "…——", "的"])
async def test_punctuation_emoji_or_stop_word_only_query_is_an_empty_result(
    backend: SearchBackend, text: str
) -> None:
    result = await backend.search(SearchQuery(text=text, facets=["province"]))
    if text.strip():
        assert result.total == 0 and result.hits == []
        assert result.facets == {"province": {}}
    else:
        assert result.total == len(CORPUS)  # blank = browse


@pytest.mark.parametrize("length", [201, 10_000])
async def test_too_long_query_is_refused_naming_q(backend: SearchBackend, length: int) -> None:
    with pytest.raises(SearchQueryError) as err:
        await backend.search(SearchQuery(text="饮" * length))
    assert err.value.field == "q"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (SearchQuery(facets=["status"]), "facets"),
        (SearchQuery(filters={"title": ["x"]}), "title"),
        (SearchQuery(sort="price"), "sort"),
        (SearchQuery(page=0), "page"),
        (SearchQuery(per_page=101), "per_page"),
        (SearchQuery(filters={"province": ["云南省\x00"]}), "province"),
    ],
)
async def test_unknown_names_and_bad_values_are_refused_naming_the_field(
    backend: SearchBackend, query: SearchQuery, field: str
) -> None:
    with pytest.raises(SearchQueryError) as err:
        await backend.search(query)
    assert err.value.field == field
    assert str(err.value)  # a message for the user


@pytest.mark.parametrize(
    "filters",
    [
        {"state": ["x' OR state = 'draft"]},
        {"state": ['x" OR state = "published']},
        {"province": ['四川省" OR province = "云南省']},
        {"province": ['四川省\\" OR province = \\"云南省']},
        {"county": ["昭觉县'] OR id > 0 OR county IN ['x"]},
    ],
)
async def test_filter_values_are_data_never_filter_syntax(
    backend: SearchBackend, filters: dict[str, list[str]]
) -> None:
    result = await backend.search(SearchQuery(filters=filters, per_page=ALL))
    assert result.total == 0 and result.hits == []


# ---- facets, filters, sorts, pages ----------------------------------------------------------


async def test_facet_counts_count_all_hits_of_the_query(backend: SearchBackend) -> None:
    facets = ["province", "county", "category", "state", "contiguous_area", "amount_band"]
    result = await backend.search(SearchQuery(text="饮水", facets=facets, per_page=ALL))
    assert result.total == len(result.hits)
    for facet in facets:
        expected = Counter(h[facet] for h in result.hits if h[facet] != "")
        assert result.facets[facet] == dict(expected), facet
        counts = list(result.facets[facet].values())
        assert counts == sorted(counts, reverse=True)  # most frequent first


async def test_filters_or_within_a_facet_and_across_facets(backend: SearchBackend) -> None:
    filters = {"province": ["四川省", "云南省"], "category": ["drinking_water", "roads"]}
    expected = ids_where(
        lambda d: d["province"] in filters["province"] and d["category"] in filters["category"]
    )
    assert set(await ids(backend, filters=filters)) == expected
    assert set(await ids(backend, "饮水", filters=filters)) == expected & set(
        await ids(backend, "饮水")
    )


async def test_amount_band_and_contiguous_area_filters(backend: SearchBackend) -> None:
    big = ids_where(lambda d: d["amount_band"] == "20-100万")
    assert big and set(await ids(backend, filters={"amount_band": ["20-100万"]})) == big
    tibet = ids_where(lambda d: d["contiguous_area"] == "西藏区")
    assert tibet and set(await ids(backend, filters={"contiguous_area": ["西藏区"]})) == tibet


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("deadline", "deadline_ts", False),
        ("open_amount", "open_fen", True),
        ("newest", "published_ts", True),
    ],
)
async def test_sorts_order_every_hit(
    backend: SearchBackend, sort: str, key: str, descending: bool
) -> None:
    for text in ("", "道路"):
        result = await backend.search(SearchQuery(text=text, sort=sort, per_page=ALL))
        values = [h[key] for h in result.hits]
        assert len(values) > 3
        assert values == sorted(values, reverse=descending)


async def test_pages_cover_all_hits_once(backend: SearchBackend) -> None:
    first = await backend.search(SearchQuery(sort="deadline", per_page=ALL))
    seen: list[int] = []
    for page in range(1, 100):
        result = await backend.search(SearchQuery(sort="deadline", page=page, per_page=7))
        assert result.total == first.total and result.per_page == 7
        if not result.hits:
            break
        seen += [h["id"] for h in result.hits]
    assert seen == [h["id"] for h in first.hits]
    assert first.pages == -(-first.total // first.per_page)


async def test_blank_query_browses_everything_newest_first(backend: SearchBackend) -> None:
    result = await backend.search(SearchQuery(per_page=ALL))
    assert result.total == len(CORPUS)
    published = [h["published_ts"] for h in result.hits]
    assert published == sorted(published, reverse=True)


# ---- highlighting ---------------------------------------------------------------------------


async def test_highlight_marks_the_matched_word_in_the_title(backend: SearchBackend) -> None:
    result = await backend.search(SearchQuery(text="饮水", per_page=ALL))
    hit = next(h for h in result.hits if h["id"] == 1)
    assert "<mark>饮水</mark>" in hit["_highlight"]["title"]
    assert hit["title"] == "火普村饮水安全巩固提升工程"  # the document itself is untouched


async def test_highlight_escapes_html_of_the_need(backend: SearchBackend) -> None:
    result = await backend.search(SearchQuery(text="巴什村", per_page=ALL))
    hit = next(h for h in result.hits if h["id"] == 64)
    title, description = hit["_highlight"]["title"], hit["_highlight"]["description"]
    assert "<script>" not in title and "&lt;script&gt;" in title
    assert "&amp;" in title
    assert "<b>" not in description and "&lt;b&gt;" in description
    assert title.replace("<mark>", "").replace("</mark>", "").count("<") == 0


async def test_description_highlight_is_cropped_around_the_match(backend: SearchBackend) -> None:
    long_doc = dict(BY_ID[41], id=900, description="前言" * 150 + "特别的冷链" + "后记" * 150)
    await backend.upsert([long_doc], wait=True)
    result = await backend.search(SearchQuery(text="特别的冷链", per_page=ALL))
    hit = next(h for h in result.hits if h["id"] == 900)
    description = hit["_highlight"]["description"]
    assert "<mark>" in description
    assert len(description) < 400


# ---- writing --------------------------------------------------------------------------------


async def test_only_public_needs_are_ever_found(backend: SearchBackend) -> None:
    draft = dict(
        make_doc(
            (
                901,
                "兰考",
                "兰阳街道",
                "新村",
                "roads",
                "草稿道路项目",
                "草稿",
                "draft",
                1000,
                0,
                "2026-01-01",
                "2025-01-01",
            )
        )
    )
    await backend.upsert([draft], wait=True)
    assert 901 not in await ids(backend, "草稿")
    assert await backend.count() == len(CORPUS)
    withdrawn = dict(BY_ID[1], state="withdrawn")
    await backend.upsert([withdrawn], wait=True)
    assert 1 not in await ids(backend, "火普村")
    assert await backend.count() == len(CORPUS) - 1


async def test_upsert_replaces_and_is_visible_at_once(backend: SearchBackend) -> None:
    changed = dict(BY_ID[7], title="阿土列尔村钢梯改造工程", open_fen=1)
    await backend.upsert([changed], wait=True)
    assert 7 in await ids(backend, "钢梯改造")
    assert 7 not in await ids(backend, "道路硬化工程")
    hit = (await backend.search(SearchQuery(text="钢梯改造"))).hits[0]
    assert hit["open_fen"] == 1


async def test_delete_removes_and_ignores_unknown_ids(backend: SearchBackend) -> None:
    await backend.delete([3, 123456], wait=True)
    assert 3 not in await ids(backend, "坝美村")
    assert await backend.count() == len(CORPUS) - 1


async def test_a_malformed_document_is_refused(empty_backend: SearchBackend) -> None:
    bad = dict(BY_ID[1])
    del bad["county"]
    with pytest.raises(SearchDocumentError):
        await empty_backend.upsert([bad])
    with pytest.raises(SearchDocumentError):
        await empty_backend.upsert([dict(BY_ID[1], target_fen=12.5)])


async def test_rebuild_swaps_in_one_step(backend: SearchBackend) -> None:
    token = await backend.start_rebuild()
    rebuilt = [dict(d, title=d["title"] + "鹦鹉") for d in CORPUS[:10]]
    await backend.rebuild_add(token, rebuilt[:5])
    await backend.rebuild_add(token, rebuilt[5:])
    assert await ids(backend, "鹦鹉") == []  # readers still see the old index
    assert await backend.count() == len(CORPUS)
    await backend.finish_rebuild(token)
    assert set(await ids(backend, "鹦鹉")) == set(range(1, 11))
    assert await backend.count() == 10


async def test_aborted_rebuild_leaves_the_live_index(backend: SearchBackend) -> None:
    token = await backend.start_rebuild()
    await backend.rebuild_add(token, CORPUS[:3])
    await backend.abort_rebuild(token)
    assert await backend.count() == len(CORPUS)
    await backend.upsert([dict(BY_ID[2], title="瓦都村鹦鹉池")], wait=True)
    assert await ids(backend, "鹦鹉池") == [2]


async def test_health_and_pending_writes(backend: SearchBackend) -> None:
    assert await backend.health() is True
    await backend.upsert([dict(BY_ID[5], title="高川村水窖二期")])
    await backend.wait_for_pending()
    assert await ids(backend, "水窖二期") == [5]


def test_query_objects_are_immutable() -> None:
    query = SearchQuery(text="饮水")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.text = "x"  # type: ignore[misc]


def test_behaviour_suite_also_runs_on_meilisearch_when_a_server_is_given() -> None:
    from tests.search.conftest import BACKENDS, MEILI_URL

    if not MEILI_URL:
        pytest.skip(
            "no Meilisearch server can be installed on this machine (docs/stack.md §1.1); set "
            "FUPIN_TEST_MEILI_URL to run this whole suite against one (contract tests cover the "
            "adapter meanwhile)"
        )
    assert "meilisearch" in BACKENDS
