"""Pair list and pair pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.schemas import validate
from fupin.core.web import page_args, render
from fupin.pairs.schemas import PairPath
from fupin.pairs.service import registry as pairs
from fupin.pairs.service.public import pair_public_page
from fupin.pairs.service.tables import pct_text


async def pair_list(request: Request) -> Response:
    page, per_page = page_args(request, default_per_page=50)
    kind = request.query_params.get("kind") or None
    listing = await pairs.list_pairs(kind=kind, page=page, per_page=per_page)
    return render(
        request,
        "pairs/list.html",
        {"listing": listing, "kind": kind, "kind_label": pairs.kind_label},
    )


async def pair_detail(request: Request) -> Response:
    path = validate(PairPath, request.path_params)
    data = await pair_public_page(path.pair_id)
    return render(
        request,
        "pairs/detail.html",
        {"d": data, "pair": data.pair, "kind_label": pairs.kind_label, "pct": pct_text},
    )


routes = [
    page("/pairs", pair_list, name="pairs", action=PUBLIC),
    page("/pairs/{pair_id:id}", pair_detail, name="pair", action=PUBLIC),
]
