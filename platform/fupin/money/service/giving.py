"""A participant's public giving history: what the participant's public page shows of its money.

What it gave under its own name — pledges and confirmed donations not marked anonymous — need by
need, with the place, the years and the amounts, the same money year by year, and the public
honour rate (``money.service.honour``, the one definition of ``money.rules.honour``, leaving
anonymous pledges out). Anonymous money never appears here, not even in a total: a total that
grows when the participant gives anonymously would reveal the gift (docs/domain.md §3.7).

Only needs the public may see are listed (a need taken down later drops out with its money).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from fupin.core.clock import today_cn
from fupin.money.models import Donation, Pledge
from fupin.money.rules.honour import HonourRate
from fupin.money.service.honour import honour_rate
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.regions.models import Region

#: Needs shown on the page, the most recent first; the totals count them all.
LINES_SHOWN = 100


@dataclass
class GivingLine:
    """The participant's named money for one need."""

    need_id: int
    title: str
    category: str
    place: str
    region_code: str
    years: list[int] = field(default_factory=list)
    pledged_fen: int = 0
    received_fen: int = 0


@dataclass
class GivingYear:
    year: int
    pledged_fen: int = 0
    received_fen: int = 0
    needs: int = 0


@dataclass
class PublicGiving:
    lines: list[GivingLine]
    need_count: int
    place_count: int
    pledged_fen: int
    received_fen: int
    years: list[GivingYear]
    honour: HonourRate


async def public_giving(participant_id: int, *, today: date | None = None) -> PublicGiving:
    """The participant's named giving (see the module docstring)."""
    public_needs = {"need__state__in": list(PUBLIC_STATES)}
    pledges = await Pledge.filter(
        participant_id=participant_id, anonymous=False, **public_needs
    ).values_list("need_id", "committed_fen", "created_at")
    donations = await Donation.filter(
        donor_id=participant_id, anonymous=False, state="confirmed", **public_needs
    ).values_list("need_id", "amount_fen", "received_on")
    per_need: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_year: dict[int, GivingYear] = {}
    needs_of_year: dict[int, set[int]] = defaultdict(set)
    years_of_need: dict[int, set[int]] = defaultdict(set)
    for need_id, committed, created_at in pledges:
        year = today_cn(created_at).year
        per_need[need_id]["pledged"] += committed
        per_year.setdefault(year, GivingYear(year)).pledged_fen += committed
        needs_of_year[year].add(need_id)
        years_of_need[need_id].add(year)
    for need_id, amount, received_on in donations:
        year = received_on.year
        per_need[need_id]["received"] += amount
        per_year.setdefault(year, GivingYear(year)).received_fen += amount
        needs_of_year[year].add(need_id)
        years_of_need[need_id].add(year)
    for year, row in per_year.items():
        row.needs = len(needs_of_year[year])
    latest = sorted(per_need, key=lambda n: (max(years_of_need[n]), n), reverse=True)
    shown = latest[:LINES_SHOWN]
    needs = {n.id: n for n in await Need.filter(id__in=shown)}
    regions = {
        r.code: r for r in await Region.filter(code__in={n.region_id for n in needs.values()})
    }
    lines = []
    for need_id in shown:
        need = needs[need_id]
        region = regions.get(need.region_id)
        lines.append(
            GivingLine(
                need_id=need_id,
                title=need.title,
                category=need.category,
                place=(region.full_name or region.name) if region else need.region_id,
                region_code=need.region_id,
                years=sorted(years_of_need[need_id]),
                pledged_fen=per_need[need_id]["pledged"],
                received_fen=per_need[need_id]["received"],
            )
        )
    places = await Need.filter(id__in=list(per_need)).values_list("region_id", flat=True)
    return PublicGiving(
        lines=lines,
        need_count=len(per_need),
        place_count=len(set(places)),
        pledged_fen=sum(r["pledged"] for r in per_need.values()),
        received_fen=sum(r["received"] for r in per_need.values()),
        years=[per_year[y] for y in sorted(per_year, reverse=True)],
        honour=await honour_rate(participant_id=participant_id, public=True, today=today),
    )
