"""Managing pairs through the pages: add, end and re-draw a pair, and record a pair-year's
targets and reported figures (the forms the dashboards link to).

Each form validates through the schema the JSON API uses for the same operation
(``fupin.pairs.schemas``; the figures form through its own, money in 万元), calls one domain
function, and on a refusal shows the form again with what was typed and the error.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.models import PAIR_KINDS
from fupin.core.clock import today_cn
from fupin.core.policy import require
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.pairs.models import GRADES
from fupin.pairs.rules.alerts import INDICATORS, MONEY
from fupin.pairs.rules.figures import format_figure_input
from fupin.pairs.rules.terms import FIRST_PAIR_YEAR, LAST_YEAR
from fupin.pairs.schemas import PairCreate, PairEnd, PairRedraw, PairYearFiguresForm, YearQuery
from fupin.pairs.service import access, figures, management
from fupin.pairs.service.registry import kind_label

# ---- targets and reported figures ---------------------------------------------------------------


async def _figures_form(
    request: Request,
    pair_id: int,
    year: int,
    values: dict[str, str] | None,
    error: InvalidInput | None,
) -> Response:
    current = require_login(request)
    pair = await access.load_pair(pair_id)
    require(current, "pair.targets.edit", management.pair_scope(pair))
    if values is None:
        stored = await figures.year_figures(pair.id, year)
        values = {}
        for indicator in INDICATORS:
            values[f"target.{indicator.code}"] = format_figure_input(
                stored.targets.get(indicator.code), indicator
            )
            values[f"reported.{indicator.code}"] = format_figure_input(
                stored.reported.get(indicator.code), indicator
            )
        if stored.pair_year is not None:
            values.update(grade=stored.grade, summary=stored.summary, note=stored.note)
    return render(
        request,
        "pairs/figures_form.html",
        {
            "pair": pair,
            "year": year,
            "values": values,
            "groups": figures.indicator_groups(pair.kind),
            "money_unit": MONEY,
            "grades": GRADES,
            "grade_labels": figures.GRADE_LABELS,
            "error": error,
            "error_fields": {e.field for e in (error.errors if error else [])},
            "kind_label": kind_label,
        },
        status_code=error.status if error else 200,
    )


async def figures_form(request: Request) -> Response:
    year = validate_form(YearQuery, request.query_params).year
    return await _figures_form(request, request.path_params["pair_id"], year, None, None)


async def figures_save(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    pair_id = request.path_params["pair_id"]
    names = [f"{side}.{i.code}" for side in ("target", "reported") for i in INDICATORS]
    values = {name: str(form.get(name, "")) for name in (*names, "grade", "summary", "note")}
    try:
        posted = validate_form(PairYearFiguresForm, form)
        # The form shows every figure and note: a blank one is cleared, not left as it was.
        await figures.save_figures(
            actor=current,
            pair_id=pair_id,
            year=posted.year,
            targets=posted.figures("target"),
            reported=posted.figures("reported"),
            grade=posted.grade or "",
            summary=posted.summary or "",
            note=posted.note or "",
        )
    except InvalidInput as exc:
        try:
            year = int(str(form.get("year", "")))
        except ValueError:
            year = 0
        if not FIRST_PAIR_YEAR <= year <= LAST_YEAR:  # the form again, for a year it can show
            year = today_cn().year
        return await _figures_form(request, pair_id, year, values, exc)
    return redirect(
        request, f"/dashboards/pairs/{pair_id}?year={posted.year}", flash=_("目标和报告数已保存。")
    )


# ---- pair management -----------------------------------------------------------------------------


#: The fields of the pair forms (a blank form shows them all empty): those of the API's bodies.
NEW_FIELDS = tuple(PairCreate.model_fields)
END_FIELDS = tuple(PairEnd.model_fields)
REDRAW_FIELDS = tuple(PairRedraw.model_fields)


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
        body = validate_form(PairCreate, form)
        pair = await management.add_pair(
            actor=current,
            kind=body.kind,
            helper_id=body.helper_id,
            helped_region_code=body.helped_region_code,
            start_year=body.start_year,
            end_year=body.end_year,
            period=body.period,
            note=body.note,
        )
    except InvalidInput as exc:
        return _pair_form(request, "pairs/pair_new.html", {"values": values}, exc)
    return redirect(request, f"/dashboards/pairs/{pair.id}", flash=_("结对关系已添加。"))


async def _managed_pair(request: Request) -> Any:
    current = require_login(request)
    pair = await access.load_pair(request.path_params["pair_id"])
    require(current, "pair.manage", management.pair_scope(pair))
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
        body = validate_form(PairEnd, form)
        await management.end_pair(
            actor=current, pair_id=pair.id, end_year=body.end_year, reason=body.reason
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
        body = validate_form(PairRedraw, form)
        new = await management.redraw_pair(
            actor=current,
            pair_id=pair.id,
            start_year=body.start_year,
            end_year=body.end_year,
            helper_id=body.helper_id,
            helped_region_code=body.helped_region_code,
            period=body.period,
            reason=body.reason,
        )
    except InvalidInput as exc:
        return _pair_form(request, "pairs/pair_redraw.html", {"pair": pair, "values": values}, exc)
    return redirect(
        request, f"/dashboards/pairs/{new.id}", flash=_("已重新结对，原结对保留为历史。")
    )


routes = [
    page(
        "/dashboards/pairs/new",
        pair_new,
        methods=["GET"],
        name="dashboard_pair_new",
        action="pair.manage",
    ),
    page(
        "/dashboards/pairs/new",
        pair_create,
        methods=["POST"],
        name="dashboard_pair_create",
        action="pair.manage",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/figures",
        figures_form,
        methods=["GET"],
        name="dashboard_figures",
        action="pair.targets.edit",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/figures",
        figures_save,
        methods=["POST"],
        name="dashboard_figures_save",
        action="pair.targets.edit",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/end",
        pair_end_form,
        methods=["GET"],
        name="dashboard_pair_end_form",
        action="pair.manage",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/end",
        pair_end,
        methods=["POST"],
        name="dashboard_pair_end",
        action="pair.manage",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/redraw",
        pair_redraw_form,
        methods=["GET"],
        name="dashboard_pair_redraw_form",
        action="pair.manage",
    ),
    page(
        "/dashboards/pairs/{pair_id:id}/redraw",
        pair_redraw,
        methods=["POST"],
        name="dashboard_pair_redraw",
        action="pair.manage",
    ),
]
