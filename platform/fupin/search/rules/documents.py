"""The indexed shape of a need, and helpers to build and check it.

The need code builds one document per need (``FIELDS`` below, all required). The backends call
:func:`prepare` before writing, so a malformed document fails loudly (SearchDocumentError) and a
need that is not public is deleted from the index instead of indexed (docs/domain.md §3.4: a need is
public only once a county officer has published it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fupin.search.rules.base import SearchDocumentError
from fupin.search.rules.settings_data import SearchSettings

#: field -> type of every document (bool is checked before int: bool is an int in Python).
FIELDS: dict[str, type] = {
    "id": int,
    "title": str,
    "description": str,
    #: The names of the in-kind items the need asks for, space-separated (PE供水管道 入户水表).
    "items": str,
    "category": str,
    "category_label": str,
    "state": str,
    "province": str,
    "province_code": str,
    "prefecture": str,
    "county": str,
    "county_code": str,
    "township": str,
    "village": str,
    "contiguous_area": str,
    "is_poverty_county": bool,
    "target_fen": int,
    "pledged_fen": int,
    "received_fen": int,
    "open_fen": int,
    "amount_band": str,
    "deadline": str,
    "deadline_ts": int,
    "published_ts": int,
    "beneficiary_people": int,
    "beneficiary_households": int,
}

#: Fields the backends derive themselves; a document must not carry them.
DERIVED_FIELDS = ("region_aliases", "raising")

REGION_FIELDS = ("province", "prefecture", "county", "township", "village")


def amount_band(target_fen: int, settings: SearchSettings) -> str:
    """The ``amount_band`` facet value for a money target (bands: search/amount_bands.toml)."""
    for band in settings.amount_bands:
        if band.below_fen is None or target_fen < band.below_fen:
            return band.label
    raise AssertionError("the last band has no upper bound")  # guaranteed by settings_data


def _short_names(name: str, settings: SearchSettings) -> list[str]:
    aliases = list(settings.region_extra_aliases.get(name, ()))
    for suffix, short_suffix in settings.region_suffixes.items():
        if not name.endswith(suffix):
            continue
        stem = name[: -len(suffix)]
        stripped = True
        while stripped:
            stripped = False
            for nationality in settings.nationalities:
                if stem.endswith(nationality) and len(stem) - len(nationality) >= 2:
                    stem = stem[: -len(nationality)]
                    stripped = True
                    break
        if stem in settings.nationalities and stem.endswith("族"):
            stem = stem[:-1]  # 东乡族自治县: the place is named after its people -> 东乡县
        if len(stem) >= 2:
            aliases.append(stem)
            if short_suffix:
                aliases.append(stem + short_suffix)
        break
    return aliases


def region_aliases(doc: Mapping[str, Any], settings: SearchSettings) -> str:
    """Short names of the need's regions, space-separated (凉山彝族自治州 -> 凉山 凉山州), indexed
    so that the names people actually type find the need (search/regions.toml)."""
    out: list[str] = []
    for key in REGION_FIELDS:
        out.extend(_short_names(str(doc.get(key, "")), settings))
    return " ".join(dict.fromkeys(out))


def is_raising(doc: Mapping[str, Any]) -> bool:
    """Still collecting money: published and not yet pledged in full. The first business
    tie-break of both backends (between needs the words rank alike, help goes where it is
    still needed)."""
    return doc["state"] == "published" and int(doc["open_fen"]) > 0


def derived_fields(doc: Mapping[str, Any], settings: SearchSettings) -> dict[str, Any]:
    """The fields the backends add to a document before indexing it (DERIVED_FIELDS)."""
    return {"region_aliases": region_aliases(doc, settings), "raising": int(is_raising(doc))}


def check_document(doc: Mapping[str, Any]) -> None:
    """Raise SearchDocumentError unless ``doc`` has every field of FIELDS with its type."""
    for name, kind in FIELDS.items():
        if name not in doc:
            raise SearchDocumentError(f"search document {doc.get('id')!r}: missing field {name!r}")
        value = doc[name]
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if not ok:
            raise SearchDocumentError(
                f"search document {doc.get('id')!r}: field {name!r} must be {kind.__name__}"
            )
    for name in DERIVED_FIELDS:
        if name in doc:
            raise SearchDocumentError(f"search document {doc['id']}: {name!r} is derived")


def prepare(
    docs: Iterable[Mapping[str, Any]], settings: SearchSettings
) -> tuple[list[dict[str, Any]], list[int]]:
    """Split ``docs`` into (public documents to index, ids to delete), checking each document.

    Only the fields of FIELDS are kept, so an extra field from the need code never leaks into
    the public index. When an id appears twice, the last document wins (later change)."""
    latest: dict[int, Mapping[str, Any]] = {}
    for doc in docs:
        check_document(doc)
        latest[doc["id"]] = doc
    public = set(settings.public_states)
    to_index = [{k: doc[k] for k in FIELDS} for doc in latest.values() if doc["state"] in public]
    to_delete = [i for i, doc in latest.items() if doc["state"] not in public]
    return to_index, to_delete


def check_ids(ids: Sequence[int]) -> list[int]:
    out = []
    for i in ids:
        if not isinstance(i, int) or isinstance(i, bool):
            raise SearchDocumentError(f"document id {i!r} must be an integer")
        out.append(i)
    return out
