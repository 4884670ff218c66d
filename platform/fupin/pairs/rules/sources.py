"""What the public pair page says about where a pair comes from (data/README.md: the pair files).

The data files keep, per pair, the ids of the pages it rests on with their addresses
(``"WP2011 http://…"``) and a short English verification note written when the list was checked
("official text (as of 2011)", "press (2025)", "unverified (recalled)"). The note is for the
people who keep the data; a reader of the page gets it in the page's language, so every note the
files use is read here into words that are translated like any other text. A note of a form not
known here still says what kind of source it is, and drops the rest rather than show English on
a Chinese page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fupin.i18n import N_, _

#: The kinds of source a note begins with, longest first ("official text" before "official").
SOURCE_KINDS: tuple[tuple[str, str], ...] = (
    ("official text", N_("官方文本")),
    ("official", N_("官方网站")),
    ("secondary page", N_("转载网页")),
    ("secondary", N_("转载网页")),
    ("press", N_("新闻报道")),
    ("unverified", N_("未经核实")),
)
OTHER_SOURCE = N_("其他来源")

#: The remarks in brackets the files use, each as a pattern and its words.
_REMARKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"as of (?P<year>\d{4})"), N_("截至 %(year)s 年")),
    (re.compile(r"(?P<year>\d{4})"), N_("%(year)s 年")),
    (re.compile(r"MOE site"), N_("教育部网站")),
    (re.compile(r"recalled; not found in stored pages"), N_("凭记忆整理，存档网页中未找到")),
    (re.compile(r"recalled"), N_("凭记忆整理")),
    (re.compile(r"truncated"), N_("节选")),
    (re.compile(r"named (?P<name>\S+) in (?P<year>\d{4})"), N_("%(year)s 年称%(name)s")),
    (re.compile(r"(?P<name>\S+) is not in the 832 list"), N_("%(name)s不在 832 个贫困县名单中")),
    (re.compile(r"helper is a zone, no GB code"), N_("帮扶方为功能区，没有国家标准代码")),
)
_PART = re.compile(r"^(?P<kind>[a-z ]+?)\s*(?:\((?P<remark>[^)]*)\))?$")


def _remark(text: str) -> str | None:
    for pattern, words in _REMARKS:
        found = pattern.fullmatch(text.strip())
        if found:
            return _(words, **found.groupdict())
    return None


def _part(text: str) -> str:
    found = _PART.match(text.strip())
    if found is None:
        return _(OTHER_SOURCE)
    kind_text = found.group("kind").strip()
    kind = next((label for key, label in SOURCE_KINDS if kind_text == key), None)
    if kind is None:
        return _(OTHER_SOURCE)
    remark = _remark(found.group("remark") or "") if found.group("remark") else None
    return _("%(kind)s（%(remark)s）", kind=_(kind), remark=remark) if remark else _(kind)


def verification_label(note: str) -> str:
    """The verification note in the reader's language ("official text (as of 2011)" →
    "官方文本（截至 2011 年）"); parts joined by "+" are read one by one."""
    if not note.strip():
        return ""
    return _("；").join(_part(part) for part in note.split("+"))


@dataclass(frozen=True)
class SourceRefs:
    ids: list[str]
    urls: list[str]


def source_refs(source: str) -> SourceRefs:
    """The page ids and web addresses of a pair's source field (ids before addresses, ids joined
    by ";"). Only http and https addresses are addresses: anything else is shown as text."""
    ids: list[str] = []
    urls: list[str] = []
    for token in source.split():
        if re.match(r"https?://[^\s<>\"']+$", token):
            urls.append(token)
        else:
            ids.extend(part for part in token.split(";") if part)
    return SourceRefs(ids, urls)
