"""Relevance set: Chinese queries over the fixed corpus, each with the needs that must
come first. The first ``len(must)`` hits must be exactly those needs (in any order among
themselves); everything else may follow in any order.

Why these needs come first, in words: a need whose TITLE carries the word as typed beats one
that only mentions it in its description, beats one that only carries a synonym; a region name
returns the needs of that region; words typed together must all match.
"""

from __future__ import annotations

import pytest

from fupin.search.adapters import SearchBackend, SearchQuery
from tests.search.fupin_search_corpus import BY_ID, ids_where

LIANGSHAN = ids_where(lambda d: d["prefecture"] == "凉山彝族自治州")

# (query, must come first, filters)
CASES: list[tuple[str, set[int], dict[str, list[str]]]] = [
    ("饮水", {1, 6, 56, 64}, {}),
    ("饮用水", {4}, {}),
    ("自来水", {3}, {}),
    ("净水", {6}, {}),
    ("水窖", {5}, {}),
    ("道路", {7, 9, 45, 64}, {}),
    ("道路硬化", {7, 45}, {}),
    ("公路", {8, 46}, {}),
    ("通村路", {10, 58}, {}),
    ("危房", {13, 57}, {}),
    ("危房改造", {13, 57}, {}),
    ("住房改造", {14}, {}),
    ("易地搬迁", {49}, {}),
    ("凉山", LIANGSHAN, {}),
    ("凉山州", LIANGSHAN, {}),
    ("黔东南", {9, 29, 34, 52}, {}),
    ("甘孜", {15, 27, 48}, {}),
    ("广南县", {3, 24, 41, 51}, {}),
    ("威宁", {4, 19, 43, 58}, {}),
    ("新疆", {6, 22, 47, 64}, {}),
    ("小学 食堂", {17, 48}, {}),
    ("凉山 小学", {17}, {}),
    ("凉山小学", {17}, {}),
    ("凉山 饮水", {1}, {}),
    ("学校", {21, 59}, {}),
    ("教室", {18}, {}),
    ("幼儿园", {19}, {}),
    ("留守儿童", {20}, {}),
    ("光伏", {26}, {}),
    ("太阳能发电", {27}, {}),
    ("卫生室", {23}, {}),
    ("诊所", {62}, {}),
    ("医疗设备", {24}, {}),
    ("宽带", {39}, {}),
    ("电商", {40}, {}),
    ("养殖", {30, 52, 63}, {}),
    ("牦牛", {63}, {}),
    ("茶叶", {29}, {}),
    ("魔芋", {31}, {}),
    ("冷链", {33}, {}),
    ("高标准农", {32}, {}),
    ("东西部协作", {60}, {}),
    ("民宿", {34}, {}),
    ("农家乐", {35}, {}),
    ("农家书屋", {37}, {}),
    ("文化广场", {36}, {}),
    ("村史馆", {38}, {}),
    ("垃圾", {41}, {}),
    ("厕所", {42}, {}),
    ("饮水", {3}, {"province": ["云南省"]}),
    ("道路", {7, 9, 45}, {"category": ["roads"]}),
]


def test_relevance_set_is_large_enough_and_consistent() -> None:
    assert len(CASES) >= 40
    for _text, must, _filters in CASES:
        assert must and must <= set(BY_ID)


@pytest.mark.parametrize(
    ("text", "must", "filters"), CASES, ids=[f"{t}{'|' + str(f) if f else ''}" for t, _, f in CASES]
)
async def test_the_right_needs_come_first(
    backend: SearchBackend, text: str, must: set[int], filters: dict[str, list[str]]
) -> None:
    result = await backend.search(SearchQuery(text=text, filters=filters, per_page=100))
    ranked = [h["id"] for h in result.hits]
    top = ranked[: len(must)]
    assert set(top) == must, [(i, BY_ID[i]["title"]) for i in ranked[: len(must) + 3]]
