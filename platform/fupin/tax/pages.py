"""Tax pages (docs/domain.md §3.8): the year picker, the printable annual statement with CSV/XLSX, the
deduction working paper (enterprises) or the 30 % helper (individuals).

A donor's member sees only its own participant; an auditor may open any donor's (policy
``tax.view``). The profits typed into the paper form are business data: the form is POSTed (with
CSRF) and never put into a URL; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fupin.core.exports import CSV_MEDIA_TYPE as CSV_TYPE
from fupin.core.exports import XLSX_MEDIA_TYPE as XLSX_TYPE
from fupin.core.policy import require
from fupin.core.routing import page
from fupin.core.schemas import validate, validate_form
from fupin.core.web import read_form, render, require_login
from fupin.errors import FieldError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.tax.schemas import TaxDonorPath, TaxPaperRequest
from fupin.tax.service import donors, papers, statements, tables, views
from fupin.tax.service.papers import IndividualResult, PaperYears

#: What the paper form's buttons ask for; anything else shows the page.
PAPER_FORMATS = ("html", "csv", "xlsx", "csv_lines")


def _donor(request: Request) -> int:
    """The donor of the page (``pid`` of the path)."""
    return validate(TaxDonorPath, {"pid": request.path_params["pid"]}).pid


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
        participant_id = (await donors.find_participant(ref)).id
    else:
        return render(request, "tax/index.html", {"participant": None, "years": [], "ref": ""})
    participant, years = await donors.donation_years(actor=current, participant_id=participant_id)
    return render(
        request, "tax/index.html", {"participant": participant, "years": years, "ref": ref}
    )


async def tax_year(request: Request) -> Response:
    """/tax/{pid}/{year}: the statement; the year picker's GET form lands here."""
    pid = _donor(request)
    year = request.query_params.get("year")
    if year:
        return RedirectResponse(f"/tax/{pid}/{donors.check_year(year)}", status_code=303)
    return RedirectResponse(f"/tax?participant={pid}", status_code=303)


async def statement_page(request: Request) -> Response:
    current = require_login(request)
    pid = _donor(request)
    statement = await statements.build_statement(
        actor=current, participant_id=pid, year=request.path_params["year"]
    )
    return render(
        request,
        "tax/statement.html",
        {
            "statement": statement,
            "groups": statements.GROUPS,
            "group_labels": statements.GROUP_LABELS,
            "kind_labels": statements.KIND_LABELS,
            "not_a_voucher": statements.NOT_A_TAX_VOUCHER,
            "not_a_voucher_unqualified": statements.NOT_A_VOUCHER_UNQUALIFIED,
        },
    )


async def statement_download(request: Request) -> Response:
    current = require_login(request)
    pid = _donor(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise NotFound(_("不支持的下载格式。"))
    statement = await statements.build_statement(
        actor=current, participant_id=pid, year=request.path_params["year"]
    )
    table = tables.statement_rows(statement)
    name = f"statement-{pid}-{statement.year}"
    if fmt == "csv":
        return _download(tables.csv_bytes(table), f"{name}.csv", CSV_TYPE)
    return _download(tables.xlsx_bytes([(_("捐赠明细"), table)]), f"{name}.xlsx", XLSX_TYPE)


async def _paper_context(current: Any, pid: int, year: str) -> dict[str, Any]:
    """The blank form: every field empty, nothing computed, nothing refused."""
    participant, _years = await donors.donation_years(actor=current, participant_id=pid)
    context: dict[str, Any] = {
        "participant": participant,
        "year": int(year),
        "result": None,
        "error": None,
        "field_errors": {},
    }
    if donors.is_individual(participant):
        context["individual"] = True
        context["values"] = {"taxable_income": ""}
    else:
        context["individual"] = False
        years = await papers.paper_years(actor=current, participant_id=pid, year=year)
        context["paper_years"] = years
        context["values"] = {f"profit_{y}": "" for y in (*years.optional, *years.required)}
    return context


async def paper_form(request: Request) -> Response:
    current = require_login(request)
    pid = _donor(request)
    year = str(donors.check_year(request.path_params["year"]))
    context = await _paper_context(current, pid, year)
    return render(request, "tax/paper.html", context)


def _paper_request(form: Any, years: PaperYears) -> TaxPaperRequest:
    """The posted profits as the API's request (``profits``, yuan text by year): every required
    year, so an empty one is refused as missing, and the optional years filled in. A year the
    form does not show is refused."""
    shown = (*years.optional, *years.required)
    stray = [
        FieldError(
            key, _("%(year)s 年超出本工作底稿的数据范围。", year=key[7:]), "year_outside_data"
        )
        for key in form
        if key.startswith("profit_") and key[7:].isdigit() and int(key[7:]) not in shown
    ]
    if stray:
        raise InvalidInput(errors=stray, code=stray[0].code)
    profits: dict[str, Any] = {}
    for year in shown:
        text = form.get(f"profit_{year}")
        if year in years.required or (isinstance(text, str) and text.strip()):
            profits[str(year)] = text if isinstance(text, str) else ""
    return validate_form(TaxPaperRequest, {"profits": profits})


async def paper_submit(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    pid = _donor(request)
    year = str(donors.check_year(request.path_params["year"]))
    context = await _paper_context(current, pid, year)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    context["values"] |= values
    fmt = values.get("format", "html")
    if fmt not in PAPER_FORMATS:
        fmt = "html"
    try:
        if context["individual"]:
            income = validate_form(TaxPaperRequest, form).income_fen()
            result: Any = await papers.build_individual_helper(
                actor=current, participant_id=pid, year=year, taxable_income_fen=income
            )
        else:
            profits = _paper_request(form, context["paper_years"]).fen_by_year()
            result = await papers.build_working_paper(
                actor=current, participant_id=pid, year=year, profit_fen_by_year=profits
            )
    except InvalidInput as exc:
        context["error"] = exc
        context["field_errors"] = {e.field: e.message for e in exc.errors}
        return render(request, "tax/paper.html", context, status_code=422)
    name = f"paper-{pid}-{year}"
    if isinstance(result, IndividualResult):
        table = tables.individual_rows(result)
        sheets = [(_("30%扣除辅助计算"), table)]
    else:
        table = tables.paper_summary_rows(result)
        lines = tables.paper_line_rows(result)
        sheets = [(_("年度汇总"), table), (_("明细"), lines)]
        if fmt == "csv_lines":
            table = lines
    if fmt in ("csv", "csv_lines"):
        return _download(tables.csv_bytes(table), f"{name}.csv", CSV_TYPE)
    if fmt == "xlsx":
        return _download(tables.xlsx_bytes(sheets), f"{name}.xlsx", XLSX_TYPE)
    context["result"] = result
    if not context["individual"]:
        context["summaries"] = [views.year_summary(p) for p in result.paper.years]
    context["line_kind_labels"] = views.LINE_KIND_LABELS
    return render(request, "tax/paper.html", context)


routes = [
    page("/tax", tax_index, name="tax", action="tax.view"),
    page("/tax/{pid:id}", tax_year, name="tax_year", action="tax.view"),
    page("/tax/{pid:id}/{year}", statement_page, name="tax_statement", action="tax.view"),
    page(
        "/tax/{pid:id}/{year}/statement.{fmt:str}",
        statement_download,
        name="tax_statement_file",
        action="tax.view",
    ),
    page(
        "/tax/{pid:id}/{year}/paper",
        paper_form,
        methods=["GET"],
        name="tax_paper",
        action="tax.view",
    ),
    page(
        "/tax/{pid:id}/{year}/paper",
        paper_submit,
        methods=["POST"],
        name="tax_paper_submit",
        action="tax.view",
    ),
]
