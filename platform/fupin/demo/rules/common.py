"""Generated Chinese text for demo needs: the shared pieces (result types, the village being
written about, money helpers). One module per group of the ten key tasks builds the texts;
``texts.need_text`` picks the builder of a category.

Demo needs must read like the project proposals a county poverty office really files: a title in
the usual "village + works + size" shape, a description that gives the village's situation, what
will be built, how the budget was reckoned and who benefits, and budgets in the ranges such
projects cost. Real-looking text also exercises search (饮水/饮用水/自来水, 道路/公路/通村路, 危房,
小学/食堂, 卫生室, 光伏, 养殖, 电商…), which is the point of good demo data (docs/domain.md §1: the 2017
platform was hurt by needs that looked frivolous and by weak search).

Everything here is a pure function of its arguments and the ``random.Random`` it is given, so a
seed reproduces the same demo data. Village names are invented (the caller marks those villages as
generated); counties and townships are passed in from the real reference data. The text is demo
*content*, stored like any user-written need, so it does not go through gettext.
Money is integer fen (分); amounts shown in the text are derived from the same integers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

YUAN = 100  # fen
WAN = 10_000 * YUAN  # 万元 in fen


# --- result types --------------------------------------------------------------------------------


class NeedItemText(NamedTuple):
    """An in-kind item of a need (docs/domain.md §3.4: name, quantity, unit, unit value)."""

    name: str
    quantity: int
    unit: str
    unit_value_fen: int

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_value_fen


@dataclass(frozen=True)
class NeedText:
    title: str
    description: str
    target_fen: int
    items: list[NeedItemText] = field(default_factory=list)
    households: int = 0
    people: int = 0


#: Budget range of each category in fen, inclusive: what such village projects cost. Roads:
#: 0.8-5 km of 3.5-4.5 m concrete at 40-60万元/km; a small school kitchen is 5-30万元.
BUDGET_RANGE_FEN: dict[str, tuple[int, int]] = {
    "roads": (30 * WAN, 300 * WAN),
    "drinking_water": (8 * WAN, 150 * WAN),
    "electricity": (10 * WAN, 200 * WAN),
    "housing": (5 * WAN, 200 * WAN),
    "industry": (10 * WAN, 150 * WAN),
    "tourism": (10 * WAN, 200 * WAN),
    "education": (1 * WAN, 80 * WAN),
    "health": (5 * WAN, 50 * WAN),
    "culture": (5 * WAN, 80 * WAN),
    "informatization": (3 * WAN, 60 * WAN),
    "other": (3 * WAN, 100 * WAN),
}

MAX_TITLE_LENGTH = 60

# --- helpers -------------------------------------------------------------------------------------


def round_up(amount_fen: int, step_fen: int) -> int:
    return -(-amount_fen // step_fen) * step_fen


def random_yuan(rng: random.Random, low: int, high: int, step: int = 1) -> int:
    """A price in fen between ``low`` and ``high`` 元, a multiple of ``step`` 元."""
    return rng.randrange(low, high + 1, step) * YUAN


@dataclass
class Village:
    """The village facts every proposal opens with; drawn once per need."""

    rng: random.Random
    county: str
    township: str
    village: str
    groups: int = 0
    households: int = 0
    people: int = 0
    poor_households: int = 0

    def __post_init__(self) -> None:
        rng = self.rng
        self.groups = rng.randint(4, 12)
        self.households = rng.randint(150, 650)
        self.people = round(self.households * rng.uniform(3.0, 4.2))
        self.poor_households = round(self.households * rng.uniform(0.12, 0.35))

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(options)

    def background(self) -> str:
        rng = self.rng
        terrain = self.pick(
            ("山区", "高寒山区", "丘陵地带", "石漠化山区", "深山区", "河谷地带", "干旱山区")
        )
        direction = self.pick(("东部", "西部", "南部", "北部", "东北部", "西南部", "西北部"))
        rate = round(self.poor_households / self.households * 100)
        return self.pick(
            (
                f"{self.village}位于{self.county}{self.township}{direction}，"
                f"距乡镇政府驻地{rng.randint(3, 25)}公里，地处{terrain}，"
                f"辖{self.groups}个村民小组{self.households}户{self.people}人，"
                f"其中建档立卡贫困户{self.poor_households}户。",
                f"{self.village}是{self.county}的建档立卡贫困村，全村{self.households}户"
                f"{self.people}人，分布在{self.groups}个村民小组，地处{terrain}，"
                "群众生产生活条件较差。",
                f"{self.township}{self.village}地处{terrain}，距县城{rng.randint(20, 90)}公里，"
                f"全村{self.households}户{self.people}人，贫困发生率{rate}%。",
            )
        )

    def share(self, low: float, high: float) -> tuple[int, int]:
        """Households and people of part of the village (the groups a project reaches)."""
        households = max(1, round(self.households * self.rng.uniform(low, high)))
        people = min(
            self.people, max(households, round(households * self.people / self.households))
        )
        return households, people


def title_of(village: Village, options: Sequence[str]) -> str:
    """One of the title templates, preferring short ones when long real names overflow 60."""
    first = village.pick(options)
    candidates = [first, *sorted(options, key=len)]
    for title in candidates:
        if len(title) <= MAX_TITLE_LENGTH:
            return title
    raise ValueError(f"every title is longer than {MAX_TITLE_LENGTH} characters: {first}")


def items_budget(
    items: list[NeedItemText], works_fen: int, *, step_fen: int = 100 * YUAN
) -> tuple[int, int]:
    """Target = items + works (construction, installation, transport), rounded up to 100元."""
    items_fen = sum(item.total_fen for item in items)
    return items_fen, round_up(items_fen + works_fen, step_fen)
