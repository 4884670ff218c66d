"""Reading needs: one need as the actor may see it, its history, the public and private lists
(filtered, sorted, paged; exports read them in batches), the workspace's counts, and the
duplicate guard (docs/domain.md §3.4).

A need that is not public is "not found" for anyone without ``need.view_private`` in its scope:
its existence is not revealed. Lists show an overdue need as expired without writing anything
(``visibility.state_condition``; the sweep in ``expiry`` persists it): a list request that wrote
made every page view a write transaction, 2,000 overdue needs cost the first four views ~450 ms.
The need page persists the one overdue need it shows (``get_need``).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from tortoise.expressions import Case, F, Q, RawSQL, When
from tortoise.functions import Count
from tortoise.query_utils import Prefetch

from fupin.core import clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, place_scope, require
from fupin.core.schemas import validate
from fupin.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from fupin.i18n import _
from fupin.needs.models import Need, NeedEvent
from fupin.needs.rules import (
    CREATE_PERMISSION,
    DUPLICATE_SIMILARITY,
    DUPLICATE_WINDOW_DAYS,
    LISTABLE_STATES,
    PUBLIC_STATES,
    STATES,
    is_overdue,
)
from fupin.needs.schemas.lists import NeedListQuery
from fupin.needs.service.expiry import expire_one
from fupin.needs.service.visibility import actor_scope_condition, may_view, state_condition
from fupin.regions import service as regions
from fupin.regions.models import Region

# --- one need -------------------------------------------------------------------------------------


async def load_need(need_id: int, *, details: bool = False) -> Need:
    """The need with its region (and, with ``details``, its items and attachments), whoever
    asks: callers check who may see it."""
    query = Need.get_or_none(id=need_id)
    related = ["region", "items", "attachments"] if details else ["region"]
    need = await query.prefetch_related(*related)
    if need is None:
        raise NotFound(_("需求不存在。"), field="id")
    return need


async def get_need(actor: Actor | None, need_id: int, *, details: bool = True) -> Need:
    """The need as ``actor`` may see it: a need that is not public is 'not found' for anyone
    without ``need.view_private`` in its scope (its existence is not revealed). A published
    need past its deadline is expired here and now (check on read)."""
    need = await load_need(need_id, details=details)
    if not may_view(actor, need):
        raise NotFound(_("需求不存在。"), field="id")
    if is_overdue(need.state, need.deadline, today_cn()):
        await expire_one(need.id)
        need = await load_need(need_id, details=details)
    return need


async def need_events(actor: Actor | None, need_id: int) -> list[NeedEvent]:
    need = await get_need(actor, need_id, details=False)
    return list(await NeedEvent.filter(need_id=need.id).order_by("id"))


# --- lists ----------------------------------------------------------------------------------------


@dataclass
class NeedFilters:
    """Filters of a needs list, checked by :func:`list_needs` against ``NeedListQuery`` (the
    one definition of each filter). ``q`` is a title substring here; the public API and the
    search page send text queries to the search service instead."""

    province: str | None = None
    county: str | None = None
    region: str | None = None
    category: str | None = None
    state: str | None = None
    q: str | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 20


@dataclass
class NeedPage:
    items: list[Need]
    total: int
    page: int
    per_page: int
    filters: NeedFilters = field(default_factory=NeedFilters)
    #: ``total`` is a lower bound: counting stopped there (``list_needs(count_ahead=…)``)
    more: bool = False


def check_filters(filters: NeedFilters, *, private: bool = False) -> NeedFilters:
    """``filters`` as ``NeedListQuery`` allows them (InvalidInput naming the filter); the public
    lists show published and later states only."""
    checked = NeedFilters(**validate(NeedListQuery, asdict(filters)).model_dump())
    if checked.state and not private and checked.state not in LISTABLE_STATES:
        raise InvalidInput(_("未知或不公开的需求状态。"), field="state")
    return checked


def _query(filters: NeedFilters, *, actor: Actor | None, private: bool, today: date) -> Any:
    if private:
        if actor is None:
            raise NotAuthenticated(_("请先登录。"))
        require(actor, "need.view_private")
        condition = actor_scope_condition(actor)
        if condition is None:
            raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
        query = Need.filter(condition)
        if filters.state:
            query = query.filter(state_condition(filters.state, STATES, today))
    else:
        query = Need.filter(state_condition(filters.state, PUBLIC_STATES, today))
    if filters.province:
        query = query.filter(province_code=filters.province)
    if filters.county:
        query = query.filter(county_code=filters.county)
    if filters.region:
        query = query.filter(Q(region_id=filters.region) | Q(region__parent_id=filters.region))
    if filters.category:
        query = query.filter(category=filters.category)
    if filters.q:
        query = query.filter(title__icontains=filters.q)
    return query


def _raising(today: date) -> Q:
    """Still raising money: published, before its deadline, not fully pledged (``rules.is_funded``
    as SQL, as the lifecycle's move to funded uses it)."""
    return Q(state="published", deadline__gte=today, pledged_fen__lt=F("target_fen"))


def _key(sort: str, *, private: bool) -> tuple[Any, tuple[str, ...]]:
    """The annotation (or None) and the order of one part of a list (see ``_page_ids``)."""
    newest = ("-id",) if private else ("-published_at", "-id")
    if sort == "deadline":
        return None, ("deadline", "id")
    if sort == "open_amount":
        return ("open_amount", F("target_fen") - F("pledged_fen")), ("-open_amount", "id")
    if sort == "closest":
        # share pledged in basis points; a need without a target counts as nothing pledged
        share = Case(
            When(target_fen__gt=0, then=F("pledged_fen") * 10000 / F("target_fen")),
            default=cast(Any, RawSQL("0")),
        )
        return ("share", share), ("-share", "id")
    return None, newest  # newest, raising


async def _ids(query: Any, sort: str, *, private: bool, offset: int, limit: int) -> list[int]:
    annotation, order = _key(sort, private=private)
    if annotation is not None:
        query = query.annotate(**{annotation[0]: annotation[1]})
    rows = await query.order_by(*order).offset(offset).limit(limit).values_list("id", flat=True)
    return list(rows)


async def _page_ids(
    query: Any, sort: str, *, private: bool, today: date, offset: int, limit: int
) -> list[int]:
    """The ids of one page in the list's order. Every sort but ``newest`` shows the needs a
    donor can still pledge to first — a deadline passed or a gap of ¥0 is nothing to give to —
    then the others, each part by the sort's own key. The parts are read one after the other
    rather than ordered by a computed "still raising" flag: ordering by an expression sorted
    every public need in a temporary B-tree on each request (100k needs: 248 ms), while each
    part walks an index in order (``idx_need_state_published``) and stops after the page.
    Only a page that lies wholly past the first part counts it."""
    if sort == "newest":
        return await _ids(query, sort, private=private, offset=offset, limit=limit)
    # ``_raising`` with its deadline test inside a CASE: a plain ``deadline >= ?`` range made
    # SQLite's planner (without statistics) take the (state, deadline) index and sort.
    raising = query.annotate(
        open_day=Case(
            When(deadline__gte=today, then=cast(Any, RawSQL("1"))),
            default=cast(Any, RawSQL("0")),
        )
    ).filter(state="published", pledged_fen__lt=F("target_fen"), open_day=1)
    first = await _ids(raising, sort, private=private, offset=offset, limit=limit)
    if len(first) == limit:
        return first
    before = offset + len(first) if first or not offset else await raising.count()
    rest = await _ids(
        query.filter(~_raising(today)),
        sort,
        private=private,
        offset=max(0, offset - before),
        limit=limit - len(first),
    )
    return first + rest


#: The columns a need's card shows (templates/needs/_card.html, _progress.html): a list page
#: reads these, not the descriptions and the rest of 20 wide rows.
CARD_FIELDS = (
    "id",
    "title",
    "category",
    "state",
    "is_demo",
    "region_id",
    "deadline",
    "target_fen",
    "pledged_fen",
    "received_fen",
    "beneficiary_people",
)


#: How many needs past the page a list page counts before it says "more than": an exact
#: COUNT reads every matching index entry (100k needs: 133 ms), this stops early.
COUNT_AHEAD = 400


async def list_needs(
    filters: NeedFilters,
    *,
    actor: Actor | None = None,
    private: bool = False,
    card: bool = False,
    count_ahead: int | None = None,
) -> NeedPage:
    """One page of needs. Public (default): published and later states only; ``private``: the
    needs the actor may see in full (its village / county / province / all), every state.
    ``card``: the needs hold only ``CARD_FIELDS`` and their region only its full name (what a
    list page shows). ``count_ahead``: count at most that many needs past the page's start
    (``NeedPage.more`` then says the total is a lower bound); ``None``: the exact total."""
    filters = check_filters(filters, private=private)
    today = today_cn()
    query = _query(filters, actor=actor, private=private, today=today)
    offset = (filters.page - 1) * filters.per_page
    more = False
    if count_ahead is None:
        total = await query.count()
    else:
        cap = offset + count_ahead
        # By state, the order of the state indexes: the model's default order (-id) made
        # SQLite sort every matching id before taking the first ones (108 ms against 0.3 ms).
        seen = len(await query.order_by("state").limit(cap + 1).values_list("id", flat=True))
        total, more = min(seen, cap), seen > cap
    # Two steps: the page's ids from the (covering) index, then those rows — sorting 100k
    # wide rows (descriptions) is what made a page slow.
    ids = await _page_ids(
        query, filters.sort, private=private, today=today, offset=offset, limit=filters.per_page
    )
    chosen = Need.filter(id__in=ids)
    if card:
        chosen = chosen.only(*CARD_FIELDS).prefetch_related(
            Prefetch("region", queryset=Region.all().only("code", "full_name"))
        )
    else:
        chosen = chosen.prefetch_related("region")
    rows = {n.id: n for n in await chosen}
    return NeedPage(
        items=[rows[i] for i in ids if i in rows],
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        filters=filters,
        more=more,
    )


async def iter_needs(
    filters: NeedFilters, *, actor: Actor | None = None, private: bool = False, batch: int = 1000
) -> AsyncIterator[Need]:
    """Every need matching ``filters`` (no paging), in batches: for exports."""
    filters = check_filters(filters, private=private)
    today = today_cn()
    query = _query(filters, actor=actor, private=private, today=today)
    last_id = 0
    while True:
        rows = (
            await query.filter(id__gt=last_id)
            .order_by("id")
            .limit(batch)
            .prefetch_related("region")
        )
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def state_counts(actor: Actor) -> dict[str, int]:
    """Needs per state in the actor's area (the workspace's tabs)."""
    require(actor, "need.view_private")
    condition = actor_scope_condition(actor)
    if condition is None:
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    today = today_cn()
    counts = dict.fromkeys(STATES, 0)
    rows = (
        await Need.filter(condition)
        .annotate(n=Count("id"))
        .group_by("state")
        .values_list("state", "n")
    )
    for state, n in rows:
        counts[state] = counts.get(state, 0) + int(n)
    overdue = await Need.filter(condition, state="published", deadline__lt=today).count()
    counts["published"] -= overdue
    counts["expired"] += overdue
    return counts


async def villages_for(actor: Actor, q: str = "", chosen: str = "") -> list[Region]:
    """The places an actor may draft needs for: the form's choices. A county has hundreds of
    villages, so a county officer gets the county itself, the village already chosen, and the
    villages found by the picker's search ``q`` (works without JavaScript: the search is a
    GET that lists the matches)."""
    require(actor, CREATE_PERMISSION)
    if actor.role == "village_worker":
        return list(await Region.filter(code=actor.region_code))
    if actor.role == "county_officer" and actor.county_code:
        county = await Region.filter(code=actor.county_code)
        picked = (
            await Region.filter(code=chosen, level="village", county_code=actor.county_code)
            if chosen
            else []
        )
        found = await regions.search_villages(q, place_scope(actor)) if q else []
        seen = {r.code for r in picked}
        return [*county, *picked, *(r for r in found if r.code not in seen)]
    return []


# --- duplicate guard ------------------------------------------------------------------------------

_GENERIC = ("项目", "工程", "建设", "改造", "提升", "计划", "一期", "二期", "扶贫")


def _title_core(title: str, names: Iterable[str]) -> str:
    text = unicodedata.normalize("NFKC", title)
    for name in sorted((n for n in names if n), key=len, reverse=True):
        text = text.replace(name, "")
    for word in _GENERIC:
        text = text.replace(word, "")
    return "".join(ch for ch in text if ch.isalnum())


def title_similarity(a: str, b: str, *, names: Iterable[str] = ()) -> float:
    """0..1 similarity of two titles after removing place names and generic words (项目, 工程…),
    which every title of a village shares."""
    names = list(names)
    core_a, core_b = _title_core(a, names), _title_core(b, names)
    if not core_a or not core_b:
        return 1.0 if _title_core(a, ()) == _title_core(b, ()) else 0.0
    return difflib.SequenceMatcher(None, core_a, core_b).ratio()


async def possible_duplicates(need: Need) -> list[Need]:
    """docs/domain.md §3.4 duplicate guard: other needs of the same village and category with a similar
    title created within ``DUPLICATE_WINDOW_DAYS`` (withdrawn ones excluded)."""
    around = need.created_at or clock.now()
    window = timedelta(days=DUPLICATE_WINDOW_DAYS)
    candidates = (
        await Need.filter(
            region_id=need.region_id,
            category=need.category,
            created_at__gte=around - window,
            created_at__lte=around + window,
        )
        .exclude(id=need.id)
        .exclude(state="withdrawn")
        .order_by("-id")
        .limit(200)
        .prefetch_related("region")
    )
    region = need.region if isinstance(getattr(need, "region", None), Region) else None
    names: list[str] = []
    if region is not None:
        names.append(region.name)
        names.extend(region.full_name.split())
    return [
        c
        for c in candidates
        if title_similarity(c.title, need.title, names=names) >= DUPLICATE_SIMILARITY
    ]
