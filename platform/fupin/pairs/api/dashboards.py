"""Dashboards, alerts, pair management and per pair-year figures as JSON (issue 7).

Money is integer fen everywhere here (the HTML form takes 万元; the API never guesses a unit):
a figure is an integer or null. Percentages are hundredths of a percent (``*_pct_x100``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.core.clock import today_cn
from fupin.core.jsonapi import api_actor, error_responses, json_body, json_response
from fupin.errors import FieldError, InvalidInput
from fupin.i18n import _
from fupin.pairs.rules.alerts import INDICATORS, QUARTER_SCHEDULE, UNFUNDED_DAYS_DEFAULT
from fupin.pairs.service import dashboards
from fupin.pairs.service import management as pair_management


def _year(request: Request, *, allow_all: bool = True) -> int | None:
    return dashboards.check_year(request.query_params.get("year"), allow_all=allow_all)


def _days(request: Request) -> int:
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


async def _region(request: Request, level: str, code: str | None) -> JSONResponse:
    actor = api_actor(request)
    d = await dashboards.region_dashboard(
        actor=actor, level=level, code=code, year=_year(request), unfunded_days=_days(request)
    )
    return JSONResponse(d.as_dict())


async def national(request: Request) -> JSONResponse:
    return await _region(request, "national", None)


async def province(request: Request) -> JSONResponse:
    return await _region(request, "province", request.path_params["code"])


async def county(request: Request) -> JSONResponse:
    return await _region(request, "county", request.path_params["code"])


async def alerts(request: Request) -> JSONResponse:
    actor = api_actor(request)
    data = await dashboards.alerts(
        actor=actor,
        region_code=request.query_params.get("region") or None,
        year=_year(request, allow_all=False),
        unfunded_days=_days(request),
    )
    return JSONResponse(data)


async def pair_overview(request: Request) -> JSONResponse:
    actor = api_actor(request)
    year = _year(request, allow_all=False)
    assert year is not None
    overview = await dashboards.pair_overview(actor=actor, year=year)
    return JSONResponse(
        {
            "year": year,
            "region": overview.region.code if overview.region else None,
            "pairs": overview.table.as_dict(),
            "lagging": overview.lagging.as_dict(),
        }
    )


async def pair_dashboard(request: Request) -> JSONResponse:
    actor = api_actor(request)
    year = _year(request, allow_all=False) if request.query_params.get("year") else None
    d = await dashboards.pair_dashboard(
        actor=actor, pair_id=request.path_params["pair_id"], year=year, unfunded_days=_days(request)
    )
    return JSONResponse(d.as_dict())


async def pair_history(request: Request) -> JSONResponse:
    actor = api_actor(request)
    pair = await dashboards.load_pair(request.path_params["pair_id"])
    dashboards.require_pair_view(actor, pair)
    events = await pair_management.pair_history(pair.id)
    return JSONResponse(
        {
            "pair_id": pair.id,
            "events": [
                {
                    "id": e.id,
                    "pair_id": e.pair_id,
                    "action": e.action,
                    "other_pair_id": e.other_pair_id,
                    "year": e.year,
                    "reason": e.reason,
                    "actor": e.actor_label,
                    "at": e.at.isoformat(),
                }
                for e in events
            ],
        }
    )


async def indicators(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "indicators": [
                {
                    "code": i.code,
                    "label": _(i.label),
                    "unit": i.unit,
                    "kinds": list(i.kinds),
                    "group": i.group,
                }
                for i in INDICATORS
            ],
            "schedule_pct_by_completed_quarters": {str(k): v for k, v in QUARTER_SCHEDULE.items()},
            "unfunded_days_default": UNFUNDED_DAYS_DEFAULT,
        }
    )


# ---- management -----------------------------------------------------------------------------------


def _pair_json(pair: Any) -> dict[str, Any]:
    return {
        "id": pair.id,
        "kind": pair.kind,
        "helper_id": pair.helper_id,
        "helped_region_code": pair.helped_region_id,
        "start_year": pair.start_year,
        "end_year": pair.end_year,
        "period": pair.period,
        "replaces_id": pair.replaces_id,
    }


async def create_pair(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    assert actor is not None
    pair = await pair_management.add_pair(
        actor=actor,
        kind=str(body.get("kind", "")),
        helper_id=body.get("helper_id"),
        helped_region_code=str(body.get("helped_region_code") or ""),
        start_year=body.get("start_year"),
        end_year=body.get("end_year"),
        period=str(body.get("period") or ""),
        note=str(body.get("note") or ""),
    )
    return JSONResponse(_pair_json(pair), status_code=201)


async def end_pair(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    assert actor is not None
    pair = await pair_management.end_pair(
        actor=actor,
        pair_id=request.path_params["pair_id"],
        end_year=body.get("end_year"),
        reason=str(body.get("reason") or ""),
    )
    return JSONResponse(_pair_json(pair))


async def redraw_pair(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    assert actor is not None
    new = await pair_management.redraw_pair(
        actor=actor,
        pair_id=request.path_params["pair_id"],
        start_year=body.get("start_year"),
        end_year=body.get("end_year"),
        helper_id=body.get("helper_id"),
        helped_region_code=(
            str(body["helped_region_code"]) if body.get("helped_region_code") else None
        ),
        period=str(body.get("period") or ""),
        reason=str(body.get("reason") or ""),
    )
    return JSONResponse(_pair_json(new), status_code=201)


def _figures_json(pair_id: int, year: int, figures: pair_management.YearFigures) -> dict[str, Any]:
    pair_year = figures.pair_year
    return {
        "pair_id": pair_id,
        "year": year,
        "grade": pair_year.grade if pair_year else "",
        "summary": pair_year.summary if pair_year else "",
        "note": pair_year.note if pair_year else "",
        "targets": figures.targets,
        "reported": figures.reported,
    }


def _path_year(request: Request) -> int:
    year = dashboards.check_year(request.path_params["year"], allow_all=False)
    assert year is not None
    return year


async def get_figures(request: Request) -> JSONResponse:
    actor = api_actor(request)
    pair = await dashboards.load_pair(request.path_params["pair_id"])
    dashboards.require_pair_view(actor, pair)
    year = _path_year(request)
    return JSONResponse(
        _figures_json(pair.id, year, await pair_management.year_figures(pair.id, year))
    )


def _figure_map(body: dict[str, Any], key: str, errors: list[FieldError]) -> dict[str, Any] | None:
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(FieldError(key, _("必须是以指标代码为键的对象。")))
        return None
    prefix = "target" if key == "targets" else "reported"  # the field names the domain uses
    for code, value in raw.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            errors.append(FieldError(f"{prefix}.{code}", _("必须是整数（金额单位为分）或 null。")))
    return raw


async def put_figures(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    assert actor is not None
    errors: list[FieldError] = []
    targets = _figure_map(body, "targets", errors)
    reported = _figure_map(body, "reported", errors)
    texts: dict[str, str | None] = {}
    for name in ("grade", "summary", "note"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(name, _("必须是字符串。")))
        texts[name] = value if isinstance(value, str) else None
    if errors:
        raise InvalidInput(errors=errors)
    year = _path_year(request)
    figures = await pair_management.save_figures(
        actor=actor,
        pair_id=request.path_params["pair_id"],
        year=year,
        targets=targets,
        reported=reported,
        grade=texts["grade"],
        summary=texts["summary"],
        note=texts["note"],
    )
    return JSONResponse(_figures_json(request.path_params["pair_id"], year, figures))


async def report(request: Request) -> JSONResponse:
    actor = api_actor(request)
    d = await dashboards.pair_dashboard(
        actor=actor, pair_id=request.path_params["pair_id"], year=_path_year(request)
    )
    return JSONResponse({**d.as_dict(), "generated": today_cn().isoformat()})


routes = [
    Route("/dashboards/indicators", indicators, methods=["GET"], name="dashboard_indicators"),
    Route("/dashboards/national", national, methods=["GET"], name="dashboard_national"),
    Route("/dashboards/provinces/{code}", province, methods=["GET"], name="dashboard_province"),
    Route("/dashboards/counties/{code}", county, methods=["GET"], name="dashboard_county"),
    Route("/dashboards/alerts", alerts, methods=["GET"], name="dashboard_alerts"),
    Route("/dashboards/pairs", pair_overview, methods=["GET"], name="dashboard_pairs"),
    Route(
        "/dashboards/pairs/{pair_id:int}", pair_dashboard, methods=["GET"], name="dashboard_pair"
    ),
    Route("/pairs", create_pair, methods=["POST"], name="pair_create"),
    Route("/pairs/{pair_id:int}/end", end_pair, methods=["POST"], name="pair_end"),
    Route("/pairs/{pair_id:int}/redraw", redraw_pair, methods=["POST"], name="pair_redraw"),
    Route("/pairs/{pair_id:int}/history", pair_history, methods=["GET"], name="pair_history"),
    Route("/pairs/{pair_id:int}/years/{year}", get_figures, methods=["GET"], name="pair_year"),
    Route("/pairs/{pair_id:int}/years/{year}", put_figures, methods=["PUT"], name="pair_year_put"),
    Route(
        "/pairs/{pair_id:int}/years/{year}/report", report, methods=["GET"], name="pair_year_report"
    ),
]

# ---- OpenAPI -------------------------------------------------------------------------------------

_FIGURES = {
    "type": "object",
    "description": "indicator code → integer (fen for money indicators, people or count otherwise) or null",
    "additionalProperties": {"type": ["integer", "null"], "minimum": 0},
}
_YEAR_Q = {
    "name": "year",
    "in": "query",
    "description": "calendar year (China time), or `all`; default this year",
    "schema": {"type": "string", "pattern": "^(all|[0-9]{4})$"},
}
_YEAR_ONLY_Q = {
    "name": "year",
    "in": "query",
    "schema": {"type": "integer", "minimum": 2010, "maximum": 2100},
}
_DAYS_Q = {
    "name": "days",
    "in": "query",
    "description": "needs open this many days after publication count as unfunded (default 90)",
    "schema": {"type": "integer", "minimum": 1, "maximum": 3650},
}
_PAIR_ID = {"name": "pair_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_YEAR_PATH = {
    "name": "year",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 2010, "maximum": 2100},
}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 12},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


schemas = {
    "DashboardTable": {
        "type": "object",
        "required": ["name", "title", "columns", "rows"],
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "note": {"type": "string"},
            "columns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": "string"},
                        "kind": {"type": "string", "enum": ["text", "int", "yuan", "pct"]},
                    },
                },
            },
            "rows": {"type": "array", "items": {"type": "object"}},
        },
    },
    "HonourRate": {
        "type": "object",
        "properties": {
            "due_count": {"type": "integer"},
            "honoured_count": {"type": "integer"},
            "rate_percent": {"type": ["integer", "null"]},
            "due_fen": {"type": "integer"},
            "paid_fen": {"type": "integer"},
            "amount_rate_percent": {"type": ["integer", "null"]},
        },
    },
    "DashboardMoney": {
        "type": "object",
        "properties": {
            "pledged_fen": {"type": "integer"},
            "received_fen": {"type": "integer"},
            "pledges": {"type": "integer"},
            "honour": _ref("HonourRate"),
            "honour_pct_x100": {"type": ["integer", "null"]},
            "paid_pct_x100": {"type": ["integer", "null"]},
        },
    },
    "RegionDashboard": {
        "type": "object",
        "required": ["level", "year", "needs", "tables"],
        "properties": {
            "level": {"type": "string", "enum": ["national", "province", "county"]},
            "region": {"type": ["string", "null"]},
            "region_name": {"type": ["string", "null"]},
            "year": {"type": ["integer", "null"]},
            "needs": {"type": "integer"},
            "target_fen": {"type": "integer"},
            "pledged_fen": {"type": "integer"},
            "received_fen": {"type": "integer"},
            "pledges": {"type": "integer"},
            "honour": _ref("HonourRate"),
            "honour_pct_x100": {"type": ["integer", "null"]},
            "paid_pct_x100": {"type": ["integer", "null"]},
            "villages_asking": {"type": "integer"},
            "villages_reached": {"type": "integer"},
            "top_villages": {"type": "integer"},
            "concentration_pct_x100": {"type": "integer"},
            "lagging_pairs": {"type": "integer"},
            "unfunded_needs": {"type": "integer"},
            "tables": {"type": "object", "additionalProperties": _ref("DashboardTable")},
        },
    },
    "PairDashboard": {
        "type": "object",
        "required": ["pair_id", "year", "tables"],
        "properties": {
            "pair_id": {"type": "integer"},
            "year": {"type": "integer"},
            "kind": {"type": "string"},
            "helper": {"type": "object"},
            "helped_region": {"type": "object"},
            "start_year": {"type": "integer"},
            "end_year": {"type": ["integer", "null"]},
            "helper_money": _ref("DashboardMoney"),
            "mobilised_money": _ref("DashboardMoney"),
            "total_money": _ref("DashboardMoney"),
            "grade": {"type": "string"},
            "summary": {"type": "string"},
            "indicators": {"type": "array", "items": {"type": "object"}},
            "alerts": {"type": "array", "items": {"type": "object"}},
            "tables": {"type": "object", "additionalProperties": _ref("DashboardTable")},
            "generated": {"type": "string", "format": "date"},
        },
    },
    "DashboardAlerts": {
        "type": "object",
        "properties": {
            "year": {"type": "integer"},
            "region": {"type": ["string", "null"]},
            "schedule": {"type": "string"},
            "unfunded_days": {"type": "integer"},
            "lagging": {"type": "array", "items": {"type": "object"}},
            "unfunded_total": {"type": "integer"},
            "unfunded": {"type": "array", "items": {"type": "object"}},
        },
    },
    "PairCreate": {
        "type": "object",
        "required": ["kind", "helper_id", "helped_region_code", "start_year"],
        "properties": {
            "kind": {"type": "string", "enum": ["east_west", "designated"]},
            "helper_id": {"type": "integer"},
            "helped_region_code": {"type": "string", "maxLength": 12},
            "start_year": {"type": "integer"},
            "end_year": {"type": ["integer", "null"]},
            "period": {"type": "string", "maxLength": 16},
            "note": {"type": "string"},
        },
    },
    "PairEnd": {
        "type": "object",
        "required": ["end_year"],
        "properties": {"end_year": {"type": "integer"}, "reason": {"type": "string"}},
    },
    "PairRedraw": {
        "type": "object",
        "required": ["start_year"],
        "properties": {
            "start_year": {"type": "integer"},
            "end_year": {"type": ["integer", "null"]},
            "helper_id": {"type": ["integer", "null"]},
            "helped_region_code": {"type": ["string", "null"], "maxLength": 12},
            "period": {"type": "string", "maxLength": 16},
            "reason": {"type": "string"},
        },
    },
    "PairManaged": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "helper_id": {"type": "integer"},
            "helped_region_code": {"type": "string"},
            "start_year": {"type": "integer"},
            "end_year": {"type": ["integer", "null"]},
            "period": {"type": "string"},
            "replaces_id": {"type": ["integer", "null"]},
        },
    },
    "PairYearFigures": {
        "type": "object",
        "properties": {
            "pair_id": {"type": "integer"},
            "year": {"type": "integer"},
            "grade": {"type": "string", "enum": ["", "good", "fairly_good", "average", "poor"]},
            "summary": {"type": "string"},
            "note": {"type": "string"},
            "targets": _FIGURES,
            "reported": _FIGURES,
        },
    },
    "PairYearFiguresUpdate": {
        "type": "object",
        "properties": {
            "targets": _FIGURES,
            "reported": _FIGURES,
            "grade": {"type": "string", "enum": ["", "good", "fairly_good", "average", "poor"]},
            "summary": {"type": "string"},
            "note": {"type": "string"},
        },
    },
}

_REGION_ERRORS = error_responses(401, 403, 404, 422)

openapi = {
    "/dashboards/indicators": {
        "get": {
            "summary": "Indicators assessed per pair and year (RULES §6), and the lagging schedule",
            "security": [],
            "responses": {"200": json_response({"type": "object"})},
        }
    },
    "/dashboards/national": {
        "get": {
            "summary": "National dashboard (national office and auditors)",
            "parameters": [_YEAR_Q, _DAYS_Q],
            "responses": {"200": json_response(_ref("RegionDashboard")), **_REGION_ERRORS},
        }
    },
    "/dashboards/provinces/{code}": {
        "get": {
            "summary": "Province dashboard (the province's office, the national office)",
            "parameters": [_CODE, _YEAR_Q, _DAYS_Q],
            "responses": {"200": json_response(_ref("RegionDashboard")), **_REGION_ERRORS},
        }
    },
    "/dashboards/counties/{code}": {
        "get": {
            "summary": "County dashboard with the need drill-down",
            "parameters": [_CODE, _YEAR_Q, _DAYS_Q],
            "responses": {"200": json_response(_ref("RegionDashboard")), **_REGION_ERRORS},
        }
    },
    "/dashboards/alerts": {
        "get": {
            "summary": "Pairs behind schedule and long-unfunded needs in helped regions",
            "parameters": [
                {"name": "region", "in": "query", "schema": {"type": "string", "maxLength": 12}},
                _YEAR_ONLY_Q,
                _DAYS_Q,
            ],
            "responses": {"200": json_response(_ref("DashboardAlerts")), **_REGION_ERRORS},
        }
    },
    "/dashboards/pairs": {
        "get": {
            "summary": "Pairs the caller follows in a year, target against actual",
            "parameters": [_YEAR_ONLY_Q],
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 422),
            },
        }
    },
    "/dashboards/pairs/{pair_id}": {
        "get": {
            "summary": "One pair's dashboard for a year",
            "parameters": [_PAIR_ID, _YEAR_ONLY_Q, _DAYS_Q],
            "responses": {"200": json_response(_ref("PairDashboard")), **_REGION_ERRORS},
        }
    },
    "/pairs": {
        "post": {
            "summary": "Add a pair (pair.manage)",
            "requestBody": _body("PairCreate"),
            "responses": {
                "201": json_response(_ref("PairManaged"), "Created"),
                **error_responses(401, 403, 409, 422),
            },
        }
    },
    "/pairs/{pair_id}/end": {
        "post": {
            "summary": "End a pair in force",
            "parameters": [_PAIR_ID],
            "requestBody": _body("PairEnd"),
            "responses": {
                "200": json_response(_ref("PairManaged")),
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    },
    "/pairs/{pair_id}/redraw": {
        "post": {
            "summary": "Re-draw a pair: the old one ends the year before, the new one replaces it",
            "parameters": [_PAIR_ID],
            "requestBody": _body("PairRedraw"),
            "responses": {
                "201": json_response(_ref("PairManaged"), "Created"),
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    },
    "/pairs/{pair_id}/history": {
        "get": {
            "summary": "History of a pair and of the pairs it replaced",
            "parameters": [_PAIR_ID],
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404),
            },
        }
    },
    "/pairs/{pair_id}/years/{year}": {
        "get": {
            "summary": "Targets and reported figures of one pair-year",
            "parameters": [_PAIR_ID, _YEAR_PATH],
            "responses": {"200": json_response(_ref("PairYearFigures")), **_REGION_ERRORS},
        },
        "put": {
            "summary": "Record targets and/or reported figures (money in fen; null clears)",
            "parameters": [_PAIR_ID, _YEAR_PATH],
            "requestBody": _body("PairYearFiguresUpdate"),
            "responses": {
                "200": json_response(_ref("PairYearFigures")),
                **error_responses(401, 403, 404, 409, 422),
            },
        },
    },
    "/pairs/{pair_id}/years/{year}/report": {
        "get": {
            "summary": "The annual self-assessment report of a pair-year (data)",
            "parameters": [_PAIR_ID, _YEAR_PATH],
            "responses": {"200": json_response(_ref("PairDashboard")), **_REGION_ERRORS},
        }
    },
}
