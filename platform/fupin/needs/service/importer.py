"""Bulk import of needs from CSV or XLSX (scope 6): dry run, then all-or-nothing.

A county with its projects in a spreadsheet imports them in one go. The dry run reads every row,
checks it with exactly the rules of the drafting form (the ``NeedForm`` schema) plus the place
(the village or county must exist and lie in the importer's county) and the project number
(unique in the county and in the file), and reports each problem as (row, column, message) with
the spreadsheet's own row numbers (the header is row 1). Commit repeats the same checks and, only
if there is no error at all, creates every need in ONE transaction — a failure half-way leaves
nothing. Imported needs arrive as ``submitted`` (the county's review queue): publishing still
goes one by one through the review page and its duplicate guard.

CSV may be UTF-8 (with or without BOM) or GB18030 (what Excel on a Chinese Windows saves as
"CSV"). The template is downloadable as CSV and XLSX (:func:`template_csv`,
:func:`template_xlsx`); headers are matched by their Chinese label or English key.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from tortoise.expressions import Q

from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, can, require
from fupin.core.schemas import validate_form
from fupin.core.tabular import (  # noqa: F401 (the import's names, kept for its callers)
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    ImportReport,
    RowError,
    read_rows,
)
from fupin.db import transaction
from fupin.errors import InvalidInput
from fupin.i18n import N_, _
from fupin.needs.models import Need
from fupin.needs.schemas.drafts import NeedCreate, NeedForm
from fupin.needs.service import drafting
from fupin.regions.models import Region
from fupin.regions.service import scope_of


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: str
    required: bool
    help: str
    example: str


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("region_code", N_("村（或县）代码"), False,
                 N_("12 位村级代码；县级统筹项目填 6 位县代码；不知道代码时留空并填村名"),
                 "532627100201"),
    ImportColumn("village_name", N_("村名"), False,
                 N_("可代替代码：本县的村名，重名时写“乡镇/村”；与代码同填时须一致"),
                 "石门村"),
    ImportColumn("category", N_("类别"), True,
                 N_("十项重点工作之一或“其他”，填中文名称或代码"), "饮水安全"),
    ImportColumn("title", N_("标题"), True, N_("4–60 字"), "石门村安全饮水巩固提升工程"),
    ImportColumn("description", N_("需求说明"), True,
                 N_("20–5000 字：村情、建设内容、预算测算、受益群众"),
                 "石门村地处石漠化山区，全村312户1180人，现有水窖老化渗漏，旱季缺水。"
                 "拟新建50立方米蓄水池1座、铺设管道3.2公里，入户到123户。"),
    ImportColumn("target_yuan", N_("目标金额（元）"), False,
                 N_("元，最多两位小数；只要物资时可留空"), "386000"),
    ImportColumn("beneficiary_households", N_("受益户数"), False, N_("整数"), "123"),
    ImportColumn("beneficiary_people", N_("受益人数"), False, N_("整数，不少于户数"), "468"),
    ImportColumn("deadline", N_("截止日期"), True, N_("YYYY-MM-DD，晚于今天，三年之内"), "2027-06-30"),
    ImportColumn("items", N_("物资"), False,
                 N_("可选；每项“名称:数量:单位:单价(元)”，多项用分号分隔"),
                 "PE给水管:3200:米:18;蓄水池水泥:40:吨:460"),
    ImportColumn("external_ref", N_("项目编号"), False,
                 N_("可选；本县项目库编号，同一县内不得重复"), "GN-2026-017"),
)  # fmt: skip


def column_label(key: str) -> str:
    for column in COLUMNS:
        if column.key == key:
            return _(column.label)
    return key


def _header_map(header: Sequence[Any]) -> tuple[dict[int, str], list[RowError]]:
    known: dict[str, str] = {}
    for column in COLUMNS:
        known[column.key.lower()] = column.key
        known[column.label] = column.key
        known[_(column.label).lower()] = column.key
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        text = re.sub(r"\s+", "", str(raw or "")).lstrip("\ufeff").rstrip("*＊")
        key = known.get(text) or known.get(text.lower())
        if key is None:
            if text:
                errors.append(RowError(1, text, _("无法识别的列名（请使用模板中的列名）。")))
            continue
        if key in mapping.values():
            errors.append(RowError(1, text, _("列重复。")))
            continue
        mapping[index] = key
    for column in COLUMNS:
        if column.required and column.key not in mapping.values():
            errors.append(RowError(1, _(column.label), _("缺少必填列。")))
    if not {"region_code", "village_name"} & set(mapping.values()):
        errors.append(
            RowError(1, column_label("region_code"), _("缺少必填列：代码或村名至少要有一列。"))
        )
    return mapping, errors


def _split_village_name(text: str) -> tuple[str, str]:
    """'解放沟镇/火普村' → (township, village); '火普村' → ('', '火普村')."""
    parts = [p for p in re.split(r"[/／\\\s]+", text.strip()) if p]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return "", parts[0] if parts else ""


async def _villages_by_name(county_code: str, names: set[str]) -> dict[str, list[Region]]:
    """The county's villages (merged ones left out) whose display or registry name is one of
    ``names``; a name can match several villages in different townships."""
    if not names:
        return {}
    found: dict[str, list[Region]] = {}
    rows = await Region.filter(
        level="village", county_code=county_code, merged_into_id__isnull=True
    ).filter(Q(name__in=list(names)) | Q(source_name__in=list(names)))
    for region in rows:
        for key in {region.name, region.source_name}:
            if key in names:
                found.setdefault(key, []).append(region)
    return found


async def _resolve_village_names(
    actor: Actor | None,
    county: str | None,
    raws: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
) -> None:
    """Rows that name their village instead of giving its code get the code filled in, within
    the importing county: an officer knows 火普村, not 513431105201. A name that is unknown or
    matches villages in several townships is a row error naming the candidates."""
    county_code = county or (actor.county_code if actor is not None else "")
    wanted = {
        _split_village_name(str(raw["village_name"]))[1]
        for _n, raw in raws
        if raw.get("village_name") not in (None, "")
    }
    if not wanted:
        return
    label = column_label("village_name")
    if not county_code:
        for number, raw in raws:
            if raw.get("village_name") not in (None, "") and not raw.get("region_code"):
                report.errors.append(RowError(number, label, _("按村名导入时须指定县。")))
        return
    by_name = await _villages_by_name(county_code, wanted)
    townships = {
        r.code: r.name
        for r in await Region.filter(
            code__in=list({v.parent_id for vs in by_name.values() for v in vs if v.parent_id})
        )
    }
    for number, raw in raws:
        text = str(raw.get("village_name") or "").strip()
        if not text:
            continue
        township, name = _split_village_name(text)
        matches = [
            v
            for v in by_name.get(name, [])
            if not township or townships.get(str(v.parent_id), "") == township
        ]
        if not matches:
            report.errors.append(
                RowError(number, label, _("本县没有名为“%(n)s”的村。", n=text[:40]))
            )
            raw["village_name_error"] = True
        elif len(matches) > 1:
            choices = "、".join(
                f"{townships.get(str(v.parent_id), '')}/{v.name}（{v.code}）" for v in matches[:5]
            )
            report.errors.append(
                RowError(number, label, _("多个村同名，请写“乡镇/村”或填代码：%(c)s", c=choices))
            )
            raw["village_name_error"] = True
        elif raw.get("region_code") and raw["region_code"] != matches[0].code:
            report.errors.append(
                RowError(number, label,
                         _("村名与代码不符：%(n)s 的代码是 %(c)s。", n=text[:40], c=matches[0].code))
            )  # fmt: skip
            raw["village_name_error"] = True
        else:
            raw["region_code"] = matches[0].code


def _items(text: Any) -> list[dict[str, Any]] | str:
    """'水泥:40:吨:460; 管材:3200:米:18' → item dicts, or an error message."""
    if text in (None, ""):
        return []
    items: list[dict[str, Any]] = []
    for part in re.split(r"[;；\n]+", str(text)):
        part = part.strip()
        if not part:
            continue
        fields = [f.strip() for f in re.split(r"[:：]", part)]
        if len(fields) != 4:
            return _("“%(p)s”应为“名称:数量:单位:单价(元)”。", p=part[:30])
        name, quantity, unit, value = fields
        items.append({"name": name, "quantity": quantity, "unit": unit, "unit_value_yuan": value})
    return items


def _category_code(value: Any) -> Any:
    """A category cell: its code, or its name in Chinese or in the reader's language."""
    names = {label: code for code, label in CATEGORIES.items()}
    names.update({_(label): code for code, label in CATEGORIES.items()})
    return names.get(str(value).strip(), value)


def _raw_value(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "category":
        return _category_code(value)
    if key == "deadline" and isinstance(value, datetime):
        return value.date()
    if key in ("region_code", "external_ref") and isinstance(value, float | int):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


# --- checking and committing --------------------------------------------------------------------


@dataclass
class _Parsed:
    row: int
    data: NeedCreate
    region: Region


async def _check(
    actor: Actor | None,
    data: bytes,
    filename: str,
    *,
    county: str | None,
    today: date,
    max_rows: int,
    max_bytes: int,
) -> tuple[ImportReport, list[_Parsed]]:
    if actor is not None:
        require(actor, "need.import")
    report = ImportReport(filename=filename)
    # Off the event loop: parsing a spreadsheet is CPU work that would stall every request.
    rows = await asyncio.to_thread(
        read_rows, data, filename, max_rows=max_rows, max_bytes=max_bytes
    )
    mapping, header_errors = _header_map(rows[0][1])
    report.errors.extend(header_errors)
    body = rows[1:]
    report.rows = len(body)
    if header_errors:
        return report, []
    if not body:
        report.errors.append(RowError(2, "", _("模板中没有任何数据行。")))
        return report, []
    raws: list[tuple[int, dict[str, Any]]] = []
    for number, cells in body:
        raw: dict[str, Any] = {}
        for index, key in mapping.items():
            raw[key] = _raw_value(key, cells[index] if index < len(cells) else None)
        raws.append((number, raw))
    await _resolve_village_names(actor, county, raws, report)
    candidates: list[tuple[int, NeedCreate]] = []
    for number, raw in raws:
        if raw.pop("village_name_error", False):
            continue
        raw.pop("village_name", None)
        items = _items(raw.get("items"))
        if isinstance(items, str):
            report.errors.append(RowError(number, column_label("items"), items))
            raw["items"] = []
        else:
            raw["items"] = items
        try:
            candidates.append((number, validate_form(NeedForm, raw, context={"today": today})))
        except InvalidInput as exc:
            for error in exc.errors:
                key = error.field.split("[", 1)[0].split(".", 1)[0]
                key = {"target_fen": "target_yuan"}.get(key, key)
                report.errors.append(RowError(number, column_label(key), error.message))
    codes = {c.region_code for _n, c in candidates}
    regions = {r.code: r for r in await Region.filter(code__in=list(codes))}
    refs_in_file: dict[tuple[str, str], int] = {}
    parsed: list[_Parsed] = []
    existing_refs: set[tuple[str, str]] = set()
    refs = [c.external_ref for _n, c in candidates if c.external_ref]
    if refs:
        existing_refs = {
            (county_code, ref)
            for county_code, ref in await Need.filter(external_ref__in=refs).values_list(
                "county_code", "external_ref"
            )
        }
    for number, candidate in candidates:
        region = regions.get(candidate.region_code)
        label = column_label("region_code")
        if region is None or region.level not in ("village", "county"):
            report.errors.append(
                RowError(number, label, _("村或县代码不存在：%(c)s", c=candidate.region_code))
            )
            continue
        scope = scope_of(region)
        if county and scope.county_code != county:
            report.errors.append(RowError(number, label, _("不在指定的县（%(c)s）内。", c=county)))
            continue
        if actor is not None and not can(actor, "need.import", scope):
            report.errors.append(RowError(number, label, _("不在您管辖的县内。")))
            continue
        if candidate.external_ref:
            ref_key = (scope.county_code, candidate.external_ref)
            ref_label = column_label("external_ref")
            if ref_key in existing_refs:
                report.errors.append(
                    RowError(number, ref_label, _("本县已有此项目编号的需求（可能已导入过）。"))
                )
                continue
            if ref_key in refs_in_file:
                report.errors.append(
                    RowError(number, ref_label,
                             _("与第 %(r)d 行的项目编号重复。", r=refs_in_file[ref_key]))
                )  # fmt: skip
                continue
            refs_in_file[ref_key] = number
        parsed.append(_Parsed(number, candidate, region))
    report.errors.sort(key=lambda e: (e.row, e.column))
    return report, parsed


async def dry_run(
    actor: Actor | None,
    data: bytes,
    filename: str,
    *,
    county: str | None = None,
    today: date | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Check every row; write nothing."""
    report, _parsed = await _check(
        actor,
        data,
        filename,
        county=county,
        today=today or today_cn(),
        max_rows=max_rows,
        max_bytes=max_bytes,
    )
    return report


async def commit(
    actor: Actor | None,
    data: bytes,
    filename: str,
    *,
    county: str | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Check again and, only when no row has an error, create all needs in one transaction.
    With errors, returns the report with ``committed=False`` and nothing written."""
    report, parsed = await _check(
        actor,
        data,
        filename,
        county=county,
        today=today or today_cn(),
        max_rows=max_rows,
        max_bytes=max_bytes,
    )
    if report.errors:
        return report
    short_name = re.split(r"[\\/]", filename)[-1][:80]
    async with transaction():
        for item in parsed:
            need = await drafting.insert_need(
                actor,
                item.data,
                item.region,
                source="import",
                state="submitted",
                reason=_("批量导入：%(f)s 第 %(r)d 行", f=short_name, r=item.row),
            )
            report.created.append(need.id)
            if progress is not None:
                progress(1)
    report.committed = True
    return report


# --- template ----------------------------------------------------------------------------------


def template_headers() -> list[str]:
    return [_(c.label) + ("*" if c.required else "") for c in COLUMNS]


def template_csv() -> bytes:
    """The header row only (UTF-8 with BOM for Excel); the rules are on the import page."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(template_headers())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """Sheet 1 "需求": the headers (fill in below). Sheet 2 "说明": each column's rule and an
    example. Sheet 3 "类别": category names and codes."""

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("需求")
    sheet.append(template_headers())
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = 40 if column.key in (
            "description", "items") else 18  # fmt: skip
        if column.key in ("region_code", "external_ref"):
            for row in range(2, 1002):  # codes are text: keep leading digits exact
                sheet.cell(row=row, column=index).number_format = "@"
    notes = workbook.create_sheet(_("说明"))
    notes.append([_("列"), _("必填"), _("规则"), _("示例")])
    for column in COLUMNS:
        notes.append([_(column.label), _("是") if column.required else _("否"), _(column.help),
                      column.example])  # fmt: skip
    for letter, width in zip("ABCD", (18, 6, 50, 60), strict=True):
        notes.column_dimensions[letter].width = width
    categories = workbook.create_sheet(_("类别"))
    categories.append([_("类别名称"), _("代码")])
    for code, label in CATEGORIES.items():
        categories.append([_(label), code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
