"""Reading cooperation pairs: the list and one pair (management: ``management``; dashboards:
``dashboards`` and the modules it names)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from fupin.accounts.models import PAIR_KINDS, Pair
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import N_, _

KIND_LABELS = {"east_west": N_("东西部扶贫协作"), "designated": N_("定点扶贫")}


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


@dataclass
class PairPage:
    items: list[Pair]
    total: int
    page: int
    per_page: int


async def list_pairs(
    *,
    kind: str | None = None,
    helper_id: int | None = None,
    region_code: str | None = None,
    year: int | None = None,
    page: int = 1,
    per_page: int = 20,
) -> PairPage:
    query = Pair.all()
    if kind:
        if kind not in PAIR_KINDS:
            raise InvalidInput(_("未知的结对类型。"), field="kind")
        query = query.filter(kind=kind)
    if helper_id:
        query = query.filter(helper_id=helper_id)
    if region_code:
        # A pair helping a province or prefecture also helps every county inside it.
        query = query.filter(
            Q(helped_region_id=region_code)
            | Q(helped_region__province_code=region_code)
            | Q(helped_region__prefecture_code=region_code)
        )
    if year:
        query = query.filter(start_year__lte=year).filter(
            Q(end_year__isnull=True) | Q(end_year__gte=year)
        )
    total = await query.count()
    items = (
        await query.order_by("kind", "start_year", "id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("helper", "helped_region")
    )
    return PairPage(items=items, total=total, page=page, per_page=per_page)


async def get_pair(pair_id: int) -> Pair:
    pair = await Pair.get_or_none(id=pair_id).prefetch_related(
        "helper", "helped_region", "replaces"
    )
    if pair is None:
        raise NotFound(_("结对关系不存在。"))
    return pair
