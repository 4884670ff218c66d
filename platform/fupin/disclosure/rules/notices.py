"""Public notices (公告公示): the nine kinds, the levels, the display period and what a notice
must say (docs/rules.md §7).

The 2017 guidance of the State Council poverty office and the Ministry of Finance on disclosing
poverty funds and projects lists what is disclosed (nine kinds), who discloses ("whoever
allocates or uses the money discloses") and for how long: on the portals of the county and
above "long-term"; on the fixed notice boards of townships, villages and project sites "in
principle for at least 10 days". Practice: 公示 before implementation, 公告 after completion, and
every notice gives the complaint channel and the national hotline 12317.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from fupin.i18n import N_

#: The nine kinds of the 2017 guidance, in its order (docs/rules.md §7 "What").
KINDS: dict[str, str] = {
    "allocation": N_("扶贫资金分配结果"),
    "loans": N_("扶贫小额信贷及贴息"),
    "project_funds": N_("行业资金和东西部协作资金使用"),
    "plans": N_("脱贫攻坚规划"),
    "project_pool": N_("县级脱贫攻坚项目库"),
    "annual_plan": N_("年度资金项目计划"),
    "completion": N_("计划完成情况"),
    "implementation": N_("项目实施情况"),
    "complaints": N_("举报受理及处理结果"),
}

#: Where a notice is posted: the county's portal, or the boards of township, village, project.
LEVELS: dict[str, str] = {
    "county": N_("县级（政府门户网站）"),
    "township": N_("乡镇（公示栏）"),
    "village": N_("村（公示栏）"),
    "project": N_("项目现场"),
}

#: A need's two notices: 公示 before implementation, 公告 after completion.
STAGES: dict[str, str] = {
    "before": N_("实施前公示"),
    "after": N_("完成后公告"),
}

#: "In principle at least 10 days" on the boards of townships, villages and project sites.
BOARD_MIN_DISPLAY_DAYS = 10
#: Levels whose notices have a minimum display period; portal notices (county) stay up.
BOARD_LEVELS = ("township", "village", "project")
#: The national supervision hotline every notice states.
NATIONAL_HOTLINE = "12317"
#: The need states whose money has come in: their after-completion notice is due.
NOTICE_DUE_STATES = ("funded", "in_progress", "completed", "closed")


def min_display_days(level: str) -> int | None:
    """The minimum display period of a notice of ``level``: 10 days on a board, None (long-term,
    never taken down) on the portal."""
    return BOARD_MIN_DISPLAY_DAYS if level in BOARD_LEVELS else None


def display_until(published_on: date, days: int | None) -> date | None:
    """Last day of the minimum period: the day of publication counts as the first day."""
    if days is None:
        return None
    return published_on + timedelta(days=days - 1)


def may_take_down(display_end: date | None, today: date) -> bool:
    """A board notice may come down only after its last display day; a portal notice never."""
    return display_end is not None and today > display_end


def channel_with_hotline(channel: str) -> str:
    """The complaint channel as printed: the office's channel and always the national hotline."""
    channel = channel.strip()
    if NATIONAL_HOTLINE in channel:
        return channel
    hotline = "全国扶贫监督举报电话 " + NATIONAL_HOTLINE
    return f"{channel}；{hotline}" if channel else hotline


# --- personal data on public notices ----------------------------------------------------------

#: A resident ID number (18 characters, or the old 15 digits) standing alone in the text.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{6})(\d{3}[0-9Xx]|\d{3})(?![0-9A-Za-z])")
#: A mainland mobile number, with or without the +86 prefix.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
#: A landline with an area code (0xx-xxxxxxx); office numbers are public, but a household's is not.
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-(\d{7,8})(?!\d)")


def mask_personal_data(text: str, keep_phones: tuple[str, ...] = ()) -> str:
    """``text`` with every resident ID number and personal phone number masked (beneficiary lists
    on notices show masked personal data, docs/rules.md §7): an ID keeps its first 3 and last 4
    characters as ``core.identifiers.mask_resident_id`` does, a mobile its first 3 and last 4
    digits, a landline its area code. ``keep_phones`` are the office's own published numbers
    (the complaint channel, 12317), left as they are."""

    def mask_id(m: re.Match[str]) -> str:
        whole = m.group(0)
        return whole[:3] + "*" * (len(whole) - 7) + whole[-4:]

    def mask_mobile(m: re.Match[str]) -> str:
        if any(m.group(0).replace(" ", "").replace("-", "").endswith(k) for k in keep_phones):
            return m.group(0)
        return f"{m.group(1)}****{m.group(3)}"

    def mask_landline(m: re.Match[str]) -> str:
        if m.group(0) in keep_phones or m.group(2) in keep_phones:
            return m.group(0)
        return f"{m.group(1)}-" + "*" * len(m.group(2))

    text = _ID_NUMBER.sub(mask_id, text)
    text = _MOBILE.sub(mask_mobile, text)
    return _LANDLINE.sub(mask_landline, text)


def phones_in(text: str) -> tuple[str, ...]:
    """The phone numbers of an office's complaint channel (kept unmasked: they are published)."""
    found = [m.group(0) for m in _LANDLINE.finditer(text)]
    found += ["".join(m.groups()) for m in _MOBILE.finditer(text)]
    return tuple(found)
