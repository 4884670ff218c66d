"""Cooperation pairs as JSON: the list and one pair (public), managing them (add, end, re-draw,
their history), and the targets and reported figures of a pair-year with its report.

Money is integer fen (the HTML form takes 万元; the API never guesses a unit).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from fupin.accounts.models import Pair as PairRow
from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page
from fupin.pairs.schemas import (
    Pair,
    PairCreate,
    PairEnd,
    PairHistory,
    PairManaged,
    PairPath,
    PairQuery,
    PairRedraw,
    PairReport,
    PairYearFigures,
    PairYearFiguresUpdate,
    PairYearPath,
)
from fupin.pairs.service import access, figures, management, registry
from fupin.pairs.service.figures import YearFigures
from fupin.pairs.service.pair_dashboard import PairDashboard, pair_dashboard


async def list_pairs(request: Request, *, query: PairQuery) -> registry.PairPage:
    return await registry.list_pairs(
        kind=query.kind,
        helper_id=query.helper,
        region_code=query.region,
        year=query.year,
        page=query.page,
        per_page=query.per_page,
    )


async def get_pair(request: Request, *, path: PairPath) -> PairRow:
    return await registry.get_pair(path.pair_id)


async def create_pair(request: Request, *, actor: Actor, body: PairCreate) -> PairRow:
    return await management.add_pair(
        actor=actor,
        kind=body.kind,
        helper_id=body.helper_id,
        helped_region_code=body.helped_region_code,
        start_year=body.start_year,
        end_year=body.end_year,
        period=body.period,
        note=body.note,
    )


async def end_pair(request: Request, *, actor: Actor, path: PairPath, body: PairEnd) -> PairRow:
    return await management.end_pair(
        actor=actor, pair_id=path.pair_id, end_year=body.end_year, reason=body.reason
    )


async def redraw_pair(
    request: Request, *, actor: Actor, path: PairPath, body: PairRedraw
) -> PairRow:
    return await management.redraw_pair(
        actor=actor,
        pair_id=path.pair_id,
        start_year=body.start_year,
        end_year=body.end_year,
        helper_id=body.helper_id,
        helped_region_code=body.helped_region_code,
        period=body.period,
        reason=body.reason,
    )


async def pair_history(request: Request, *, actor: Actor, path: PairPath) -> dict[str, Any]:
    pair = await access.load_pair(path.pair_id)
    access.require_pair_view(actor, pair)
    return {"pair_id": pair.id, "events": await management.pair_history(pair.id)}


async def get_pair_year(request: Request, *, actor: Actor, path: PairYearPath) -> YearFigures:
    pair = await access.load_pair(path.pair_id)
    access.require_pair_view(actor, pair)
    return await figures.year_figures(pair.id, path.year)


async def put_pair_year(
    request: Request, *, actor: Actor, path: PairYearPath, body: PairYearFiguresUpdate
) -> YearFigures:
    return await figures.save_figures(
        actor=actor,
        pair_id=path.pair_id,
        year=path.year,
        targets=body.targets,
        reported=body.reported,
        grade=body.grade,
        summary=body.summary,
        note=body.note,
    )


async def pair_year_report(request: Request, *, actor: Actor, path: PairYearPath) -> PairDashboard:
    return await pair_dashboard(actor=actor, pair_id=path.pair_id, year=path.year)


endpoints = [
    Endpoint(
        "GET",
        "/pairs",
        list_pairs,
        "Cooperation pairs (east–west, designated assistance)",
        query=PairQuery,
        response=Page[Pair],
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/pairs",
        create_pair,
        "Add a pair (pair.manage)",
        body=PairCreate,
        auth="required",
        response=PairManaged,
        status=201,
        errors=(409,),
        action="pair.manage",
    ),
    Endpoint(
        "GET",
        "/pairs/{pair_id}",
        get_pair,
        "One pair",
        params=PairPath,
        response=Pair,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/pairs/{pair_id}/end",
        end_pair,
        "End a pair in force",
        params=PairPath,
        body=PairEnd,
        auth="required",
        response=PairManaged,
        errors=(404, 409),
        action="pair.manage",
    ),
    Endpoint(
        "POST",
        "/pairs/{pair_id}/redraw",
        redraw_pair,
        "Re-draw a pair: the old one ends the year before, the new one replaces it",
        params=PairPath,
        body=PairRedraw,
        auth="required",
        response=PairManaged,
        status=201,
        errors=(404, 409),
        action="pair.manage",
    ),
    Endpoint(
        "GET",
        "/pairs/{pair_id}/history",
        pair_history,
        "History of a pair and of the pairs it replaced",
        params=PairPath,
        auth="required",
        response=PairHistory,
        errors=(403, 404),
        action=("dashboard.view", "pair.report"),
    ),
    Endpoint(
        "GET",
        "/pairs/{pair_id}/years/{year}",
        get_pair_year,
        "Targets and reported figures of one pair-year",
        params=PairYearPath,
        auth="required",
        response=PairYearFigures,
        errors=(403, 404),
        action=("dashboard.view", "pair.report"),
    ),
    Endpoint(
        "PUT",
        "/pairs/{pair_id}/years/{year}",
        put_pair_year,
        "Record targets and/or reported figures (money in fen; null clears)",
        params=PairYearPath,
        body=PairYearFiguresUpdate,
        auth="required",
        response=PairYearFigures,
        errors=(404, 409),
        action="pair.targets.edit",
    ),
    Endpoint(
        "GET",
        "/pairs/{pair_id}/years/{year}/report",
        pair_year_report,
        "The annual self-assessment report of a pair-year (data)",
        params=PairYearPath,
        auth="required",
        response=PairReport,
        errors=(403, 404),
        action=("dashboard.view", "pair.report"),
    ),
]
