"""One test per ranking rule of the embedded engine (search/README.md, "Ranking in the embedded
engine"), each on a few needs made to differ only in what the rule looks at."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fupin.core.clock import today_cn
from fupin.search.adapters import SearchQuery
from fupin.search.adapters.embedded import EmbeddedBackend
from tests.search.fupin_search_corpus import BY_ID

FILLER = "项目由村民理事会组织实施，县乡村振兴局负责监督验收，资金使用情况在村务公开栏公示。"


def need(need_id: int, title: str, description: str = FILLER, **fields: Any) -> dict[str, Any]:
    base = dict(BY_ID[44], category="other", category_label="其他", items="")
    base.update(
        county="会宁县", prefecture="白银市", province="甘肃省", township="河畔镇", village="新庄村"
    )
    return {**base, "id": need_id, "title": title, "description": description, **fields}


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EmbeddedBackend]:
    async with EmbeddedBackend(tmp_path / "index") as backend:
        await backend.ensure_index()
        yield backend


async def ranked(backend: EmbeddedBackend, docs: Sequence[dict[str, Any]], q: str) -> list[int]:
    await backend.upsert(list(docs), wait=True)
    return [h["id"] for h in (await backend.search(SearchQuery(text=q))).hits]


@pytest.mark.parametrize("field", ["description", "items"])
async def test_the_typed_word_in_any_field_beats_a_synonym_in_the_title(
    engine: EmbeddedBackend, field: str
) -> None:
    synonym_in_title = need(
        1, "新庄村自来水入户工程", "新庄村自来水管网老化，全村自来水入户改造。", items="自来水管"
    )
    typed_elsewhere = need(2, "新庄村人畜用水改造", **{field: "解决群众饮水问题"})
    assert await ranked(engine, [synonym_in_title, typed_elsewhere], "饮水") == [2, 1]


async def test_a_need_in_the_county_named_outranks_one_that_only_mentions_it(
    engine: EmbeddedBackend,
) -> None:
    elsewhere = need(
        1,
        "布拖县瓦都村饮水安全工程",
        "瓦都村饮水困难，学习会宁县经验建设水窖，解决饮水问题。",
        county="布拖县",
        prefecture="凉山彝族自治州",
        province="四川省",
    )
    here = need(2, "新庄村人畜用水改造", "新庄村群众饮水困难，修建蓄水池一座。")
    assert await ranked(engine, [elsewhere, here], "会宁 饮水") == [2, 1]


async def test_shortest_title_order_no_longer_decides(engine: EmbeddedBackend) -> None:
    short = need(1, "饮水工程")
    long = need(
        2,
        "会宁县河畔镇新庄村饮水安全巩固提升工程（蓄水池100立方米）",
        "新庄村群众饮水靠水窖，旱季饮水困难。新建蓄水池一座，保障186户饮水安全。",
        items="饮水设备 净水器",
    )
    assert await ranked(engine, [short, long], "饮水") == [2, 1]


async def test_needs_alike_for_the_words_are_ordered_by_business_tie_breaks(
    engine: EmbeddedBackend,
) -> None:
    today = today_cn()

    def deadline(days: int) -> dict[str, Any]:
        day = today + timedelta(days=days)
        ts = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        return {"deadline": day.isoformat(), "deadline_ts": ts}

    text = "新庄村群众饮水困难，修建蓄水池一座。"
    funded = need(1, "甲村饮水工程", text, state="funded", open_fen=0, **deadline(10))
    later = need(2, "乙村饮水工程", text, state="published", open_fen=500_000, **deadline(200))
    sooner = need(3, "丙村饮水工程", text, state="published", open_fen=500_000, **deadline(20))
    # a longer title, otherwise alike: its length does not decide either
    longer = need(
        4, "丁村饮水工程二期续建", text, state="published", open_fen=500_000, **deadline(5)
    )
    assert await ranked(engine, [funded, later, sooner, longer], "饮水") == [4, 3, 2, 1]


async def test_words_typed_together_rank_higher_where_they_stand_together(
    engine: EmbeddedBackend,
) -> None:
    apart = need(1, "新庄村小学操场和村委会食堂改造")
    together = need(2, "新庄村小学食堂和操场改造")
    assert await ranked(engine, [apart, together], "小学 食堂") == [2, 1]
    as_typed = need(3, "新庄小学的食堂扩建")
    assert (await ranked(engine, [as_typed], "新庄小学"))[0] == 3


async def test_most_words_fallback_ranks_needs_with_more_of_the_words_first(
    engine: EmbeddedBackend,
) -> None:
    one = need(1, "新庄村小学操场硬化")
    two = need(2, "新庄村小学食堂改造")
    await engine.upsert([one, two], wait=True)
    result = await engine.search(SearchQuery(text="小学 食堂 体育馆"))
    assert result.partial and [h["id"] for h in result.hits] == [2, 1]
    exact = await engine.search(SearchQuery(text="小学 食堂"))
    assert not exact.partial and [h["id"] for h in exact.hits] == [2]
