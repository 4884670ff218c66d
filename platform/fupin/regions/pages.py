"""Region browser: province → prefecture → county → townships, with poverty flags."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import page_args, render
from fupin.regions import service as regions


async def region_index(request: Request) -> Response:
    provinces = await regions.list_regions(level="province", per_page=100)
    return render(request, "regions/index.html", {"provinces": provinces.items})


async def region_detail(request: Request) -> Response:
    region = await regions.get_region(request.path_params["code"])
    page, per_page = page_args(request, default_per_page=100, max_per_page=500)
    children = await regions.list_regions(parent=region.code, page=page, per_page=per_page)
    trail = await regions.ancestors(region)
    context: dict[str, Any] = {"region": region, "children": children, "trail": trail}
    # The needs, money and deliveries of the place come from areas above regions (money's
    # place panel), composed by the app (fupin.app), so that regions imports none of them.
    for panel in getattr(request.app.state, "place_page_panels", []):
        context.update(await panel(region))
    return render(request, "regions/detail.html", context)


async def poverty_counties(request: Request) -> Response:
    page, per_page = page_args(request, default_per_page=100, max_per_page=900)
    province = request.query_params.get("province") or None
    listing = await regions.list_regions(
        level="county", poverty_only=True, province=province, page=page, per_page=per_page
    )
    provinces = await regions.list_regions(level="province", per_page=100)
    return render(
        request,
        "regions/poverty.html",
        {"listing": listing, "provinces": provinces.items, "province": province},
    )


routes = [
    page("/regions", region_index, name="regions", action=PUBLIC),
    page("/regions/poverty-counties", poverty_counties, name="poverty_counties", action=PUBLIC),
    page("/regions/{code:region}", region_detail, name="region", action=PUBLIC),
]
