"""Export any list of rows to CSV or XLSX (docs/domain.md §1: "export everything"). Reused by every area.

A column is (key, label, kind); a row is a mapping from keys to values. Kinds:

    text      str (anything else is str()-ed)
    int       integer
    yuan      integer fen, written as yuan with two decimals (exact: Decimal, never float)
    date      date → YYYY-MM-DD
    datetime  datetime → YYYY-MM-DD HH:MM (China time, UTC+8)
    bool      是 / 否

CSV is UTF-8 with a byte-order mark, because Excel — the tool of a county finance office — reads
BOM-less UTF-8 as the local code page and shows mojibake. Text cells that begin with = + - @ or
a tab are prefixed with an apostrophe so a spreadsheet does not run them as formulas (CSV
injection); XLSX cells are written as typed values, never formulas.

Rows may come from a list or an async iterator (large exports stream from the database).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fupin.core.clock import CHINA_TZ, in_china, now
from fupin.core.money import decimal_yuan, plain_yuan

Column = tuple[str, str, str]
Row = Mapping[str, Any]

BOM = "\ufeff"
KINDS = ("text", "int", "yuan", "date", "datetime", "bool")
#: Excel's sheet limit is 1,048,576 rows; refuse well before it instead of writing a cut file.
MAX_XLSX_ROWS = 1_000_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell_value(value: Any, kind: str) -> Any:
    """The typed value of a cell (None stays empty)."""
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "yuan":
        return decimal_yuan(value)
    if kind == "date":
        return value.date() if isinstance(value, datetime) else value
    if kind == "datetime":
        if isinstance(value, datetime):
            local = value.astimezone(CHINA_TZ) if value.tzinfo else value
            return local.replace(tzinfo=None, microsecond=0)
        return value
    if kind == "bool":
        return "是" if value else "否"
    return str(value)


def cell_text(value: Any, kind: str) -> str:
    typed = cell_value(value, kind)
    if typed is None:
        return ""
    if kind == "yuan":
        return plain_yuan(int(value))
    if kind == "date":
        return str(typed.isoformat())
    if kind == "datetime":
        return typed.strftime("%Y-%m-%d %H:%M") if isinstance(typed, datetime) else str(typed)
    if kind == "text":
        return _safe_text(typed)
    return str(typed)


def _check(columns: Sequence[Column]) -> None:
    for key, _label, kind in columns:
        if kind not in KINDS:
            raise ValueError(f"column {key!r}: unknown kind {kind!r}")


async def _aiter(rows: Iterable[Row] | AsyncIterable[Row]) -> AsyncIterator[Row]:
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


def _csv_line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def csv_header(columns: Sequence[Column]) -> str:
    _check(columns)
    return BOM + _csv_line([_safe_text(label) for _key, label, _kind in columns])


def csv_row(columns: Sequence[Column], row: Row) -> str:
    return _csv_line([cell_text(row.get(key), kind) for key, _label, kind in columns])


def csv_text(columns: Sequence[Column], rows: Iterable[Row]) -> str:
    return csv_header(columns) + "".join(csv_row(columns, row) for row in rows)


def csv_bytes(columns: Sequence[Column], rows: Iterable[Row]) -> bytes:
    return csv_text(columns, rows).encode("utf-8")


async def iter_csv(
    columns: Sequence[Column], rows: Iterable[Row] | AsyncIterable[Row], *, chunk_rows: int = 500
) -> AsyncIterator[bytes]:
    """CSV in chunks, for a streaming response over a large result."""
    yield csv_header(columns).encode("utf-8")
    chunk: list[str] = []
    async for row in _aiter(rows):
        chunk.append(csv_row(columns, row))
        if len(chunk) >= chunk_rows:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if chunk:
        yield "".join(chunk).encode("utf-8")


async def xlsx_bytes(
    columns: Sequence[Column],
    rows: Iterable[Row] | AsyncIterable[Row],
    *,
    sheet_title: str = "export",
) -> bytes:
    """An XLSX workbook with one sheet: a bold header row, then typed cells (write-only mode, so
    memory stays flat for large exports)."""
    _check(columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "export")
    widths = [max(8, min(40, len(label) * 2 + 2)) for _key, label, _kind in columns]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header = []
    for _key, label, _kind in columns:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    async for row in _aiter(rows):
        count += 1
        if count > MAX_XLSX_ROWS:
            raise ValueError(f"more than {MAX_XLSX_ROWS} rows: export as CSV instead")
        cells = []
        for key, _label, kind in columns:
            value = cell_value(row.get(key), kind)
            cell = WriteOnlyCell(sheet, value=value)
            if kind == "yuan" and value is not None:
                cell.number_format = "#,##0.00"
            elif kind == "date" and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif kind == "datetime" and value is not None:
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif kind == "text" and isinstance(value, str):
                cell.data_type = "s"  # never a formula, even if it starts with "="
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_headers(filename: str) -> dict[str, str]:
    """Content-Disposition for an export download (ASCII name; the content is the point)."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    }


def today_stamp(at: datetime | None = None) -> str:
    return in_china(at or now()).strftime("%Y%m%d")


def as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
