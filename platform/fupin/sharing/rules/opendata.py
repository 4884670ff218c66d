"""The open-data snapshot's files and manifest (docs/open-data.md): which datasets, their columns
(the data dictionary is written from the same list and a test keeps them in step), how a row is
written as CSV and as JSON Lines, and what the manifest says.

Every value is written as plain text or a number: money in integer fen, dates as YYYY-MM-DD,
instants as UTC ``YYYY-MM-DDTHH:MM:SSZ``. CSV is UTF-8 without a byte-order mark, comma
separated, quoted where needed, ``\\n`` line ends, with a header row; JSON Lines is one compact
object per line with the same keys in the same order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl; charset=utf-8",
    "json": "application/json",
}
MANIFEST = "manifest.json"
LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "扶贫社会参与平台开放数据",
}


@dataclass(frozen=True)
class Column:
    name: str
    unit: str  # "" for text and codes
    meaning: str  # one line, English (the dictionary explains more)


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # file stem: <name>.csv, <name>.jsonl
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def cell(value: Any) -> Any:
    """A value as both formats write it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_line(values: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8")


def jsonl_line(names: Sequence[str], values: Sequence[Any]) -> bytes:
    text = json.dumps(
        dict(zip(names, values, strict=True)), ensure_ascii=False, separators=(",", ":")
    )
    return (text + "\n").encode("utf-8")


class FileDigest:
    """Counts and hashes what is written to one file, as it is written."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.rows = 0
        self.bytes = 0

    def add(self, data: bytes, *, row: bool = True) -> bytes:
        self.sha256.update(data)
        self.bytes += len(data)
        self.rows += 1 if row else 0
        return data


def row_values(spec: DatasetSpec, row: Mapping[str, Any]) -> list[Any]:
    return [cell(row.get(name)) for name in spec.column_names]


def manifest(
    *,
    day: date,
    generated_at: datetime,
    base_url: str,
    ledger_head: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "generated_at": cell(generated_at),
        "publisher": LICENCE["attribution"],
        "licence": dict(LICENCE),
        "dictionary": f"{base_url}/open-data#dictionary",
        # Every money record in these files has its ledger entry at or before this one.
        "ledger_head": dict(ledger_head),
        "files": [dict(f) for f in files],
    }


def valid_day(text: str) -> date | None:
    """A snapshot's date from a URL segment (YYYY-MM-DD), or None."""
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
