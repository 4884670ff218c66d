"""Statements and papers as tables — CSV and XLSX downloads and the CLI's CSV — through
``fupin.core.exports`` (typed cells, exact yuan, CSV-injection guard). The working paper's XLSX
has two sheets (the docs/rules.md §1.4 table and every line with its receipts).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.core import exports
from fupin.core.money import plain_yuan
from fupin.i18n import N_, _
from fupin.tax.rules.paper import PaperLine
from fupin.tax.service.papers import IndividualResult, PaperResult
from fupin.tax.service.statements import (
    GROUP_LABELS,
    KIND_LABELS,
    NOT_A_TAX_VOUCHER,
    NOT_A_VOUCHER_UNQUALIFIED,
    Statement,
    StatementLine,
)
from fupin.tax.service.views import (
    LINE_KIND_LABELS,
    individual_lines,
    official_receipt,
    year_summary,
)

#: (columns, rows) as ``exports`` takes them: columns are (key, label, kind).
Table = tuple[list[exports.Column], list[dict[str, Any]]]


def _columns(*spec: tuple[str, str, str]) -> list[exports.Column]:
    return [(key, _(label), kind) for key, label, kind in spec]


def statement_rows(statement: Statement) -> Table:
    columns = _columns(
        ("donation_id", N_("捐赠编号"), "int"),
        ("received_on", N_("到账日期"), "date"),
        ("receipt_number", N_("平台票据号"), "text"),
        ("official_code", N_("票据代码"), "text"),
        ("official_number", N_("票据号码"), "text"),
        ("official_check_code", N_("校验码"), "text"),
        ("voucher", N_("税前扣除凭证"), "text"),
        ("recipient", N_("受赠单位"), "text"),
        ("recipient_uscc", N_("受赠单位统一社会信用代码"), "text"),
        ("qualification", N_("扣除资格"), "text"),
        ("group", N_("分类"), "text"),
        ("area", N_("目标脱贫地区"), "text"),
        ("kind", N_("现金/实物"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("need", N_("需求"), "text"),
        ("ledger_seq", N_("账本序号"), "int"),
        ("ledger_hash", N_("账本哈希"), "text"),
    )
    rows = [
        {
            "donation_id": line.donation_id,
            "received_on": line.received_on,
            "receipt_number": line.receipt_number,
            "official_code": line.official_code,
            "official_number": line.official_number,
            "official_check_code": line.official_check_code,
            "voucher": _("是")
            if line.is_tax_voucher
            else _(NOT_A_VOUCHER_UNQUALIFIED)
            if line.has_official_numbers
            else _(NOT_A_TAX_VOUCHER),
            "recipient": line.recipient_name,
            "recipient_uscc": line.recipient_uscc,
            "qualification": line.qualification.reason.message,
            "group": _(GROUP_LABELS[line.group]),
            "area": line.area_text if line.targeted else "",
            "kind": _(KIND_LABELS.get(line.kind, line.kind)),
            "amount": line.amount_fen,
            "amount_fen": line.amount_fen,
            "need": f"#{line.need_id} {line.need_title}",
            "ledger_seq": line.ledger_seq,
            "ledger_hash": line.ledger_hash,
        }
        for line in statement.lines
    ]
    return columns, rows


#: The columns of the docs/rules.md §1.4 table (yuan, exact).
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("year", N_("年度"), "int"),
    ("profit_fen", N_("利润总额"), "yuan"),
    ("general_fen", N_("一般捐赠G"), "yuan"),
    ("targeted_fen", N_("扶贫捐赠T"), "yuan"),
    ("non_qualifying_fen", N_("非合格渠道捐赠（不得扣除，计入纳税调整）"), "yuan"),
    ("cap_fen", N_("扣除限额"), "yuan"),
    ("brought_forward_used", N_("使用结转（来源年:金额）"), "text"),
    ("current_general_deducted_fen", N_("当年一般捐赠扣除"), "yuan"),
    ("carried_forward_fen", N_("新增结转"), "yuan"),
    ("expired", N_("过期（来源年:金额）"), "text"),
    ("deducted_fen", N_("扣除合计"), "yuan"),
    ("adjustment_fen", N_("纳税调整"), "yuan"),
)


def _by_origin_text(values: Mapping[str, int]) -> str:
    return "; ".join(f"{origin}:{plain_yuan(amount)}" for origin, amount in values.items())


def paper_summary_rows(result: PaperResult) -> Table:
    rows = []
    for paper in result.paper.years:
        summary = year_summary(paper).model_dump()
        rows.append(
            {
                key: _by_origin_text(summary[key])
                if isinstance(summary[key], dict)
                else summary[key]
                for key, _label, _kind in SUMMARY_COLUMNS
            }
        )
    return _columns(*SUMMARY_COLUMNS), rows


def _sources_text(line: PaperLine, receipts: Mapping[int, StatementLine]) -> dict[str, str]:
    return {
        "donation_ids": " ".join(str(s.donation_id) for s in line.sources),
        "receipts": " ".join(s.receipt_number for s in line.sources),
        "official": " ".join(
            official_receipt(receipts.get(int(s.donation_id))) for s in line.sources
        ),
    }


def paper_line_rows(result: PaperResult) -> Table:
    columns = _columns(
        ("year", N_("年度"), "int"),
        ("item", N_("项目"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("origin_year", N_("来源年度"), "int"),
        ("last_usable_year", N_("最迟扣除年度"), "int"),
        ("reason", N_("依据"), "text"),
        ("citation", N_("政策出处"), "text"),
        ("donation_ids", N_("捐赠编号"), "text"),
        ("receipts", N_("平台票据号"), "text"),
        ("official", N_("正式票据（代码/号码/校验码）"), "text"),
    )
    rows = [
        {
            "year": paper.year,
            "item": _(LINE_KIND_LABELS[line.kind]),
            "amount": line.amount_fen,
            "amount_fen": line.amount_fen,
            "origin_year": line.origin_year,
            "last_usable_year": line.last_usable_year,
            "reason": line.reason.message,
            "citation": line.reason.citation,
            **_sources_text(line, result.receipts),
        }
        for paper in result.paper.years
        for line in paper.lines()
    ]
    return columns, rows


def individual_rows(result: IndividualResult) -> Table:
    helper = result.helper
    columns = _columns(
        ("item", N_("项目"), "text"),
        ("amount", N_("金额（元）"), "yuan"),
        ("amount_fen", N_("金额（分）"), "int"),
        ("reason", N_("依据"), "text"),
        ("donation_ids", N_("捐赠编号"), "text"),
        ("receipts", N_("平台票据号"), "text"),
    )
    rows: list[dict[str, Any]] = [
        {
            "item": _("应纳税所得额（您填写）"),
            "amount": helper.taxable_income_fen,
            "amount_fen": helper.taxable_income_fen,
        },
        {
            "item": _("扣除限额"),
            "amount": helper.cap_fen,
            "amount_fen": helper.cap_fen,
            "reason": helper.cap_reason.message,
        },
    ]
    for line in individual_lines(result):
        sources = _sources_text(line, result.receipts)
        rows.append(
            {
                "item": _(LINE_KIND_LABELS[line.kind]),
                "amount": line.amount_fen,
                "amount_fen": line.amount_fen,
                "reason": line.reason.message,
                "donation_ids": sources["donation_ids"],
                "receipts": sources["receipts"],
            }
        )
    return columns, rows


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with BOM, through ``exports`` (Excel needs the BOM)."""
    return exports.csv_bytes(*table)


def csv_plain(table: Table) -> str:
    """The same CSV as text without the BOM (the CLI prints it)."""
    return exports.csv_text(*table).removeprefix(exports.BOM)


def xlsx_bytes(sheets: Sequence[tuple[str, Table]]) -> bytes:
    """One workbook, one sheet per (title, table), cells typed as ``exports`` types them (yuan
    exact to the fen with a #,##0.00 format, text never a formula). ``exports.xlsx_bytes`` writes
    one sheet only; the working paper needs two (yearly table and lines)."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, (columns, rows) in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([label for _key, label, _kind in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([exports.cell_value(row.get(key), kind) for key, _l, kind in columns])
            for cell, (_key, _label, kind) in zip(sheet[sheet.max_row], columns, strict=True):
                if kind == "yuan" and cell.value is not None:
                    cell.number_format = "#,##0.00"
                elif kind == "date" and cell.value is not None:
                    cell.number_format = "yyyy-mm-dd"
                elif kind == "text" and isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
