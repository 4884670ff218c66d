"""The search page ``/search`` (docs/domain.md §3.12): one box, facet counts that narrow,
highlighted matches, sorts and pages — plain links and one GET form, so it works without
JavaScript and on a phone.

Bad input never breaks the page: a query the search refuses (too long, unknown sort, a bad
facet value) re-renders the page with the message (422); an engine that is down renders it with
"temporarily unavailable" and a link to the needs list (503).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.templating import category_label
from fupin.core.web import render
from fupin.errors import InvalidInput, ServiceUnavailable
from fupin.i18n import N_, _
from fupin.needs.rules import STATE_LABELS
from fupin.needs.service.search import NeedSearchArgs, NeedSearchPage, get_service, parse_query_args

FACET_TITLES: dict[str, str] = {
    "province": N_("省份"),
    "county": N_("县"),
    "category": N_("类别"),
    "state": N_("状态"),
    "contiguous_area": N_("连片特困地区"),
    "amount_band": N_("目标金额"),
}
SORT_TITLES: dict[str, str] = {
    "relevance": N_("相关度"),
    "deadline": N_("截止最近"),
    "open_amount": N_("缺口最大"),
    "newest": N_("最新发布"),
}
#: Facet values shown before the "more" fold.
SHOWN_VALUES = 8


def value_label(facet: str, value: str) -> str:
    if facet == "category":
        return category_label(value)
    if facet == "state":
        return _(STATE_LABELS.get(value, value))
    return value


def search_url(
    args: NeedSearchArgs,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    sort: str | None = None,
    page: int | None = None,
) -> str:
    """The /search URL for ``args`` with some parts replaced (page 1 unless given)."""
    pairs: list[tuple[str, str]] = []
    if args.q:
        pairs.append(("q", args.q))
    for name, values in (args.filters if filters is None else filters).items():
        pairs.extend((name, v) for v in values)
    chosen_sort = sort or args.sort
    if chosen_sort != "relevance":
        pairs.append(("sort", chosen_sort))
    if args.per_page:
        pairs.append(("per_page", str(args.per_page)))
    if page and page > 1:
        pairs.append(("page", str(page)))
    return "/search" + ("?" + urlencode(pairs) if pairs else "")


def toggled(
    filters: Mapping[str, Sequence[str]], facet: str, value: str
) -> dict[str, tuple[str, ...]]:
    out = {k: tuple(v) for k, v in filters.items()}
    current = out.get(facet, ())
    out[facet] = tuple(v for v in current if v != value) if value in current else (*current, value)
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]

    @property
    def shown(self) -> list[FacetValue]:
        return self.values[:SHOWN_VALUES]

    @property
    def more(self) -> list[FacetValue]:
        return self.values[SHOWN_VALUES:]


def build_facets(args: NeedSearchArgs, result: NeedSearchPage) -> list[Facet]:
    facets = []
    for name, counts in result.facets.items():
        selected = set(args.filters.get(name, ()))
        values = [
            FacetValue(
                value,
                value_label(name, value),
                count,
                value in selected,
                search_url(args, filters=toggled(args.filters, name, value)),
            )
            for value, count in counts.items()
        ]
        # A selected value with no hit left still shows, so it can be removed.
        values += [
            FacetValue(
                v,
                value_label(name, v),
                0,
                True,
                search_url(args, filters=toggled(args.filters, name, v)),
            )
            for v in args.filters.get(name, ())
            if v not in counts
        ]
        values.sort(key=lambda fv: not fv.selected)  # selected first, then by count (stable)
        if values:
            facets.append(Facet(name, _(FACET_TITLES.get(name, name)), values))
    return facets


def active_filters(args: NeedSearchArgs) -> list[FacetValue]:
    return [
        FacetValue(
            v,
            f"{_(FACET_TITLES.get(name, name))}：{value_label(name, v)}",
            0,
            True,
            search_url(args, filters=toggled(args.filters, name, v)),
        )
        for name, values in args.filters.items()
        for v in values
    ]


async def search_page(request: Request) -> Response:
    service = get_service(request.app.state)
    settings = service.settings
    error: str | None = None
    error_field: str | None = None
    status = 200
    result: NeedSearchPage | None = None
    args = NeedSearchArgs()
    try:
        args = parse_query_args(request.query_params.multi_items(), settings=settings)
        result = await service.search(args)
    except InvalidInput as exc:
        error, error_field, status = exc.message, exc.field, 422
        if not args.q:  # the query string itself was unreadable (e.g. page=abc): keep the words
            args = NeedSearchArgs(q=request.query_params.get("q", "")[: settings.max_query_chars])
    except ServiceUnavailable as exc:
        error, status = exc.message, 503
    context: dict[str, Any] = {
        "args": args,
        "result": result,
        "error": error,
        "error_field": error_field,
        "facets": build_facets(args, result) if result else [],
        "active": active_filters(args),
        "clear_url": search_url(args, filters={}),
        "sorts": [
            (name, _(title), search_url(args, sort=name), name == args.sort)
            for name, title in SORT_TITLES.items()
        ],
        "state_labels": STATE_LABELS,
        "max_chars": settings.max_query_chars,
    }
    if result is not None:
        # The pager never offers pages the search refuses (search/settings.toml query.max_page).
        capped = min(result.total, settings.max_page * result.per_page)
        context["listing"] = {"page": result.page, "per_page": result.per_page, "total": capped}
    return render(request, "needs/search.html", context, status_code=status)


routes = [page("/search", search_page, name="search", action=PUBLIC)]
