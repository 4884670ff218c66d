"""Reading a spreadsheet a person uploads (CSV or XLSX): bounded in size and rows, its own row
numbers kept so that every problem is reported as (row, column, message) — the machinery the
need import and the poor-village upload share (a dry run first, then all or nothing)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from fupin.errors import InvalidInput
from fupin.i18n import _

#: Data rows accepted in one import (a county's project list; larger: split it). The default
#: of ``FUPIN_IMPORT_MAX_ROWS``; the web page and the CLI pass the setting.
MAX_ROWS = 2_000
#: Largest file accepted in one import (``FUPIN_IMPORT_MAX_BYTES``).
MAX_BYTES = 2 * 1024 * 1024
#: Largest unpacked XLSX: a zip of a few kilobytes can unpack to gigabytes of XML.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def valid_rows(self) -> int:
        return self.rows - self.error_rows


# --- reading files -----------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("无法识别文件编码：请另存为 UTF-8 或 GB18030 编码的 CSV。"), field="file")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _too_many_rows(max_rows: int) -> InvalidInput:
    return InvalidInput(
        _("一次最多导入 %(n)s 行，请拆分文件。", n=f"{max_rows:,}"),
        field="file",
        code="too_many_rows",
    )


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list[Any]]]:
    """The first sheet's rows, streamed (read-only mode), refused as soon as a row is numbered
    past the limit. Rows are counted by their number, not by content: openpyxl yields an empty
    row for every number skipped, so a second row numbered 5,000,000 would otherwise be millions
    of empty rows read one by one while the importer waits."""
    if not data.startswith(b"PK"):
        raise InvalidInput(_("文件内容不是 XLSX 工作簿。"), field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zipfile and openpyxl raise many types for a damaged or foreign file
        raise InvalidInput(_("无法读取 XLSX 文件，请确认文件未损坏。"), field="file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        workbook.close()
        raise InvalidInput(_("文件过大。"), field="file", code="too_large")
    rows: list[tuple[int, list[Any]]] = []
    try:
        sheet = workbook[workbook.sheetnames[0]]
        declared = sheet.max_row  # read-only: the sheet's own <dimension>, None without one
        if declared is not None and declared > max_rows + 1:
            raise _too_many_rows(max_rows)
        # An explicit bound, one row past the limit: openpyxl would otherwise stop at the
        # <dimension> the file claims and silently drop the rows after it.
        streamed = sheet.iter_rows(max_row=max_rows + 2, values_only=True)
        for number, values in enumerate(streamed, start=1):
            if number > max_rows + 1:  # the header and max_rows data rows
                raise _too_many_rows(max_rows)
            cells = [_cell(v) for v in values]
            if any(c not in (None, "") for c in cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    return rows


def read_rows(
    data: bytes, filename: str, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of a CSV or XLSX file, empty rows dropped; the first is the header.
    CPU-bound: the services run it in a worker thread."""
    name = filename.lower()
    if len(data) > max_bytes:
        raise InvalidInput(
            _("文件过大：一次导入的文件不能超过 %(n)s KB。", n=f"{max_bytes // 1024:,}"),
            field="file",
            code="too_large",
        )
    rows: list[tuple[int, list[Any]]] = []
    if name.endswith(".csv"):
        text = _decode(data)
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
                if any(str(c).strip() for c in cells):
                    rows.append((number, [_cell(c) for c in cells]))
                if len(rows) > max_rows + 1:
                    raise _too_many_rows(max_rows)
        except csv.Error as exc:
            raise InvalidInput(_("CSV 文件格式有误：%(e)s", e=str(exc)), field="file") from None
    elif name.endswith(".xlsx"):
        rows = _xlsx_rows(data, max_rows)
    else:
        raise InvalidInput(_("只接受 .csv 或 .xlsx 文件。"), field="file")
    if not rows:
        raise InvalidInput(_("文件是空的。"), field="file")
    return rows
