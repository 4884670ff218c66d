"""``need_text``: the demo text of a need in a category, from the builder of its group."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from fupin.demo.rules.common import NeedText, Village
from fupin.demo.rules.infrastructure import _drinking_water, _electricity, _housing, _roads
from fupin.demo.rules.livelihood import _industry, _tourism
from fupin.demo.rules.services import _culture, _education, _health, _informatization, _other

_BUILDERS: dict[str, Callable[[Village], NeedText]] = {
    "roads": _roads,
    "drinking_water": _drinking_water,
    "electricity": _electricity,
    "housing": _housing,
    "industry": _industry,
    "tourism": _tourism,
    "education": _education,
    "health": _health,
    "culture": _culture,
    "informatization": _informatization,
    "other": _other,
}


def need_text(
    category: str, *, county: str, township: str, village: str, rng: random.Random
) -> NeedText:
    """Title, description, budget, items and beneficiaries of a demo need in ``category``.

    ``county``, ``township`` and ``village`` are the names as they should appear in the text (e.g.
    "平山县", "下口镇", "石门村"). Raises KeyError for an unknown category code.
    """
    builder = _BUILDERS[category]
    text = builder(Village(rng, county, township, village))
    closing = "".join(rng.sample(CLOSINGS, rng.choice((0, 0, 1, 1, 2))))
    return replace(text, description=text.description + closing) if closing else text


#: What proposals often end with; some say none, some one or two (so descriptions vary in length).
CLOSINGS = (
    "项目经村民代表大会讨论通过，并在村务公开栏公示七天无异议。",
    "村“两委”承诺项目建成后落实管护责任，确保长期发挥效益。",
    "项目实施期间优先聘用本村脱贫劳动力务工，增加群众务工收入。",
    "资金使用接受县纪委监委、审计部门和群众监督，账目逐笔公开。",
    "恳请社会各界爱心企业和人士给予支持。",
)

#: What a county reports on a demo need, by kind of update (docs/domain.md §3.13).
PROGRESS_TEXTS: dict[str, tuple[str, ...]] = {
    "started": (
        "施工队已进场，开始备料和场地平整，预计三个月内完工。",
        "项目已开工，村民代表参加了开工仪式并签字确认施工方案。",
        "首批物资已采购到位，今日开始实施。",
    ),
    "progress": (
        "工程完成过半，村监督小组每周巡查一次。",
        "主体部分已完成，正在进行配套设施建设。",
    ),
    "delivered": (
        "项目已完工交付，交付清单和现场照片已存档。",
        "物资已全部发放到户，发放名单在村务公开栏公示。",
    ),
    "accepted": (
        "县、乡、村三级联合验收合格，村民代表在验收单上签字。",
        "验收合格，已移交村集体管护，管护责任人已落实。",
    ),
}
