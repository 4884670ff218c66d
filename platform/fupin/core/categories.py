"""Need categories: the ten key tasks of part 二 of 中办发〔2013〕25号, plus ``other``.

Source: 《关于创新机制扎实推进农村扶贫开发工作的意见》 part 二 "注重实效，扎实解决突出问题",
items (一)–(十) (docs/policy/zhongbanfa-2013-25.txt). Codes are stable identifiers stored in
the database and the search index; labels go through gettext.
"""

from __future__ import annotations

from fupin.i18n import N_, _

#: code -> Chinese label (the policy's own wording, shortened by "工作").
CATEGORIES: dict[str, str] = {
    "roads": N_("村级道路畅通"),
    "drinking_water": N_("饮水安全"),
    "electricity": N_("农村电力保障"),
    "housing": N_("危房改造"),
    "industry": N_("特色产业增收"),
    "tourism": N_("乡村旅游扶贫"),
    "education": N_("教育扶贫"),
    "health": N_("卫生和计划生育"),
    "culture": N_("文化建设"),
    "informatization": N_("贫困村信息化"),
    "other": N_("其他"),
}

CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORIES)


def category_label(code: str) -> str:
    return _(CATEGORIES[code])
