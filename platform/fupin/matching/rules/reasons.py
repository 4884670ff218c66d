"""The reasons a match is shown with, and their sentences (pure).

A reason is a stable ``code`` plus the facts it states (``params``): the API returns both, so
clients can render their own, and :func:`render_reason` writes the sentence in the current
locale (gettext, Chinese source text). The rankings (:mod:`fupin.matching.rules.ranking`,
:mod:`fupin.matching.rules.likely_donors`) emit a reason only where its condition held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fupin.core import money
from fupin.core.categories import category_label
from fupin.i18n import N_, _, ngettext

ReasonParam = str | int | float


@dataclass(frozen=True)
class Reason:
    """One reason, as a stable ``code`` plus the facts it states (rendered by
    :func:`render_reason`; the API returns code and params so clients can render their own)."""

    code: str
    params: Mapping[str, ReasonParam] = field(default_factory=dict)


#: Reasons that lowered a need rather than raised it (a place far above the money of its peers):
#: the ranking puts them after every raising reason, and a card does not offer them as advice.
LOWERING_REASONS = frozenset({"well_funded_village", "well_funded_county"})

_TEMPLATES: dict[str, str] = {
    "in_paired_region:designated": N_("在您定点帮扶的%(county)s"),
    "in_paired_region:east_west": N_("在您东西部协作帮扶的%(county)s"),
    "in_paired_region:pair": N_("在您结对帮扶的%(county)s"),
    "stated_category": N_("符合您关注的类别：%(category)s"),
    "stated_region": N_("在您关注的地区：%(county)s"),
    "funded_before_category": N_("符合您资助过的类别：%(category)s"),
    "funded_before_region:county": N_("您曾在%(county)s捐赠"),
    "funded_before_region:province": N_("您曾在同一省份捐赠"),
    "closes_today": N_("今天截止"),
    "fits_typical_pledge": N_("您一笔常规捐赠（约 ¥%(amount)s）即可补足缺口"),
    "pledge_matches_gap": N_("缺口 ¥%(gap)s 与您一笔常规捐赠（约 ¥%(amount)s）相当"),
    "well_funded_village:poor_village": N_(
        "该村至今获得的捐款已高于建档立卡贫困村的平均水平，排序因此下调"
    ),
    "well_funded_village:other": N_("该村至今获得的捐款已高于非贫困村的平均水平，排序因此下调"),
    "well_funded_county:poverty_county": N_(
        "%(county)s至今获得的捐款已高于原国家级贫困县的平均水平，排序因此下调"
    ),
    "well_funded_county:other": N_(
        "%(county)s至今获得的捐款已高于非贫困县的平均水平，排序因此下调"
    ),
    "nearly_funded": N_("已获认捐 %(percent)d%%"),
    "many_beneficiaries_per_yuan": N_("每万元惠及 %(people)s 人"),
    "underserved_village:poor_village": N_("该村至今获得的捐款低于建档立卡贫困村的平均水平"),
    "underserved_village:other": N_("该村至今获得的捐款低于非贫困村的平均水平"),
    "no_donor_yet_in_village": N_("该村尚无捐赠方"),
    "underserved_county:poverty_county": N_("%(county)s至今获得的捐款低于原国家级贫困县的平均水平"),
    "underserved_county:other": N_("%(county)s至今获得的捐款低于非贫困县的平均水平"),
    "poverty_county": N_("%(county)s是原国家级贫困县"),
    "sanqu_sanzhou": N_("位于深度贫困的“三区三州”"),
    "poor_village": N_("该村是建档立卡贫困村"),
    "open_amount": N_("还差 ¥%(amount)s"),
    "pair_helps_county": N_("其结对帮扶覆盖%(county)s"),
    "funded_category_in_province": N_("曾在本省资助%(category)s项目"),
    "funded_in_county": N_("曾在%(county)s捐赠"),
    "interested_in_category": N_("关注%(category)s"),
    "interested_in_region": N_("关注%(county)s所在地区"),
    "honour_rate": N_("认捐兑现率 %(percent)d%%"),
    "similar_pledge_size": N_("通常每笔认捐约 ¥%(amount)s，与缺口相近"),
}


def render_reason(reason: Reason) -> str:
    """The reason as a short sentence in the current locale (gettext, Chinese source text)."""
    p = reason.params
    code = reason.code
    if code == "closes_soon":
        days = int(p["days"])
        if days == 0:
            return _(_TEMPLATES["closes_today"])
        return ngettext("%(n)d 天后截止", "%(n)d 天后截止", days)
    if code == "in_paired_region":
        return _(_TEMPLATES[f"in_paired_region:{p['pair']}"], county=p["county"])
    if code == "underserved_village":
        return _(_TEMPLATES[f"underserved_village:{p['peers']}"])
    if code == "well_funded_village":
        return _(_TEMPLATES[f"well_funded_village:{p['peers']}"])
    if code == "well_funded_county":
        return _(_TEMPLATES[f"well_funded_county:{p['peers']}"], county=p["county"])
    if code == "underserved_county":
        return _(_TEMPLATES[f"underserved_county:{p['peers']}"], county=p["county"])
    if code == "funded_before_region":
        return _(_TEMPLATES[f"funded_before_region:{p['level']}"], county=p["county"])
    template = _TEMPLATES[code]
    values: dict[str, object] = {}
    for key, value in p.items():
        if key == "amount_fen":
            values["amount"] = money.format_yuan(int(value), symbol=False, cents=False)
        elif key == "gap_fen":
            values["gap"] = money.format_yuan(int(value), symbol=False, cents=False)
        elif key == "category":
            values["category"] = category_label(str(value))
        elif key == "people":
            values["people"] = f"{float(value):.1f}"
        else:
            values[key] = value
    return _(template, **values)
