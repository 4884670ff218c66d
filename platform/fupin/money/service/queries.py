"""Reading money: my pledges and donations, what is due, the recipient's inbox, the public money
of a need (honour rates: ``money.service.honour``).

Every sum and count is done by the database (docs/domain.md §3.6: "sums are done in SQL"); only the small
per-pledge instalment arithmetic of "what is due" runs here.

Anonymity: public figures never single out an anonymous donor: public listings name only
non-anonymous pledges and donations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.core.sql import totals
from fupin.errors import NotFound
from fupin.i18n import _
from fupin.money.models import (
    Donation,
    DonationItem,
    Instalment,
    Pledge,
    PledgeEvent,
    Receipt,
    RecipientOrg,
)
from fupin.money.rules.states import OPEN_PLEDGE_STATES
from fupin.money.service.readers import may_see_donor, seen
from fupin.needs.models import PUBLIC_STATES, Need, NeedEvent


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int


# --- a participant's own money -----------------------------------------------------------------


async def my_pledges(
    participant_id: int, *, state: str | None = None, page: int = 1, per_page: int = 20
) -> Page:
    query = Pledge.filter(participant_id=participant_id)
    if state:
        query = query.filter(state=state)
    total = await query.count()
    rows = (
        await query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("need", "participant")
    )
    items = [seen(p, p.participant, reveal=True) for p in rows]  # the donor's own pledges
    return Page(items=items, total=total, page=page, per_page=per_page)


async def my_donations(participant_id: int, *, page: int = 1, per_page: int = 20) -> Page:
    query = Donation.filter(donor_id=participant_id, state__in=["recorded", "confirmed"])
    total = await query.count()
    items = list(
        await query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("need", "recipient", "donor")
    )
    await _attach_receipts(items)
    return Page(items=items, total=total, page=page, per_page=per_page)


async def _attach_receipts(items: list[Donation]) -> None:
    receipts = await Receipt.filter(live_for_id__in=[d.id for d in items])
    by_donation = {r.live_for_id: r for r in receipts}
    for donation in items:
        donation.live_receipt_row = by_donation.get(donation.id)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Totals:
    pledged_fen: int
    paid_fen: int
    received_fen: int
    donations: int


async def participant_totals(participant_id: int) -> Totals:
    p = await totals(
        Pledge.filter(participant_id=participant_id), c=Sum("committed_fen"), p=Sum("paid_fen")
    )
    r = await totals(
        Donation.filter(donor_id=participant_id, state="confirmed"),
        s=Sum("amount_fen"),
        n=Count("id", _filter=Q(reverses_id=None)),
    )
    return Totals(
        pledged_fen=int(p.get("c") or 0),
        paid_fen=int(p.get("p") or 0),
        received_fen=int(r.get("s") or 0),
        donations=int(r.get("n") or 0),
    )


@dataclass(frozen=True)
class DueItem:
    pledge: Pledge
    number: int | None  # instalment number, None when the pledge has no schedule
    due_date: date
    due_fen: int
    overdue: bool


def due_parts(
    amount_fen: int, paid_fen: int, schedule: list[tuple[int | None, date, int]], today: date
) -> list[tuple[int | None, date, int, bool]]:
    """The unpaid parts of a schedule, payments applied to the earliest instalments first."""
    parts = []
    cumulative = 0
    for number, due, amount in schedule:
        cumulative += amount
        outstanding = min(amount, cumulative - paid_fen)
        if outstanding > 0:
            parts.append((number, due, outstanding, due < today))
    return parts


async def what_is_due(
    participant_id: int, *, today: date | None = None, limit: int = 200
) -> list[DueItem]:
    """Every unpaid instalment (or whole pledge) of the participant's open pledges, by date."""
    today = today or today_cn()
    open_pledges = list(
        await Pledge.filter(participant_id=participant_id, state__in=list(OPEN_PLEDGE_STATES))
        .order_by("due_date", "id")
        .limit(limit)
        .prefetch_related("need")
    )
    instalments = await Instalment.filter(pledge_id__in=[p.id for p in open_pledges]).order_by(
        "pledge_id", "number"
    )
    by_pledge: dict[int, list[tuple[int | None, date, int]]] = {}
    for part in instalments:
        by_pledge.setdefault(part.pledge_id, []).append(
            (part.number, part.due_date, part.amount_fen)
        )
    items: list[DueItem] = []
    for pledge in open_pledges:
        schedule = by_pledge.get(pledge.id) or [(None, pledge.due_date, pledge.amount_fen)]
        for number, due, outstanding, overdue in due_parts(
            pledge.amount_fen, pledge.paid_fen, schedule, today
        ):
            items.append(DueItem(pledge, number, due, outstanding, overdue))
    items.sort(key=lambda item: (item.due_date, item.pledge.id))
    return items


# --- the recipient's inbox ---------------------------------------------------------------------


@dataclass
class Inbox:
    org: RecipientOrg
    expected: list[Any]  # pledges as its officers see them (``readers.seen``)
    expected_total_fen: int
    awaiting: list[Donation]
    received: Page
    received_total_fen: int
    receipts_missing: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _expected_query(org: RecipientOrg) -> Any:
    mine = Q(recipient_id=org.id)
    if org.kind == "government" and org.region_id:
        code = org.region_id
        area = Q(need__county_code=code) | Q(need__province_code=code)
        if len(code) == 6 and code.endswith("00") and not code.endswith("0000"):
            area = area | Q(need__county_code__startswith=code[:4])
        mine = mine | (Q(recipient_id=None) & area)
    return Pledge.filter(mine, state__in=list(OPEN_PLEDGE_STATES))


async def recipient_inbox(org: RecipientOrg, *, page: int = 1, per_page: int = 20) -> Inbox:
    """Expected funds (open pledges routed to this organisation), recorded donations awaiting
    confirmation, and what has been received."""
    expected_query = _expected_query(org)
    rows = (
        await expected_query.order_by("due_date", "id")
        .limit(200)
        .prefetch_related("need", "participant")
    )
    expected = [seen(p, p.participant, reveal=True) for p in rows]  # its officers know donors
    sums = await totals(expected_query, a=Sum("amount_fen"), p=Sum("paid_fen"))
    expected_total = int(sums["a"] or 0) - int(sums["p"] or 0)
    awaiting = list(
        await Donation.filter(recipient_id=org.id, state="recorded")
        .order_by("id")
        .limit(200)
        .prefetch_related("need", "donor")
    )
    received_query = Donation.filter(recipient_id=org.id, state="confirmed")
    total = await received_query.count()
    received = list(
        await received_query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("need", "donor")
    )
    await _attach_receipts(received)
    received_sum = await totals(received_query, s=Sum("amount_fen"))
    reversed_ids = Donation.filter(recipient_id=org.id, reverses_id__not_isnull=True).values(
        "reverses_id"
    )
    receipted_ids = Receipt.filter(issuer_id=org.id, live_for_id__not_isnull=True).values(
        "live_for_id"
    )
    missing = (
        await Donation.filter(recipient_id=org.id, state="confirmed", reverses_id=None)
        .exclude(id__in=Subquery(reversed_ids))
        .exclude(id__in=Subquery(receipted_ids))
        .count()
    )
    return Inbox(
        org=org,
        expected=expected,
        expected_total_fen=expected_total,
        awaiting=awaiting,
        received=Page(items=received, total=total, page=page, per_page=per_page),
        received_total_fen=int(received_sum["s"] or 0),
        receipts_missing=missing,
    )


# --- the public money of a need ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicLine:
    """One public line of a need's money: the donor's name, or None when anonymous."""

    donor_name: str | None
    donor_id: int | None
    amount_fen: int
    state: str
    at: date


@dataclass
class NeedMoney:
    target_fen: int
    pledged_fen: int
    received_fen: int
    open_fen: int
    pledge_count: int
    donor_count: int
    pledges: list[PublicLine]
    donations: list[PublicLine]


async def need_money(need: Need, *, limit: int = 50) -> NeedMoney:
    """What the public need page shows about money: totals, and who gave unless anonymous."""
    active = Pledge.filter(need_id=need.id, state__in=["pledged", "partially_paid", "honoured"])
    counts = await totals(active, n=Count("id"), d=Count("participant_id", distinct=True))
    pledges = list(await active.order_by("-id").limit(limit).prefetch_related("participant"))
    reversed_ids = Donation.filter(need_id=need.id, reverses_id__not_isnull=True).values(
        "reverses_id"
    )
    donations = list(
        await Donation.filter(need_id=need.id, state="confirmed", reverses_id=None)
        .exclude(id__in=Subquery(reversed_ids))
        .order_by("-id")
        .limit(limit)
        .prefetch_related("donor")
    )

    def line(anonymous: bool, who: Participant, amount: int, state: str, at: date) -> PublicLine:
        if anonymous:
            return PublicLine(None, None, amount, state, at)
        return PublicLine(who.name, who.id, amount, state, at)

    return NeedMoney(
        target_fen=need.target_fen,
        pledged_fen=need.pledged_fen,
        received_fen=need.received_fen,
        open_fen=max(need.target_fen - need.pledged_fen, 0),
        pledge_count=int(counts["n"] or 0),
        donor_count=int(counts["d"] or 0),
        pledges=[
            line(p.anonymous, p.participant, p.amount_fen, p.state, p.created_at.date())
            for p in pledges
        ],
        donations=[
            line(d.anonymous, d.donor, d.amount_fen, d.state, d.received_on) for d in donations
        ],
    )


async def recipients_for_need(need: Need) -> list[RecipientOrg]:
    """Organisations that may receive money for the need: the government bodies over its place
    (county, prefecture, province) and the public-welfare organisations, qualified first."""
    places = [need.county_code, need.county_code[:4] + "00", need.province_code]
    governments = await RecipientOrg.filter(kind="government", region_id__in=places).order_by("id")
    organisations = await RecipientOrg.exclude(kind="government").order_by("kind", "id").limit(100)
    order = {"qualified_org": 0, "other": 1}
    return [*governments, *sorted(organisations, key=lambda org: (order.get(org.kind, 9), org.id))]


async def public_need(need_id: int) -> Need:
    """A need the public may see (published or later), else NotFound."""
    need = await Need.get_or_none(id=need_id)
    if need is None or need.state not in PUBLIC_STATES:
        raise NotFound(_("需求不存在或尚未公开。"), field="need_id")
    return need


@dataclass
class NeedPledgePage(Page):
    """One page of a public need's pledges, with the need's money."""

    target_fen: int
    pledged_fen: int
    received_fen: int
    open_fen: int


async def need_pledges_page(
    need: Need, actor: Actor | None, *, page: int = 1, per_page: int = 20
) -> NeedPledgePage:
    """The pledges of a public need as this reader may see them (anonymous donors named only to
    who may know)."""
    query = Pledge.filter(need_id=need.id)
    total = await query.count()
    rows = (
        await query.order_by("-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related("participant")
    )
    items = [
        seen(p, p.participant, reveal=may_see_donor(actor, p.participant_id, need)) for p in rows
    ]
    return NeedPledgePage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        target_fen=need.target_fen,
        pledged_fen=need.pledged_fen,
        received_fen=need.received_fen,
        open_fen=max(need.target_fen - need.pledged_fen, 0),
    )


@dataclass
class PledgeHistory:
    instalments: list[Instalment]
    events: list[Any]
    donations: list[Donation]


async def pledge_history(pledge: Pledge) -> PledgeHistory:
    return PledgeHistory(
        instalments=list(await Instalment.filter(pledge_id=pledge.id).order_by("number")),
        events=list(await PledgeEvent.filter(pledge_id=pledge.id).order_by("id")),
        donations=list(
            await Donation.filter(pledge_id=pledge.id).exclude(state="cancelled").order_by("id")
        ),
    )


@dataclass
class DonationPage:
    donation: Donation
    need: Need
    donor: Participant
    recipient: RecipientOrg
    items: list[Any]
    receipts: list[Receipt]
    live_receipt: Receipt | None
    reversal: Donation | None
    reverses: Donation | None


async def donation_page(donation: Donation) -> DonationPage:
    receipts = list(await Receipt.filter(donation_id=donation.id).order_by("id"))
    return DonationPage(
        donation=donation,
        need=await Need.get(id=donation.need_id),
        donor=await Participant.get(id=donation.donor_id),
        recipient=await RecipientOrg.get(id=donation.recipient_id),
        items=list(await DonationItem.filter(donation_id=donation.id)),
        receipts=receipts,
        live_receipt=next((r for r in receipts if r.live_for_id == donation.id), None),
        reversal=await Donation.get_or_none(reverses_id=donation.id),
        reverses=await Donation.get_or_none(id=donation.reverses_id)
        if donation.reverses_id
        else None,
    )


@dataclass
class PlaceDelivery:
    """A delivery recorded on one of a place's public needs (the county's words)."""

    need_id: int
    need_title: str
    reason: str
    at: date


@dataclass
class PlaceActivity:
    """What a public place page shows below the place: its public needs, the money they
    received, the pledges of the pair partners that help its county and its deliveries."""

    needs: list[Need]
    need_count: int
    target_fen: int
    pledged_fen: int
    received_fen: int
    partner_pledges: list[PublicLine]
    partner_pledged_fen: int
    deliveries: list[PlaceDelivery]


def _needs_of_place(level: str, code: str) -> Any:
    """Public needs at or below a place. Village codes begin with their township's code, so a
    township's needs are a code prefix; a county's and a province's are denormalised codes."""
    public = Need.filter(state__in=PUBLIC_STATES)
    if level == "village":
        return public.filter(region_id=code)
    if level == "township":
        # the county's index first: a prefix match alone walks every need
        return public.filter(county_code=code[:6], region_id__startswith=code)
    if level == "county":
        return public.filter(county_code=code)
    if level == "prefecture":
        return public.filter(county_code__startswith=code[:4])
    return public.filter(province_code=code)


async def place_activity(
    level: str, code: str, helped_places: list[str], *, limit: int = 30
) -> PlaceActivity:
    """``helped_places``: the place's county, prefecture and province codes — the pairs that
    help any of them are the place's pair partners."""
    needs = _needs_of_place(level, code)
    sums = await totals(
        needs, n=Count("id"), t=Sum("target_fen"), p=Sum("pledged_fen"), r=Sum("received_fen")
    )
    shown = list(await needs.order_by("-published_at", "-id").limit(limit))
    # A pledge attributed to a pair counts as the partners' too.
    helpers = Pair.filter(helped_region_id__in=helped_places).values("helper_id")
    partner = Pledge.filter(
        need_id__in=Subquery(needs.values("id")),
        state__in=["pledged", "partially_paid", "honoured"],
    ).filter(Q(pair_id__not_isnull=True) | Q(participant_id__in=Subquery(helpers)))
    partner_sum = await totals(partner, a=Sum("amount_fen"))
    pledges = list(await partner.order_by("-id").limit(limit).prefetch_related("participant"))
    events = list(
        await NeedEvent.filter(need_id__in=Subquery(needs.values("id")), action="deliver")
        .order_by("-at", "-id")
        .limit(limit)
        .prefetch_related("need")
    )
    return PlaceActivity(
        needs=shown,
        need_count=int(sums["n"] or 0),
        target_fen=int(sums["t"] or 0),
        pledged_fen=int(sums["p"] or 0),
        received_fen=int(sums["r"] or 0),
        partner_pledges=[
            PublicLine(
                None if p.anonymous else p.participant.name,
                None if p.anonymous else p.participant.id,
                p.amount_fen,
                p.state,
                p.created_at.date(),
            )
            for p in pledges
        ],
        partner_pledged_fen=int(partner_sum["a"] or 0),
        deliveries=[PlaceDelivery(e.need_id, e.need.title, e.reason, e.at.date()) for e in events],
    )
