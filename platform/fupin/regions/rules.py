"""Pure rules of the village registry: display names and code shapes (docs/domain.md §3.1)."""

from __future__ import annotations

import re

#: Committee suffixes as the NBS registry writes them, longest first: the committee of 石门村 is
#: written 石门村民委员会 or 石门村村民委员会, that of 银闸社区 银闸社区居委会 (data/README.md).
_VILLAGE_COMMITTEE = ("村民委员会", "村委会")
_RESIDENT_COMMITTEE = ("居民委员会", "居委会")
_OTHER_COMMITTEE = ("委员会",)
#: Endings that already name the place, so nothing is added after the suffix is dropped.
_PLACE_ENDINGS = ("村", "社区", "嘎查")

VILLAGE_CODE = re.compile(r"^[0-9]{12}$")
TOWNSHIP_CODE = re.compile(r"^[0-9]{9}$")

#: The source's kind column → the Region.kind shown to people.
KINDS = {"village": "村", "community": "社区", "other": "其他"}


def display_name(source_name: str) -> str:
    """The name people use: the committee suffix dropped (石门村民委员会 → 石门村,
    火普村村民委员会 → 火普村, 银闸社区居委会 → 银闸社区); names without one stay as they are."""
    name = source_name.strip()
    for suffix in _VILLAGE_COMMITTEE:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(_PLACE_ENDINGS) else stem + "村"
    for suffix in _RESIDENT_COMMITTEE:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(_PLACE_ENDINGS) else stem + "社区"
    for suffix in _OTHER_COMMITTEE:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def is_village_code(code: str) -> bool:
    return bool(VILLAGE_CODE.match(code))


def is_township_code(code: str) -> bool:
    return bool(TOWNSHIP_CODE.match(code))
