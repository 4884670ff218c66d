"""Live figures for the home page (counts straight from the database)."""

from __future__ import annotations

from tortoise.functions import Sum

from fupin.accounts.models import Pair, Participant
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.regions.models import Region


async def home_figures() -> dict[str, int]:
    public = Need.filter(state__in=PUBLIC_STATES)
    sums = (
        await public.annotate(p=Sum("pledged_fen"), r=Sum("received_fen")).first().values("p", "r")
    )
    return {
        "poverty_counties": await Region.filter(level="county", is_poverty_county=True).count(),
        "counties": await Region.filter(level="county").count(),
        "participants": await Participant.all().count(),
        "pairs": await Pair.all().count(),
        "public_needs": await public.count(),
        "pledged_fen": int((sums or {}).get("p") or 0),
        "received_fen": int((sums or {}).get("r") or 0),
    }
