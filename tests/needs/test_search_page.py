"""The search page /search through the app: one box, highlights, facet links that narrow, sorts,
pages — plain HTML without JavaScript — and bad input that never breaks it."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from fupin.needs.service.search import SearchService
from fupin.search.adapters import SearchUnavailable
from tests.needs.search_support import drain, make_need
from tests.support.world import World

ROADS = "硬化通村道路三点五公里，宽四点五米，连通两个自然村和乡镇集市，方便群众出行。"
SCHOOL = "为村小学新建学生食堂一间，购置厨具餐桌，解决六十名留守儿童午餐问题。"


@pytest.fixture
async def corpus(app: Any, world: World) -> dict[str, int]:
    needs = {
        "water_small": await make_need(world, "石门村饮水安全巩固工程", target_yuan=8_000),
        "water_big": await make_need(world, "石门村饮水管网改造工程", target_yuan=300_000),
        "road": await make_need(
            world, "石门村通村道路硬化", category="roads", description=ROADS, target_yuan=900_000
        ),
        "school": await make_need(
            world,
            "新庄村小学食堂建设",
            category="education",
            description=SCHOOL,
            other_county=True,
            target_yuan=60_000,
        ),
        "water_other": await make_need(world, "新庄村饮水水窖修建", other_county=True),
        "draft": await make_need(world, "石门村饮水工程草稿", state="draft"),
    }
    await drain(app)
    return needs


def hit_ids(page: httpx.Response) -> list[int]:
    return [int(i) for i in re.findall(r'<h3><a href="/needs/(\d+)">', page.text)]


def link(page: httpx.Response, label: str) -> str:
    """The href of the facet/sort link whose text is ``label``."""
    match = re.search(r'<a href="([^"]+)"[^>]*>' + re.escape(label) + "</a>", page.text)
    assert match, f"no link {label!r}"
    return html.unescape(match.group(1))


async def test_matches_are_highlighted_with_facet_counts_and_no_script(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    page = await client.get("/search", params={"q": "饮水"})
    assert page.status_code == 200
    assert set(hit_ids(page)) == {corpus["water_small"], corpus["water_big"], corpus["water_other"]}
    assert "<mark>饮水</mark>" in page.text
    assert "<script" not in page.text.lower(), "the page works without JavaScript"
    facets = re.sub(r"\s+", " ", page.text)
    assert re.search(r">云南省</a> <span class=\"count\">2</span>", facets)
    assert re.search(r">四川省</a> <span class=\"count\">1</span>", facets)
    assert "找到 3 个公开需求" in page.text


async def test_a_facet_link_narrows_and_its_chip_widens_again(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    page = await client.get("/search", params={"q": "饮水"})
    narrowed = await client.get(link(page, "四川省"))
    assert hit_ids(narrowed) == [corpus["water_other"]]
    assert "省份：四川省" in narrowed.text
    category = await client.get(link(narrowed, "饮水安全"))
    assert hit_ids(category) == [corpus["water_other"]]
    chip = re.search(r'<a href="([^"]+)" title="去掉此条件">省份：四川省', category.text)
    assert chip
    widened = await client.get(html.unescape(chip.group(1)))
    assert set(hit_ids(widened)) == {
        corpus["water_small"],
        corpus["water_big"],
        corpus["water_other"],
    }


async def test_sorts_reorder_the_hits(client: httpx.AsyncClient, corpus: dict[str, int]) -> None:
    page = await client.get("/search", params={"q": "饮水"})
    by_gap = await client.get(link(page, "缺口最大"))
    ids = hit_ids(by_gap)
    assert ids[0] == corpus["water_big"] and ids[-1] == corpus["water_small"]
    assert '<strong aria-current="true">缺口最大</strong>' in by_gap.text


async def test_pages_follow_on_and_keep_the_query(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    first = await client.get("/search", params={"q": "村", "per_page": "2"})
    assert len(hit_ids(first)) == 2
    next_href = re.search(r'<a href="(\?page=2[^"]*)">', first.text)
    assert next_href
    second = await client.get("/search" + html.unescape(next_href.group(1)))
    assert len(hit_ids(second)) == 2
    assert not set(hit_ids(first)) & set(hit_ids(second))


async def test_browsing_without_words_lists_public_needs_only(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    page = await client.get("/search")
    assert page.status_code == 200
    assert corpus["draft"] not in hit_ids(page)
    assert len(hit_ids(page)) == 5


async def test_a_title_with_markup_is_shown_as_text(
    app: Any, world: World, client: httpx.AsyncClient
) -> None:
    need_id = await make_need(world, "<script>alert(1)</script>饮水工程")
    await drain(app)
    page = await client.get("/search", params={"q": "饮水"})
    assert hit_ids(page) == [need_id]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>饮水</mark>" in page.text
    assert "<script>" not in page.text


ENGINE_WORDS = ("tantivy", "Traceback", "ValueError", "meilisearch", "syntax")


#: (query parameters, expected status, words the page must say)
BAD_INPUT: list[tuple[dict[str, str], int, str]] = [
    ({"q": ""}, 200, "共 5 个公开需求"),
    # 10,000 characters (httpx caps a URL at 64 KiB, so not all of them 3-byte Chinese)
    ({"q": "饮水" * 1000 + "a" * 8000}, 422, "不能超过 200 个字"),
    ({"sort": "bogus"}, 422, "未知的排序方式"),
    ({"facets": "bogus"}, 422, "未知的分面"),
    ({"q": "饮水", "province": '云南省" OR state = "draft'}, 200, "没有找到"),
    ({"q": "饮水", "category": "drinking_water) OR (1=1"}, 200, "没有找到"),
    ({"q": "饮水", "state": "draft"}, 200, "没有找到"),
    ({"q": "！？。，……——"}, 200, "没有找到"),
    ({"q": "😀🎉🙏"}, 200, "没有找到"),
    ({"q": '"*:* OR title:' + "("}, 200, "没有找到"),
    ({"q": "饮水\x00\x07"}, 200, "<mark>饮水</mark>"),  # control characters are dropped
    ({"page": "abc"}, 422, "page 必须是整数"),
    ({"page": "99999"}, 422, "页码须在"),
    ({"per_page": "0"}, 422, "每页条数"),
    ({"county": "县" * 500}, 422, "筛选值不能超过"),
]


async def test_bad_input_gets_a_clear_answer_never_a_500(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    for params, status, says in BAD_INPUT:  # one world for the whole table (fast)
        page = await client.get("/search", params=params)
        assert page.status_code == status, (params, page.text[:500])
        assert says in page.text, params
        assert corpus["draft"] not in hit_ids(page), params
        for word in ENGINE_WORDS:
            assert word not in page.text, params


@pytest.mark.parametrize(
    "failure", [SearchUnavailable("连接被拒绝 10.0.0.5:7700"), RuntimeError("tantivy panicked")]
)
async def test_an_engine_that_is_down_gives_a_503_page_pointing_to_the_needs_list(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    search: SearchService = app.state.search

    async def broken(query: object) -> None:
        raise failure

    monkeypatch.setattr(search.backend, "search", broken)
    page = await client.get("/search", params={"q": "饮水"})
    assert page.status_code == 503
    assert "搜索暂时不可用" in page.text
    assert '<a href="/needs">' in page.text
    assert "10.0.0.5" not in page.text and "panicked" not in page.text


async def test_most_words_results_say_so_above_the_hits(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    page = await client.get("/search", params={"q": "饮水 体育馆"})
    assert page.status_code == 200
    assert "没有同时包含所有词的结果，以下为部分匹配" in page.text
    assert corpus["water_small"] in hit_ids(page)
    exact = await client.get("/search", params={"q": "饮水"})
    assert "以下为部分匹配" not in exact.text
