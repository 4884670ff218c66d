"""Lists of needs: the database list's filters (public list, workspace, exports), ``GET /needs``
with its search form, and the search results (hits with highlights, facet counts)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from fupin.core.schemas import Out, Page, PageQuery
from fupin.needs.rules import MAX_LIST_QUERY, SORTS
from fupin.needs.schemas.choices import CategoryCode, ListSort, State
from fupin.search.rules.settings_data import default_settings as default_search_settings

#: A value of a repeatable search filter: a code, or in a search a name (the longest county
#: name, 积石山保安族东乡族撒拉族自治县, has 15 characters).
FacetValue = Annotated[str, Field(max_length=64)]


class NeedListQuery(PageQuery):
    """The filters of the database list of needs (the public list, the workspace, exports)."""

    province: str | None = Field(None, pattern="^[0-9]{6}$", description="Province code")
    county: str | None = Field(None, pattern="^[0-9]{6}$", description="County code")
    region: str | None = Field(
        None, pattern="^[0-9]{6,12}$", description="A village, or every village under a region"
    )
    category: CategoryCode | None = None
    state: State | None = Field(None, description="Public lists: published and later states")
    q: str | None = Field(None, max_length=MAX_LIST_QUERY, description="Part of the title")
    sort: ListSort = "raising"


class WorkspaceQuery(NeedListQuery):
    per_page: int = Field(30, ge=1, le=100)
    sort: ListSort = "newest"


#: Facets of the search (search/settings.toml) and the longest query it takes.
_SEARCH = default_search_settings()
SEARCH_FACETS, MAX_SEARCH_QUERY = _SEARCH.facets, _SEARCH.max_query_chars


class NeedQuery(PageQuery):
    """``GET /needs``: the database list (codes; one value per filter), or — with ``q``, a
    search-only facet, ``facets``, ``sort=relevance`` or several values of one facet, on the
    public scope — a full-text search answered by the search service with facet counts."""

    scope: Literal["public", "mine"] = Field(
        "public", description="mine: the needs of the caller's village/county/province"
    )
    q: str | None = Field(
        None,
        max_length=MAX_SEARCH_QUERY,
        description="Full-text search, Chinese-aware; present, even empty, it routes the "
        "request to search",
    )
    province: list[FacetValue] = Field(
        [], description="Province code; in a search also names, repeatable (values ORed)"
    )
    county: list[FacetValue] = Field(
        [], description="County code; in a search also names, repeatable (values ORed)"
    )
    region: str | None = Field(
        None, pattern="^[0-9]{6,12}$", description="A village, or every village under a region"
    )
    category: list[CategoryCode] = Field([], description="Repeatable in a search (values ORed)")
    state: list[State] = Field(
        [], description="Public lists: published and later states; repeatable in a search"
    )
    contiguous_area: list[FacetValue] = Field([], description="Search facet filter, repeatable")
    amount_band: list[str] = Field([], description="Search facet filter, repeatable")
    facets: str | None = Field(
        None,
        description="Search: comma-separated facets to count (default all): "
        + ", ".join(SEARCH_FACETS),
    )
    sort: Literal[("relevance", *SORTS)] | None = Field(
        None, description="newest by default; relevance (the default of a search): search only"
    )


class NeedHighlight(Out):
    """Escaped HTML with ``<mark>`` around the words found."""

    title: str
    description: str


class NeedHit(Out):
    """A public need as search found it (the search document, with the current money)."""

    id: int
    title: str
    description: str
    items: str = Field("", description="Names of the in-kind items, space-separated")
    category: CategoryCode
    category_label: str
    state: State
    province: str
    province_code: str
    prefecture: str
    county: str
    county_code: str
    township: str
    village: str
    contiguous_area: str
    is_poverty_county: bool
    target_fen: int
    pledged_fen: int
    received_fen: int
    open_fen: int
    amount_band: str
    deadline: str
    deadline_ts: int
    published_ts: int
    beneficiary_people: int
    beneficiary_households: int
    highlight: NeedHighlight


class NeedSearchPage(Page[NeedHit]):
    facets: dict[str, dict[str, int]] = Field(
        description="facet → {value: number of hits}, most frequent first (province, county, "
        "category, state, contiguous_area, amount_band = funding band by target)"
    )
    partial: bool = Field(
        False,
        description="No need holds every word of q: the hits hold most of them (see note)",
    )
    note: str | None = Field(
        None,
        description="Shown above the hits when partial: 没有同时包含所有词的结果，以下为部分匹配",
    )
