"""GET /regions, /regions/{code}."""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, place_scope
from fupin.core.schemas import Page
from fupin.core.web import actor
from fupin.regions import models
from fupin.regions import service as regions
from fupin.regions.schemas import Region, RegionPath, RegionQuery


async def list_regions(request: Request, *, query: RegionQuery) -> regions.RegionPage:
    return await regions.list_regions(
        level=query.level,
        parent=query.parent,
        q=query.q,
        province=query.province,
        poverty_only=query.poverty_county,
        page=query.page,
        per_page=query.per_page,
        scope=place_scope(actor(request)),
    )


async def get_region(request: Request, *, path: RegionPath) -> models.Region:
    return await regions.get_region(path.code)


endpoints = [
    Endpoint(
        "GET",
        "/regions",
        list_regions,
        "Administrative divisions (GB/T 2260), filterable; level=village&q= is the village picker (within the caller's county or province)",
        query=RegionQuery,
        response=Page[Region],
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/regions/{code}",
        get_region,
        "One region",
        params=RegionPath,
        response=Region,
        errors=(404,),
        action=PUBLIC,
    ),
]
