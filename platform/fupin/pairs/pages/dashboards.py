"""Dashboards (national, province, county, pair), pair management, targets and reported
figures, the printable self-assessment report, and CSV/XLSX export of every table.

Handlers parse, call one domain function, and render; every chart is drawn on the server
(``fupin.pairs.rules.charts``) and shown next to the table with the same numbers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fupin.accounts.models import PAIR_KINDS
from fupin.core import exports
from fupin.core.clock import today_cn
from fupin.core.policy import can, require
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import InvalidInput, PermissionDenied
from fupin.i18n import _
from fupin.needs.rules import PUBLIC_STATES, STATE_LABELS
from fupin.pairs.models import GRADES
from fupin.pairs.rules import charts
from fupin.pairs.rules.alerts import INDICATORS, MONEY, STATUS_LABELS, UNFUNDED_DAYS_DEFAULT
from fupin.pairs.service import dashboards
from fupin.pairs.service import management as pair_management
from fupin.pairs.service.dashboards import Table, pct_text
from fupin.pairs.service.registry import kind_label


def _year_arg(request: Request, *, allow_all: bool = True) -> int | None:
    return dashboards.check_year(request.query_params.get("year"), allow_all=allow_all)


def _days_arg(request: Request) -> int:
    raw = request.query_params.get("days", "")
    if not raw:
        return UNFUNDED_DAYS_DEFAULT
    try:
        days = int(raw)
    except ValueError:
        raise InvalidInput(_("天数必须是整数。"), field="days") from None
    if not 1 <= days <= 3650:
        raise InvalidInput(_("天数须在 1–3650 之间。"), field="days")
    return days


def _pair_id(request: Request) -> int:
    try:
        return int(request.path_params["pair_id"])
    except ValueError:
        raise InvalidInput(_("结对编号无效。"), field="pair") from None


def year_choices() -> list[int]:
    this_year = today_cn().year
    return list(range(this_year, 2015, -1))


# ---- export ------------------------------------------------------------------------------------


async def export_table(table: Table, fmt: str, stem: str) -> Response:
    columns, rows = dashboards.export_columns(table)
    if fmt == "csv":
        return Response(
            exports.csv_bytes(columns, rows),
            media_type=exports.CSV_MEDIA_TYPE,
            headers=exports.download_headers(f"{stem}-{table.name}.csv"),
        )
    if fmt == "xlsx":
        return Response(
            await exports.xlsx_bytes(columns, rows, sheet_title=table.name),
            media_type=exports.XLSX_MEDIA_TYPE,
            headers=exports.download_headers(f"{stem}-{table.name}.xlsx"),
        )
    raise InvalidInput(_("导出格式须为 csv 或 xlsx。"), field="format")


async def maybe_export(request: Request, tables: dict[str, Table], stem: str) -> Response | None:
    name = request.query_params.get("export")
    if not name:
        return None
    table = tables.get(name)
    if table is None:
        raise InvalidInput(_("没有这个表格：%(name)s", name=name[:40]), field="export")
    return await export_table(table, request.query_params.get("format", "csv"), stem)


def export_base(request: Request) -> str:
    """The page's own query (year, days) plus ``&`` for the export links."""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in ("export", "format")]
    return request.url.path + "?" + (urlencode(keep) + "&" if keep else "")


# ---- charts ------------------------------------------------------------------------------------


def _svg(markup: str) -> Markup:
    return Markup(markup)  # built by fupin.pairs.rules.charts, which escapes every label


def _pct_axis(value: int) -> str:
    return f"{value}%"


def region_charts(d: dashboards.RegionDashboard) -> dict[str, Markup]:
    regions = d.tables["regions"].rows[:20]
    states = d.tables["states"]
    monthly = d.tables["monthly"].rows
    out = {
        "regions": _svg(
            charts.bar_chart(
                chart_id="chart-regions",
                title=_("到账金额：%(t)s", t=d.tables["regions"].title),
                labels=[r["name"] for r in regions],
                values=[r["received_fen"] for r in regions],
                fmt=charts.compact_fen,
            )
        ),
        "states": _svg(
            charts.stacked_bar_chart(
                chart_id="chart-states",
                title=states.title,
                labels=[r["category"] for r in states.rows],
                series=[
                    charts.Series(_(STATE_LABELS[s]), [r[s] for r in states.rows])
                    for s in PUBLIC_STATES
                ],
            )
        ),
        "monthly": _svg(
            charts.line_chart(
                chart_id="chart-monthly",
                title=d.tables["monthly"].title,
                x_labels=[r["period"][-2:] if d.year else r["period"] for r in monthly],
                series=[
                    charts.Series(_("认捐"), [r["pledged_fen"] for r in monthly]),
                    charts.Series(_("到账"), [r["received_fen"] for r in monthly]),
                ],
                fmt=charts.compact_fen,
            )
        ),
    }
    pairs = sorted(
        (
            r
            for r in d.tables["pairs"].rows
            if r["helper_received_fen"] + r["mobilised_received_fen"] > 0
        ),
        key=lambda r: -(r["helper_received_fen"] + r["mobilised_received_fen"]),
    )[:20]
    out["pairs"] = _svg(
        charts.stacked_bar_chart(
            chart_id="chart-pairs",
            title=_("结对帮扶：帮扶方与动员到账"),
            labels=[r["pair"] for r in pairs],
            series=[
                charts.Series(_("帮扶方到账"), [r["helper_received_fen"] for r in pairs]),
                charts.Series(_("动员到账"), [r["mobilised_received_fen"] for r in pairs]),
            ],
            fmt=charts.compact_fen,
        )
    )
    return out


STATUS_COLOURS = {"behind": "#D55E00", "missed": "#D55E00", "done": "#009E73"}


def _progress_chart(chart_id: str, title: str, rows: list[dict[str, Any]], expected: int) -> Markup:
    """Share of target reached per indicator, coloured by verdict, with the 100 % line and the
    share the schedule expects by now."""
    shown = [r for r in rows if r["actual_pct"] is not None]
    references = [(100, _("目标 100%"))]
    if 0 < expected < 100:
        references.append((expected, _("应完成 %(p)s%%", p=expected)))
    return _svg(
        charts.bar_chart(
            chart_id=chart_id,
            title=title,
            labels=[r["indicator"] for r in shown],
            values=[r["actual_pct"] // 100 for r in shown],
            fmt=_pct_axis,
            colours=[STATUS_COLOURS.get(r["_status"], charts.PALETTE[0]) for r in shown],
            references=references,
        )
    )


def pair_charts(d: dashboards.PairDashboard) -> dict[str, Markup]:
    expected = next((i.progress.expected_pct for i in d.indicators), 0)
    years = d.tables["years"].rows
    monthly = d.tables["monthly"].rows
    projects = d.tables["projects"]
    platform = [r for r in d.tables["platform"].rows if r["_key"] != "total"]
    return {
        "money": _progress_chart(
            "chart-money", _("资金类指标完成比例（%）"), d.tables["money_indicators"].rows, expected
        ),
        "other": _progress_chart(
            "chart-other", _("其他指标完成比例（%）"), d.tables["other_indicators"].rows, expected
        ),
        "years": _svg(
            charts.line_chart(
                chart_id="chart-years",
                title=d.tables["years"].title,
                x_labels=[r["year"] for r in years],
                series=[
                    charts.Series(
                        _("社会帮扶资金目标"), [r["social_target_fen"] or 0 for r in years]
                    ),
                    charts.Series(_("报告数"), [r["social_reported_fen"] or 0 for r in years]),
                    charts.Series(_("平台到账"), [r["platform_received_fen"] for r in years]),
                ],
                fmt=charts.compact_fen,
            )
        ),
        "monthly": _svg(
            charts.line_chart(
                chart_id="chart-pair-monthly",
                title=d.tables["monthly"].title,
                x_labels=[r["period"][-2:] for r in monthly],
                series=[
                    charts.Series(_("认捐"), [r["pledged_fen"] for r in monthly]),
                    charts.Series(_("到账"), [r["received_fen"] for r in monthly]),
                ],
                fmt=charts.compact_fen,
            )
        ),
        "platform": _svg(
            charts.bar_chart(
                chart_id="chart-platform",
                title=_("平台到账：帮扶方与动员"),
                labels=[r["who"] for r in platform],
                values=[r["received_fen"] for r in platform],
                fmt=charts.compact_fen,
            )
        ),
        "projects": _svg(
            charts.stacked_bar_chart(
                chart_id="chart-projects",
                title=projects.title,
                labels=[r["category"] for r in projects.rows],
                series=[
                    charts.Series(_(STATE_LABELS[s]), [r[s] for r in projects.rows])
                    for s in PUBLIC_STATES
                ],
            )
        ),
    }


def _common(request: Request) -> dict[str, Any]:
    return {
        "pct": pct_text,
        "export_base": export_base(request),
        "years": year_choices(),
        "status_labels": STATUS_LABELS,
        "kind_label": kind_label,
    }


# ---- region dashboards ---------------------------------------------------------------------------


async def dashboards_home(request: Request) -> Response:
    """Send each office to its own dashboard."""
    current = require_login(request)
    if can(current, "dashboard.national"):
        return RedirectResponse("/dashboards/national", status_code=303)
    if current.role == "province_office" and current.province_code:
        return RedirectResponse(f"/dashboards/province/{current.province_code}", status_code=303)
    if current.role == "county_officer" and current.county_code:
        return RedirectResponse(f"/dashboards/county/{current.county_code}", status_code=303)
    if current.role == "participant_member" and current.participant_id:
        return RedirectResponse("/dashboards/pairs", status_code=303)
    raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))


async def _region_page(request: Request, level: str, code: str | None) -> Response:
    current = require_login(request)
    year = _year_arg(request)
    d = await dashboards.region_dashboard(
        actor=current, level=level, code=code, year=year, unfunded_days=_days_arg(request)
    )
    stem = f"dashboard-{level}{'-' + code if code else ''}-{year or 'all'}"
    exported = await maybe_export(request, d.tables, stem)
    if exported is not None:
        return exported
    return render(
        request,
        "pairs/dashboard.html",
        {
            "d": d,
            "charts": region_charts(d),
            "may_national": can(current, "dashboard.national"),
            "may_parent": [dashboards.require_dashboard_ok(current, r) for r in d.breadcrumbs],
            **_common(request),
        },
    )


async def national(request: Request) -> Response:
    return await _region_page(request, "national", None)


async def province(request: Request) -> Response:
    return await _region_page(request, "province", request.path_params["code"])


async def county(request: Request) -> Response:
    return await _region_page(request, "county", request.path_params["code"])


# ---- pairs ------------------------------------------------------------------------------------


async def pair_list(request: Request) -> Response:
    current = require_login(request)
    year = _year_arg(request, allow_all=False)
    assert year is not None
    overview = await dashboards.pair_overview(actor=current, year=year)
    tables = {"pairs": overview.table, "lagging": overview.lagging}
    exported = await maybe_export(request, tables, f"pairs-{year}")
    if exported is not None:
        return exported
    return render(request, "pairs/office_pairs.html", {"o": overview, **_common(request)})


async def pair_page(request: Request) -> Response:
    current = require_login(request)
    year = _year_arg(request, allow_all=False) if request.query_params.get("year") else None
    d = await dashboards.pair_dashboard(
        actor=current, pair_id=_pair_id(request), year=year, unfunded_days=_days_arg(request)
    )
    exported = await maybe_export(request, d.tables, f"pair-{d.pair.id}-{d.year}")
    if exported is not None:
        return exported
    history = await pair_management.pair_history(d.pair.id)
    scope = pair_management.pair_scope(d.pair)
    return render(
        request,
        "pairs/office_pair.html",
        {
            "d": d,
            "charts": pair_charts(d),
            "history": history,
            "grade_labels": pair_management.GRADE_LABELS,
            "may_edit": can(current, "pair.targets.edit", scope),
            "may_manage": can(current, "pair.manage", scope),
            "may_report": can(current, "pair.report", scope)
            or can(current, "dashboard.view", scope),
            **_common(request),
        },
    )


async def pair_report(request: Request) -> Response:
    """The annual self-assessment report of one pair-year, for printing (RULES §6.1: due by
    year end, consulted with the partner)."""
    current = require_login(request)
    year = _year_arg(request, allow_all=False) if request.query_params.get("year") else None
    d = await dashboards.pair_dashboard(actor=current, pair_id=_pair_id(request), year=year)
    return render(
        request,
        "pairs/report.html",
        {
            "d": d,
            "charts": pair_charts(d),
            "grade_labels": pair_management.GRADE_LABELS,
            "generated": today_cn(),
            **_common(request),
        },
    )


# ---- targets and reported figures ---------------------------------------------------------------


def _figure_fields(kind: str) -> list[tuple[str, list[Any]]]:
    return pair_management.indicator_groups(kind)


async def _figures_form(
    request: Request,
    pair_id: int,
    year: int,
    values: dict[str, str] | None,
    error: InvalidInput | None,
) -> Response:
    current = require_login(request)
    pair = await dashboards.load_pair(pair_id)
    require(current, "pair.targets.edit", pair_management.pair_scope(pair))
    if values is None:
        figures = await pair_management.year_figures(pair.id, year)
        values = {}
        for indicator in INDICATORS:
            values[f"target.{indicator.code}"] = pair_management.format_figure_input(
                figures.targets.get(indicator.code), indicator
            )
            values[f"reported.{indicator.code}"] = pair_management.format_figure_input(
                figures.reported.get(indicator.code), indicator
            )
        if figures.pair_year is not None:
            values.update(
                grade=figures.pair_year.grade,
                summary=figures.pair_year.summary,
                note=figures.pair_year.note,
            )
    return render(
        request,
        "pairs/figures_form.html",
        {
            "pair": pair,
            "year": year,
            "values": values,
            "groups": _figure_fields(pair.kind),
            "money_unit": MONEY,
            "grades": GRADES,
            "grade_labels": pair_management.GRADE_LABELS,
            "error": error,
            "error_fields": {e.field for e in (error.errors if error else [])},
            "kind_label": kind_label,
        },
        status_code=error.status if error else 200,
    )


async def figures_form(request: Request) -> Response:
    year = _year_arg(request, allow_all=False)
    assert year is not None
    return await _figures_form(request, _pair_id(request), year, None, None)


async def figures_save(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    pair_id = _pair_id(request)
    raw_year = str(form.get("year", ""))
    targets = {i.code: str(form.get(f"target.{i.code}", "")) for i in INDICATORS}
    reported = {i.code: str(form.get(f"reported.{i.code}", "")) for i in INDICATORS}
    values = {f"target.{k}": v for k, v in targets.items()} | {
        f"reported.{k}": v for k, v in reported.items()
    }
    values.update(
        grade=str(form.get("grade", "")),
        summary=str(form.get("summary", "")),
        note=str(form.get("note", "")),
    )
    try:
        await pair_management.save_figures(
            actor=current,
            pair_id=pair_id,
            year=raw_year,
            targets=targets,
            reported=reported,
            grade=values["grade"],
            summary=values["summary"],
            note=values["note"],
        )
    except InvalidInput as exc:
        try:
            year = int(raw_year)
        except ValueError:
            year = today_cn().year
        return await _figures_form(request, pair_id, year, values, exc)
    return redirect(
        request, f"/dashboards/pairs/{pair_id}?year={raw_year}", flash=_("目标和报告数已保存。")
    )


# ---- pair management -----------------------------------------------------------------------------


#: The fields of the pair forms (a blank form shows them all empty).
NEW_FIELDS = ("kind", "helper_id", "helped_region_code", "start_year", "end_year", "period", "note")
END_FIELDS = ("end_year", "reason")
REDRAW_FIELDS = ("start_year", "end_year", "helper_id", "helped_region_code", "period", "reason")


def _pair_form(
    request: Request, template: str, ctx: dict[str, Any], error: InvalidInput | None
) -> Response:
    return render(
        request,
        template,
        {
            **ctx,
            "error": error,
            "kinds": PAIR_KINDS,
            "kind_label": kind_label,
            "this_year": today_cn().year,
        },
        status_code=error.status if error else 200,
    )


async def pair_new(request: Request) -> Response:
    require(require_login(request), "pair.manage")
    return _pair_form(
        request, "pairs/pair_new.html", {"values": dict.fromkeys(NEW_FIELDS, "")}, None
    )


async def pair_create(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    require(current, "pair.manage")
    values = {k: str(form.get(k, "")) for k in NEW_FIELDS}
    try:
        pair = await pair_management.add_pair(
            actor=current,
            kind=values["kind"],
            helper_id=values["helper_id"],
            helped_region_code=values["helped_region_code"],
            start_year=values["start_year"],
            end_year=values["end_year"] or None,
            period=values["period"],
            note=values["note"],
        )
    except InvalidInput as exc:
        return _pair_form(request, "pairs/pair_new.html", {"values": values}, exc)
    return redirect(request, f"/dashboards/pairs/{pair.id}", flash=_("结对关系已添加。"))


async def _managed_pair(request: Request) -> Any:
    current = require_login(request)
    pair = await dashboards.load_pair(_pair_id(request))
    require(current, "pair.manage", pair_management.pair_scope(pair))
    return current, pair


async def pair_end_form(request: Request) -> Response:
    _current, pair = await _managed_pair(request)
    values = dict.fromkeys(END_FIELDS, "")
    return _pair_form(request, "pairs/pair_end.html", {"pair": pair, "values": values}, None)


async def pair_end(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    _current, pair = await _managed_pair(request)
    values = {k: str(form.get(k, "")) for k in END_FIELDS}
    try:
        await pair_management.end_pair(
            actor=current, pair_id=pair.id, end_year=values["end_year"], reason=values["reason"]
        )
    except InvalidInput as exc:
        return _pair_form(request, "pairs/pair_end.html", {"pair": pair, "values": values}, exc)
    return redirect(request, f"/dashboards/pairs/{pair.id}", flash=_("结对关系已结束。"))


async def pair_redraw_form(request: Request) -> Response:
    _current, pair = await _managed_pair(request)
    values = dict.fromkeys(REDRAW_FIELDS, "")
    return _pair_form(request, "pairs/pair_redraw.html", {"pair": pair, "values": values}, None)


async def pair_redraw(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    _current, pair = await _managed_pair(request)
    values = {k: str(form.get(k, "")) for k in REDRAW_FIELDS}
    try:
        new = await pair_management.redraw_pair(
            actor=current,
            pair_id=pair.id,
            start_year=values["start_year"],
            end_year=values["end_year"] or None,
            helper_id=values["helper_id"] or None,
            helped_region_code=values["helped_region_code"] or None,
            period=values["period"],
            reason=values["reason"],
        )
    except InvalidInput as exc:
        return _pair_form(request, "pairs/pair_redraw.html", {"pair": pair, "values": values}, exc)
    return redirect(
        request, f"/dashboards/pairs/{new.id}", flash=_("已重新结对，原结对保留为历史。")
    )


routes = [
    Route("/dashboards", dashboards_home, name="dashboards"),
    Route("/dashboards/national", national, name="dashboard_national"),
    Route("/dashboards/province/{code}", province, name="dashboard_province"),
    Route("/dashboards/county/{code}", county, name="dashboard_county"),
    Route("/dashboards/pairs", pair_list, name="dashboard_pairs"),
    Route("/dashboards/pairs/new", pair_new, methods=["GET"], name="dashboard_pair_new"),
    Route("/dashboards/pairs/new", pair_create, methods=["POST"], name="dashboard_pair_create"),
    Route("/dashboards/pairs/{pair_id:int}", pair_page, name="dashboard_pair"),
    Route("/dashboards/pairs/{pair_id:int}/report", pair_report, name="dashboard_pair_report"),
    Route(
        "/dashboards/pairs/{pair_id:int}/figures",
        figures_form,
        methods=["GET"],
        name="dashboard_figures",
    ),
    Route(
        "/dashboards/pairs/{pair_id:int}/figures",
        figures_save,
        methods=["POST"],
        name="dashboard_figures_save",
    ),
    Route(
        "/dashboards/pairs/{pair_id:int}/end",
        pair_end_form,
        methods=["GET"],
        name="dashboard_pair_end_form",
    ),
    Route(
        "/dashboards/pairs/{pair_id:int}/end", pair_end, methods=["POST"], name="dashboard_pair_end"
    ),
    Route(
        "/dashboards/pairs/{pair_id:int}/redraw",
        pair_redraw_form,
        methods=["GET"],
        name="dashboard_pair_redraw_form",
    ),
    Route(
        "/dashboards/pairs/{pair_id:int}/redraw",
        pair_redraw,
        methods=["POST"],
        name="dashboard_pair_redraw",
    ),
]
