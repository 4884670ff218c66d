"""Tax pages (BRIEF §3.8): the year picker, the printable annual statement with CSV/XLSX, the
deduction working paper (enterprises) or the 30 % helper (individuals).

A donor's member sees only its own participant; an auditor may open any donor's (policy
``tax.view``). The profits typed into the paper form are business data: the form is POSTed (with
CSRF) and never put into a URL; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fupin.core.exports import CSV_MEDIA_TYPE as CSV_TYPE
from fupin.core.exports import XLSX_MEDIA_TYPE as XLSX_TYPE
from fupin.core.money import parse_optional_yuan, parse_yuan
from fupin.core.policy import require
from fupin.core.web import read_form, render, require_login
from fupin.errors import FieldError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.tax import service as tax_statements


def _int_param(request: Request, name: str, field: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(_("编号无效。"), field=field)
    return int(raw)


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def tax_index(request: Request) -> Response:
    current = require(require_login(request), "tax.view")
    ref = (request.query_params.get("participant") or "").strip()
    if current.participant_id is not None and not ref:
        participant_id = current.participant_id
    elif ref:
        if len(ref) > 32:
            raise InvalidInput(_("参与方编号或统一社会信用代码过长。"), field="participant")
        participant_id = (await tax_statements.find_participant(ref)).id
    else:
        return render(request, "tax/index.html", {"participant": None, "years": [], "ref": ""})
    participant, years = await tax_statements.donation_years(
        actor=current, participant_id=participant_id
    )
    return render(
        request, "tax/index.html", {"participant": participant, "years": years, "ref": ref}
    )


async def tax_year(request: Request) -> Response:
    """/tax/{pid}/{year}: the statement; the year picker's GET form lands here."""
    pid = _int_param(request, "pid", "participant")
    year = request.query_params.get("year")
    if year:
        return RedirectResponse(f"/tax/{pid}/{tax_statements.check_year(year)}", status_code=303)
    return RedirectResponse(f"/tax?participant={pid}", status_code=303)


async def statement_page(request: Request) -> Response:
    current = require_login(request)
    pid = _int_param(request, "pid", "participant")
    statement = await tax_statements.build_statement(
        actor=current, participant_id=pid, year=request.path_params["year"]
    )
    return render(
        request,
        "tax/statement.html",
        {
            "statement": statement,
            "groups": tax_statements.GROUPS,
            "group_labels": tax_statements.GROUP_LABELS,
            "kind_labels": tax_statements.KIND_LABELS,
            "not_a_voucher": tax_statements.NOT_A_TAX_VOUCHER,
        },
    )


async def statement_download(request: Request) -> Response:
    current = require_login(request)
    pid = _int_param(request, "pid", "participant")
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise NotFound(_("不支持的下载格式。"))
    statement = await tax_statements.build_statement(
        actor=current, participant_id=pid, year=request.path_params["year"]
    )
    table = tax_statements.statement_rows(statement)
    name = f"statement-{pid}-{statement.year}"
    if fmt == "csv":
        return _download(tax_statements.csv_bytes(table), f"{name}.csv", CSV_TYPE)
    return _download(tax_statements.xlsx_bytes([(_("捐赠明细"), table)]), f"{name}.xlsx", XLSX_TYPE)


async def _paper_context(current: Any, pid: int, year: str) -> dict[str, Any]:
    """The blank form: every field empty, nothing computed, nothing refused."""
    participant, _years = await tax_statements.donation_years(actor=current, participant_id=pid)
    context: dict[str, Any] = {
        "participant": participant,
        "year": int(year),
        "result": None,
        "error": None,
        "field_errors": {},
    }
    if tax_statements.is_individual(participant):
        context["individual"] = True
        context["values"] = {"taxable_income": ""}
    else:
        context["individual"] = False
        years = await tax_statements.paper_years(actor=current, participant_id=pid, year=year)
        context["paper_years"] = years
        context["values"] = {f"profit_{y}": "" for y in (*years.optional, *years.required)}
    return context


async def paper_form(request: Request) -> Response:
    current = require_login(request)
    pid = _int_param(request, "pid", "participant")
    year = str(tax_statements.check_year(request.path_params["year"]))
    context = await _paper_context(current, pid, year)
    return render(request, "tax/paper.html", context)


def _read_profits(form: Any, years: tax_statements.PaperYears) -> dict[int, int]:
    """Every year field of the form; optional years may stay empty."""
    profits: dict[int, int] = {}
    errors: list[FieldError] = []
    for year in (*years.optional, *years.required):
        name = f"profit_{year}"
        raw = form.get(name)
        text = raw if isinstance(raw, str) else ""
        try:
            parse = parse_yuan if year in years.required else parse_optional_yuan
            fen = parse(text, field=name, allow_negative=True)
        except InvalidInput as exc:
            errors.extend(exc.errors or [FieldError(name, exc.message, exc.code)])
            continue
        if fen is not None:
            profits[year] = fen
    extra = [
        key
        for key in form
        if key.startswith("profit_")
        and key[7:].isdigit()
        and int(key[7:]) not in (*years.optional, *years.required)
    ]
    for key in extra:
        errors.append(
            FieldError(
                key, _("%(year)s 年超出本工作底稿的数据范围。", year=key[7:]), "year_outside_data"
            )
        )
    if errors:
        raise InvalidInput(errors=errors, code=errors[0].code)
    return profits


async def paper_submit(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    pid = _int_param(request, "pid", "participant")
    year = str(tax_statements.check_year(request.path_params["year"]))
    context = await _paper_context(current, pid, year)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    context["values"] |= values
    fmt = values.get("format", "html")
    if fmt not in ("html", "csv", "xlsx", "csv_lines"):
        fmt = "html"
    try:
        if context["individual"]:
            income = parse_yuan(values.get("taxable_income", ""), field="taxable_income")
            result: Any = await tax_statements.build_individual_helper(
                actor=current, participant_id=pid, year=year, taxable_income_fen=income
            )
        else:
            profits = _read_profits(form, context["paper_years"])
            result = await tax_statements.build_working_paper(
                actor=current, participant_id=pid, year=year, profit_fen_by_year=profits
            )
    except InvalidInput as exc:
        context["error"] = exc
        context["field_errors"] = {e.field: e.message for e in exc.errors}
        return render(request, "tax/paper.html", context, status_code=422)
    name = f"paper-{pid}-{year}"
    if isinstance(result, tax_statements.IndividualResult):
        table = tax_statements.individual_rows(result)
        sheets = [(_("30%扣除辅助计算"), table)]
    else:
        table = tax_statements.paper_summary_rows(result)
        lines = tax_statements.paper_line_rows(result)
        sheets = [(_("年度汇总"), table), (_("明细"), lines)]
        if fmt == "csv_lines":
            table = lines
    if fmt in ("csv", "csv_lines"):
        return _download(tax_statements.csv_bytes(table), f"{name}.csv", CSV_TYPE)
    if fmt == "xlsx":
        return _download(tax_statements.xlsx_bytes(sheets), f"{name}.xlsx", XLSX_TYPE)
    context["result"] = result
    if not context["individual"]:
        context["summaries"] = [tax_statements.year_summary(p) for p in result.paper.years]
    context["line_kind_labels"] = tax_statements.LINE_KIND_LABELS
    return render(request, "tax/paper.html", context)


routes = [
    Route("/tax", tax_index, name="tax"),
    Route("/tax/{pid}", tax_year, name="tax_year"),
    Route("/tax/{pid}/{year}", statement_page, name="tax_statement"),
    Route("/tax/{pid}/{year}/statement.{fmt:str}", statement_download, name="tax_statement_file"),
    Route("/tax/{pid}/{year}/paper", paper_form, methods=["GET"], name="tax_paper"),
    Route("/tax/{pid}/{year}/paper", paper_submit, methods=["POST"], name="tax_paper_submit"),
]
