"""Generated demo need text (scope 7)."""

from __future__ import annotations

import random
import re

import pytest

from fupin.core.categories import CATEGORY_CODES
from fupin.core.money import budget_text
from fupin.demo.rules.common import BUDGET_RANGE_FEN, MAX_TITLE_LENGTH, WAN, NeedItemText, NeedText
from fupin.demo.rules.places import village_name
from fupin.demo.rules.texts import need_text

DRAWS = 60  # per category; the whole file runs in well under a second


def draw(category: str, seed: int, **names: str) -> NeedText:
    rng = random.Random(seed)
    places = {"county": "平山县", "township": "下口镇", "village": village_name(rng)} | names
    return need_text(category, rng=rng, **places)


@pytest.mark.parametrize("category", CATEGORY_CODES)
def test_every_category_produces_valid_need_text(category: str) -> None:
    low, high = BUDGET_RANGE_FEN[category]
    for seed in range(DRAWS):
        text = draw(category, seed)
        assert 0 < len(text.title) <= MAX_TITLE_LENGTH, text.title
        assert 80 <= len(text.description) <= 600, text.description
        assert isinstance(text.target_fen, int) and low <= text.target_fen <= high
        assert text.target_fen % 100 == 0, "budgets are whole yuan"
        assert 0 < text.households <= text.people
        for item in text.items:
            assert isinstance(item, NeedItemText)
            assert item.name and item.unit
            assert isinstance(item.quantity, int) and item.quantity > 0
            assert isinstance(item.unit_value_fen, int) and item.unit_value_fen > 0
        assert sum(item.quantity * item.unit_value_fen for item in text.items) <= text.target_fen


@pytest.mark.parametrize("category", CATEGORY_CODES)
def test_description_states_the_budget_and_names_the_village(category: str) -> None:
    for seed in range(10):
        text = draw(category, seed, village="石门村")
        assert budget_text(text.target_fen) in text.description
        assert "石门村" in text.description
        if category != "education":  # a township's 中心小学 is named after the township
            assert "石门村" in text.title


def test_long_real_names_still_give_short_titles() -> None:
    for category in CATEGORY_CODES:
        for seed in range(20):
            text = draw(
                category,
                seed,
                county="双江拉祜族佤族布朗族傣族自治县",
                township="内蒙古赤峰高新技术产业开发区管理委员会红山产业园",
            )
            assert len(text.title) <= MAX_TITLE_LENGTH


def test_same_seed_gives_the_same_text() -> None:
    for category in CATEGORY_CODES:
        assert draw(category, 42) == draw(category, 42)
    assert [village_name(random.Random(3)) for _ in range(5)] == [
        village_name(random.Random(3)) for _ in range(5)
    ]


def test_different_seeds_give_varied_titles_and_descriptions() -> None:
    rng = random.Random(2014)
    titles: set[str] = set()
    openings: set[str] = set()
    for _ in range(200):
        village = village_name(rng)
        text = need_text(
            rng.choice(CATEGORY_CODES), county="平山县", township="下口镇", village=village, rng=rng
        )
        titles.add(text.title)
        openings.add(text.description[:30])
    assert len(titles) >= 150
    assert len(openings) >= 150


def test_village_names_are_varied_chinese_names_ending_in_cun() -> None:
    rng = random.Random(7)
    names = [village_name(rng) for _ in range(200)]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}村", name) for name in names), names
    assert len(set(names)) >= 120


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ("drinking_water", ("饮水", "饮用水", "自来水")),
        ("roads", ("道路", "硬化", "公路", "通村路")),
        ("housing", ("危房",)),
        ("education", ("小学", "食堂")),
        ("health", ("卫生室",)),
        ("electricity", ("光伏",)),
        ("industry", ("养殖",)),
        ("informatization", ("电商",)),
    ],
)
def test_texts_use_the_words_people_search_for(category: str, words: tuple[str, ...]) -> None:
    corpus = " ".join(
        text.title + text.description for text in (draw(category, seed) for seed in range(DRAWS))
    )
    for word in words:
        assert word in corpus, word


def test_school_kitchen_budget_is_five_to_thirty_wan() -> None:
    kitchens = [
        text for text in (draw("education", seed) for seed in range(300)) if "食堂" in text.title
    ]
    assert len(kitchens) >= 10
    assert all(5 * WAN <= text.target_fen <= 30 * WAN for text in kitchens)


def test_road_budget_is_length_times_cost_per_kilometre() -> None:
    for seed in range(DRAWS):
        text = draw("roads", seed)
        match = re.search(r"硬化道路([\d.]+)公里", text.description)
        per_km = re.search(r"按每公里([\d.]+)万元", text.description)
        assert match and per_km
        expected = round(float(match[1]) * float(per_km[1]) * WAN)
        assert text.target_fen == expected


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (864_000_00, "86.4万元"),
        (1_200_000_00, "120万元"),
        (30_500_00, "3.05万元"),
        (161_490_00, "161490元"),
        (2_200_00, "2200元"),
    ],
)
def test_amounts_are_written_exactly(fen: int, shown: str) -> None:
    assert budget_text(fen) == shown


def test_unknown_category_is_refused() -> None:
    with pytest.raises(KeyError):
        draw("space_programme", 1)
