"""The dashboards as JSON: national, a province, a county, one pair; the pairs the
caller follows; alerts across a scope; and the indicator catalogue.

Money is integer fen; percentages are hundredths of a percent (``*_pct_x100``). Each dashboard's
tables are the ones its page shows and exports (``fupin.pairs.schemas.DashboardTable``); a region
dashboard also carries the supervision alerts' counts its page shows, from the providers the app
puts in ``request.app.state.dashboard_supervision`` (disclosure is above pairs).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.i18n import _
from fupin.pairs.rules.alerts import INDICATORS, QUARTER_SCHEDULE, UNFUNDED_DAYS_DEFAULT
from fupin.pairs.schemas import (
    AlertsQuery,
    DashboardAlertCount,
    DashboardAlerts,
    DashboardRegionPath,
    IndicatorCatalogue,
    IndicatorInfo,
    PairDashboard,
    PairDashboardQuery,
    PairOverview,
    PairPath,
    RegionDashboard,
    RegionDashboardQuery,
    YearQuery,
)
from fupin.pairs.service import alerts, dashboards, pair_dashboard


async def dashboard_indicators(request: Request) -> IndicatorCatalogue:
    return IndicatorCatalogue(
        indicators=[
            IndicatorInfo(
                code=i.code,
                label=_(i.label),
                unit=i.unit,
                kinds=list(i.kinds),
                group=i.group,
            )
            for i in INDICATORS
        ],
        schedule_pct_by_completed_quarters={str(k): v for k, v in QUARTER_SCHEDULE.items()},
        unfunded_days_default=UNFUNDED_DAYS_DEFAULT,
    )


async def _region(
    request: Request, actor: Actor, level: str, code: str | None, query: RegionDashboardQuery
) -> RegionDashboard:
    found = await dashboards.region_dashboard(
        actor=actor, level=level, code=code, year=query.year, unfunded_days=query.days
    )
    out = RegionDashboard.model_validate(found, from_attributes=True)
    supervision: list[Any] | None = None
    for provider in getattr(request.app.state, "dashboard_supervision", []):
        counts = await provider(actor, level, code)
        if counts is not None:
            supervision = [*(supervision or []), *counts]
    if supervision is not None:
        out.supervision = [DashboardAlertCount.model_validate(c) for c in supervision]
    return out


async def national_dashboard(
    request: Request, *, actor: Actor, query: RegionDashboardQuery
) -> RegionDashboard:
    return await _region(request, actor, "national", None, query)


async def province_dashboard(
    request: Request, *, actor: Actor, path: DashboardRegionPath, query: RegionDashboardQuery
) -> RegionDashboard:
    return await _region(request, actor, "province", path.code, query)


async def county_dashboard(
    request: Request, *, actor: Actor, path: DashboardRegionPath, query: RegionDashboardQuery
) -> RegionDashboard:
    return await _region(request, actor, "county", path.code, query)


async def dashboard_alerts(request: Request, *, actor: Actor, query: AlertsQuery) -> alerts.Alerts:
    return await alerts.alerts(
        actor=actor, region_code=query.region, year=query.year, unfunded_days=query.days
    )


async def pair_overview(request: Request, *, actor: Actor, query: YearQuery) -> alerts.PairOverview:
    return await alerts.pair_overview(actor=actor, year=query.year)


async def dashboard_pair(
    request: Request, *, actor: Actor, path: PairPath, query: PairDashboardQuery
) -> pair_dashboard.PairDashboard:
    return await pair_dashboard.pair_dashboard(
        actor=actor, pair_id=path.pair_id, year=query.year, unfunded_days=query.days
    )


endpoints = [
    Endpoint(
        "GET",
        "/dashboards/indicators",
        dashboard_indicators,
        "Indicators assessed per pair and year (docs/rules.md §6), and the lagging schedule",
        response=IndicatorCatalogue,
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/dashboards/national",
        national_dashboard,
        "National dashboard (national office and auditors)",
        query=RegionDashboardQuery,
        auth="required",
        response=RegionDashboard,
        errors=(403,),
        action="dashboard.national",
    ),
    Endpoint(
        "GET",
        "/dashboards/provinces/{code}",
        province_dashboard,
        "Province dashboard (the province's office, the national office)",
        params=DashboardRegionPath,
        query=RegionDashboardQuery,
        auth="required",
        response=RegionDashboard,
        errors=(403, 404),
        action="dashboard.view",
    ),
    Endpoint(
        "GET",
        "/dashboards/counties/{code}",
        county_dashboard,
        "County dashboard with the need drill-down",
        params=DashboardRegionPath,
        query=RegionDashboardQuery,
        auth="required",
        response=RegionDashboard,
        errors=(403, 404),
        action="dashboard.view",
    ),
    Endpoint(
        "GET",
        "/dashboards/alerts",
        dashboard_alerts,
        "Pairs behind schedule and long-unfunded needs in helped regions",
        query=AlertsQuery,
        auth="required",
        response=DashboardAlerts,
        errors=(403, 404),
        action=("dashboard.view", "pair.report"),
    ),
    Endpoint(
        "GET",
        "/dashboards/pairs",
        pair_overview,
        "Pairs the caller follows in a year, target against actual",
        query=YearQuery,
        auth="required",
        response=PairOverview,
        errors=(403,),
        action=("dashboard.view", "pair.report"),
    ),
    Endpoint(
        "GET",
        "/dashboards/pairs/{pair_id}",
        dashboard_pair,
        "One pair's dashboard for a year",
        params=PairPath,
        query=PairDashboardQuery,
        auth="required",
        response=PairDashboard,
        errors=(403, 404),
        action=("dashboard.view", "pair.report"),
    ),
]
