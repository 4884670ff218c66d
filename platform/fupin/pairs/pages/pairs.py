"""Pair list and pair pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fupin.core.web import page_args, render
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.pairs.service import registry as pairs


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
    try:
        pair_id = int(request.path_params["pair_id"])
    except ValueError:
        raise InvalidInput(_("结对编号无效。"), field="id") from None
    pair = await pairs.get_pair(pair_id)
    return render(request, "pairs/detail.html", {"pair": pair, "kind_label": pairs.kind_label})


routes = [
    Route("/pairs", pair_list, name="pairs"),
    Route("/pairs/{pair_id}", pair_detail, name="pair"),
]
