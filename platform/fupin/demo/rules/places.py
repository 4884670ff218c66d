"""Where demo needs go, and invented village names for the texts of the tests.

Demo needs are placed in real villages (data/villages.csv.gz) spread the way a real year is: a
few counties post many needs, most post a few, and most villages post none.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

_NAME_FIRST = tuple(
    "石新沙黄白马龙青红柳桃杨梨枣松竹岩金凤双三五大小上下中东西南北高长平安兴和太花梅"
)
_NAME_PLACE = tuple("门庄坝沟坪湾岭坡寨屯堡营店桥口河塘垭冲峪岗田溪山园林峰湖窝场台洞滩")
_NAME_SURNAME = tuple("王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林田邓龙杜")
_NAME_MODIFIER = tuple("大小上下中老新前后")
_NAME_AUSPICIOUS = (
    "团结", "胜利", "光明", "和平", "红旗", "向阳", "民主", "幸福", "新华", "永安", "长青",
    "丰收", "友谊", "前进", "建设", "联合", "太平", "兴隆", "富民", "和谐",
)  # fmt: skip


def village_name(rng: random.Random) -> str:
    """An invented but ordinary village name ending in 村 (石门村, 王家坪村, 大河口村, 团结村).

    Built from the commonest patterns of Chinese village names: landform words (坝, 沟, 坪, 湾,
    垭, 寨, 屯…), surname + 家 + landform, a modifier (大/小/上/下/老/新…) before a place name, and the
    "auspicious" collective-era names.
    """
    pattern = rng.random()
    if pattern < 0.40:
        first = rng.choice(_NAME_FIRST)
        place = rng.choice([p for p in _NAME_PLACE if p != first])
        stem = first + place
    elif pattern < 0.65:
        surname = rng.choice(_NAME_SURNAME)
        stem = surname + "家" + rng.choice([p for p in _NAME_PLACE if p != surname])
    elif pattern < 0.80:
        modifier = rng.choice(_NAME_MODIFIER)
        first = rng.choice([f for f in _NAME_FIRST if f != modifier])
        stem = modifier + first + rng.choice(_NAME_PLACE)
    else:
        stem = rng.choice(_NAME_AUSPICIOUS)
    return stem + "村"


#: Spread of needs over counties: log-normal weights (σ 1.2 gives the top tenth of counties
#: about 40 % of the needs, the median county a few).
COUNTY_SIGMA = 1.2
#: Share of a county's villages that post anything in a year.
ACTIVE_VILLAGE_SHARE = 0.15


def county_weights(codes: Sequence[str], seed: int) -> list[float]:
    """One weight per county, fixed by the seed and the county's code (a rerun picks the same)."""
    return [
        random.Random(f"{seed}:county:{code}").lognormvariate(0.0, COUNTY_SIGMA) for code in codes
    ]


def active_villages(codes: Sequence[str], county: str, seed: int) -> tuple[list[str], list[float]]:
    """The villages of a county that post needs this year, with Zipf weights (the first one
    posts most): ``ACTIVE_VILLAGE_SHARE`` of them, at least one."""
    chosen = sorted(codes)
    random.Random(f"{seed}:active:{county}").shuffle(chosen)
    active = chosen[: max(1, math.ceil(len(chosen) * ACTIVE_VILLAGE_SHARE))]
    return active, [1.0 / (rank + 1) for rank in range(len(active))]
