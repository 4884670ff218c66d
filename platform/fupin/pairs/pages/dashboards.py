"""Dashboards (national, province, county, pair), the printable self-assessment report, and
CSV/XLSX export of every table (managing pairs and their figures: ``management``).

Handlers parse (through the schemas of ``fupin.pairs.schemas``, the API's own where there is
one), call one domain function, and render; every chart is drawn on the server
(``fupin.pairs.rules.charts``) and shown next to the table with the same numbers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fupin.core import exports
from fupin.core.clock import today_cn
from fupin.core.policy import can
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import render, require_login
from fupin.errors import InvalidInput, PermissionDenied
from fupin.i18n import _, current_locale
from fupin.needs.rules import PUBLIC_STATES, STATE_LABELS
from fupin.pairs.rules import charts
from fupin.pairs.rules.alerts import STATUS_LABELS
from fupin.pairs.schemas import (
    ExportQuery,
    PairDashboardQuery,
    RegionDashboardQuery,
    YearQuery,
)
from fupin.pairs.service import access, alerts, dashboards, figures, management
from fupin.pairs.service.pair_dashboard import PairDashboard, pair_dashboard
from fupin.pairs.service.registry import kind_label
from fupin.pairs.service.tables import Table, export_columns, pct_text


def year_choices() -> list[int]:
    this_year = today_cn().year
    return list(range(this_year, 2015, -1))


# ---- export ------------------------------------------------------------------------------------


async def export_table(table: Table, fmt: str, stem: str) -> Response:
    columns, rows = export_columns(table)
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
    wanted = validate_form(ExportQuery, request.query_params)
    if wanted.export is None:
        return None
    table = tables.get(wanted.export)
    if table is None:
        raise InvalidInput(_("没有这个表格：%(name)s", name=wanted.export), field="export")
    return await export_table(table, wanted.format, stem)


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


def pair_charts(d: PairDashboard) -> dict[str, Markup]:
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

#: Renderings kept per dashboard object (its export links and language vary them): a handful.
RENDERINGS_PER_DASHBOARD = 8


def tables_html(request: Request, d: dashboards.RegionDashboard) -> Markup:
    """The dashboard's tables and charts as HTML, rendered once per dashboard the service keeps
    (``dashboards.CACHE``) and link base: drawing ~200 table rows through the macros and the
    SVG charts was most of a cached reload's time. Nothing in them depends on the viewer."""
    base = export_base(request)
    key = (base, current_locale.get())
    html = d.renderings.get(key)
    if html is None:
        template = request.app.state.templates.get_template("pairs/_dashboard_tables.html")
        html = Markup(
            template.render(
                {
                    "d": d,
                    "charts": region_charts(d),
                    "export_base": base,
                    "pct": pct_text,
                    "request": request,
                }
            )
        )
        if len(d.renderings) >= RENDERINGS_PER_DASHBOARD:
            d.renderings.clear()
        d.renderings[key] = html
    return html


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
    query = validate_form(RegionDashboardQuery, request.query_params)
    year = query.year
    d = await dashboards.region_dashboard(
        actor=current, level=level, code=code, year=year, unfunded_days=query.days
    )
    stem = f"dashboard-{level}{'-' + code if code else ''}-{year or 'all'}"
    exported = await maybe_export(request, d.tables, stem)
    if exported is not None:
        return exported
    # Panels of the areas above pairs (supervision alerts, notices owed, docking figures),
    # composed by the app (fupin.app), so that pairs imports none of them.
    panels: dict[str, Any] = {}
    for panel in getattr(request.app.state, "dashboard_panels", []):
        panels.update(await panel(current, level, code))
    return render(
        request,
        "pairs/dashboard.html",
        {
            **panels,
            "d": d,
            "tables_html": tables_html(request, d),
            "may_national": can(current, "dashboard.national"),
            "may_parent": [access.require_dashboard_ok(current, r) for r in d.breadcrumbs],
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
    year = validate_form(YearQuery, request.query_params).year
    overview = await alerts.pair_overview(actor=current, year=year)
    tables = {"pairs": overview.table, "lagging": overview.lagging}
    exported = await maybe_export(request, tables, f"pairs-{year}")
    if exported is not None:
        return exported
    return render(request, "pairs/office_pairs.html", {"o": overview, **_common(request)})


async def pair_page(request: Request) -> Response:
    current = require_login(request)
    query = validate_form(PairDashboardQuery, request.query_params)
    d = await pair_dashboard(
        actor=current,
        pair_id=request.path_params["pair_id"],
        year=query.year,
        unfunded_days=query.days,
    )
    exported = await maybe_export(request, d.tables, f"pair-{d.pair.id}-{d.year}")
    if exported is not None:
        return exported
    history = await management.pair_history(d.pair.id)
    scope = management.pair_scope(d.pair)
    return render(
        request,
        "pairs/office_pair.html",
        {
            "d": d,
            "charts": pair_charts(d),
            "history": history,
            "grade_labels": figures.GRADE_LABELS,
            "may_edit": can(current, "pair.targets.edit", scope),
            "may_manage": can(current, "pair.manage", scope),
            "may_report": can(current, "pair.report", scope)
            or can(current, "dashboard.view", scope),
            **_common(request),
        },
    )


async def pair_report(request: Request) -> Response:
    """The annual self-assessment report of one pair-year, for printing (docs/rules.md §6.1: due by
    year end, consulted with the partner)."""
    current = require_login(request)
    year = validate_form(PairDashboardQuery, request.query_params).year
    d = await pair_dashboard(actor=current, pair_id=request.path_params["pair_id"], year=year)
    return render(
        request,
        "pairs/report.html",
        {
            "d": d,
            "charts": pair_charts(d),
            "grade_labels": figures.GRADE_LABELS,
            "generated": today_cn(),
            **_common(request),
        },
    )


routes = [
    page(
        "/dashboards", dashboards_home, name="dashboards", action=("dashboard.view", "pair.report")
    ),
    page("/dashboards/national", national, name="dashboard_national", action="dashboard.national"),
    page(
        "/dashboards/province/{code:region}",
        province,
        name="dashboard_province",
        action="dashboard.view",
    ),
    page(
        "/dashboards/county/{code:region}", county, name="dashboard_county", action="dashboard.view"
    ),
    page(
        "/dashboards/pairs",
        pair_list,
        name="dashboard_pairs",
        action=("dashboard.view", "pair.report"),
    ),
    page(
        "/dashboards/pairs/{pair_id:id}",
        pair_page,
        name="dashboard_pair",
        action=("dashboard.view", "pair.report"),
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/report",
        pair_report,
        name="dashboard_pair_report",
        action=("dashboard.view", "pair.report"),
    ),
]
