"""``need_text``: the demo text of a need in a category, from the builder of its group."""

from __future__ import annotations

import random
from collections.abc import Callable

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
    return builder(Village(rng, county, township, village))
