"""Reading money: my pledges and donations, what is due, the recipient's inbox, the public money
of a need (honour rates: ``money.service.honour``).

Every sum and count is done by the database (docs/domain.md §3.6: "sums are done in SQL"); only the small
per-pledge instalment arithmetic of "what is due" runs here.

Anonymity: public figures never single out an anonymous donor: public listings name only
non-anonymous pledges and donations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service import participants
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.core.sql import totals
from fupin.errors import NotFound
from fupin.i18n import N_, _
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
from fupin.money.service import donations, pledges
from fupin.money.service.donations import TargetedFacts
from fupin.money.service.readers import may_see_donor, seen
from fupin.money.service.recipients import has_official_numbers
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


# --- the donation form's pickers ---------------------------------------------------------------

#: Choices one search lists; a longer list means the words should be narrowed.
CHOICES_SHOWN = 20


async def donation_need_choices(org: RecipientOrg, q: str) -> list[Need]:
    """Needs the organisation may record money for (``pledges.recipient_covers``: a government
    body's own area, any need for an organisation) whose title or village name holds the words,
    or whose number they are — so an officer finds the need by name, not by its id."""
    q = q.strip()[:64]
    if not q:
        return []
    query = Need.filter(state__in=list(donations.DONATABLE_NEED_STATES))
    if org.kind == "government":
        code = org.region_id or ""
        area = Q(county_code=code) | Q(province_code=code)
        if len(code) == 6 and code.endswith("00"):
            area |= Q(county_code__startswith=code[:4])
        query = query.filter(area)
    words = Q(title__icontains=q) | Q(region__name__contains=q)
    if q.isdigit() and len(q) <= 9:
        words |= Q(id=int(q))
    return list(
        await query.filter(words).order_by("-id").limit(CHOICES_SHOWN).prefetch_related("region")
    )


async def donor_choices(q: str) -> list[Participant]:
    """Participants whose name holds the words (the participant directory's search), or whose
    unified social credit code they are."""
    q = q.strip()[:64]
    if not q:
        return []
    found = (await participants.list_participants(q=q, per_page=CHOICES_SHOWN)).items
    if not found and len(q) == 18:
        found = list(await Participant.filter(uscc=q.upper()).limit(CHOICES_SHOWN))
    return list(found)


async def recipients_for_need(need: Need) -> list[RecipientOrg]:
    """Organisations that may receive money for the need: the government bodies over its place
    (county, prefecture, province) and the public-welfare organisations, qualified first."""
    places = [need.county_code, need.county_code[:4] + "00", need.province_code]
    governments = await RecipientOrg.filter(kind="government", region_id__in=places).order_by("id")
    organisations = await RecipientOrg.exclude(kind="government").order_by("kind", "id").limit(100)
    order = {"qualified_org": 0, "other": 1}
    return [*governments, *sorted(organisations, key=lambda org: (order.get(org.kind, 9), org.id))]


@dataclass(frozen=True)
class PaymentInstructions:
    """Whom the pledger pays and how, and what that channel means for tax: the channel and
    targeted decisions are the ones the tax paper applies to the donation once received
    (``donations.derive_targeted``), taken as if the money arrived on the due date."""

    recipient: RecipientOrg | None
    reference: str
    due_date: date
    facts: TargetedFacts | None
    targeted_basis_label: str = ""


async def payment_instructions(pledge: Pledge) -> PaymentInstructions:
    need = await Need.get(id=pledge.need_id)
    recipient = (
        await RecipientOrg.get_or_none(id=pledge.recipient_id) if pledge.recipient_id else None
    )
    facts = await donations.derive_targeted(need, recipient, pledge.due_date) if recipient else None
    basis = donations.TARGET_BASIS_LABELS.get(facts.basis, "") if facts else ""
    return PaymentInstructions(
        recipient=recipient,
        reference=pledges.payment_reference(pledge),
        due_date=pledge.due_date,
        facts=facts,
        targeted_basis_label=basis,
    )


@dataclass(frozen=True)
class NextAction:
    """A button of the workspace: what to do next on a need, and the page where it is done."""

    label: str  # a message id (N_), translated where it is shown
    href: str


WORKSPACE_MONEY_LABELS = {
    "record": N_("登记到账"),
    "confirm": N_("确认到账"),
    "receipt": N_("开具收据"),
    "official": N_("录入票据号码"),
}


async def workspace_money_actions(
    orgs: list[RecipientOrg], need_ids: list[int]
) -> dict[int, list[NextAction]]:
    """The money work waiting for a recipient's officers on each need, in the order it is done:
    record the money an open pledge routed to them promises, confirm what was recorded, issue
    the receipt of a confirmed donation, enter the official numbers of a receipt. One query per
    kind for the whole page of needs."""
    found: dict[int, list[NextAction]] = {}
    if not orgs or not need_ids:
        return found
    org_ids = [org.id for org in orgs]

    def add(need_id: int, kind: str, href: str) -> None:
        actions = found.setdefault(need_id, [])
        if all(a.href != href for a in actions):
            actions.append(NextAction(WORKSPACE_MONEY_LABELS[kind], href))

    for org in orgs:
        open_pledges = (
            await _expected_query(org)
            .filter(need_id__in=need_ids)
            .order_by("due_date", "id")
            .values("id", "need_id")
        )
        for row in open_pledges:
            add(row["need_id"], "record", f"/donations/new?org={org.id}&pledge_id={row['id']}")
    waiting = await Donation.filter(
        recipient_id__in=org_ids, need_id__in=need_ids, state="recorded"
    ).order_by("id")
    for donation in waiting:
        add(donation.need_id, "confirm", f"/donations/{donation.id}")
    confirmed = await Donation.filter(
        recipient_id__in=org_ids, need_id__in=need_ids, state="confirmed"
    ).order_by("id")
    reversed_ids = {d.reverses_id for d in confirmed if d.reverses_id}
    live = {
        r.live_for_id: r
        for r in await Receipt.filter(
            live_for_id__in=[d.id for d in confirmed], live_for_id__not_isnull=True
        )
    }
    for donation in confirmed:
        if donation.reverses_id or donation.id in reversed_ids:
            continue
        receipt = live.get(donation.id)
        if receipt is None:
            add(donation.need_id, "receipt", f"/donations/{donation.id}")
        elif not has_official_numbers(donation):
            add(donation.need_id, "official", f"/receipts/{receipt.id}")
    return found


LEDGER_KIND_LABELS = {
    "pledge_made": N_("登记认捐"),
    "pledge_amended": N_("修改认捐"),
    "pledge_withdrawn": N_("撤回认捐"),
    "pledge_lapsed": N_("认捐逾期失效"),
    "pledge_released": N_("县扶贫办释放认捐"),
    "donation_confirmed": N_("确认到账"),
    "donation_reversed": N_("到账冲正"),
    "receipt_issued": N_("开具收据"),
    "receipt_voided": N_("作废收据"),
    "need_published": N_("需求发布"),
    "need_completed": N_("需求交付完成"),
}


@dataclass
class LedgerLine:
    """One ledger entry as a person reads it: what happened in words, the amount, China time,
    and links to what it is about. The hashed entry itself is unchanged (the exports)."""

    seq: int
    at: datetime
    kind: str
    kind_label: str
    subject: str
    hash: str
    amount_fen: int | None = None
    need_id: int | None = None
    need_title: str = ""
    receipt_id: int | None = None
    receipt_number: str = ""
    donor_id: int | None = None
    donor_name: str = ""
    anonymous: bool = False


def _subject_id(subject: str, kind: str) -> int | None:
    name, _sep, value = subject.partition(":")
    return int(value) if name == kind and value.isdigit() else None


async def readable_ledger(entries: list[dict[str, Any]]) -> list[LedgerLine]:
    """The entries of a ledger page as lines to read. A receipt's entry names its donation, not
    its need: the need comes from the donation (one query for the page). The donor is named
    only where the public entry names it (an anonymous donor's entry carries a commitment)."""
    lines: list[LedgerLine] = []
    donation_ids = [
        int(e["payload"]["donation"])
        for e in entries
        if e["kind"].startswith("receipt_") and isinstance(e["payload"].get("donation"), int)
    ]
    donation_needs = (
        dict(await Donation.filter(id__in=donation_ids).values_list("id", "need_id"))
        if donation_ids
        else {}
    )
    for e in entries:
        payload = e["payload"]
        need_id = payload.get("need", payload.get("need_id"))
        if need_id is None and isinstance(payload.get("donation"), int):
            need_id = donation_needs.get(payload["donation"])
        amount = payload.get("amount_fen", payload.get("target_fen"))
        donor = payload.get("donor_id")
        lines.append(
            LedgerLine(
                seq=e["seq"],
                at=datetime.fromisoformat(str(e["at"]).replace("Z", "+00:00")),
                kind=e["kind"],
                kind_label=LEDGER_KIND_LABELS.get(e["kind"], e["kind"]),
                subject=e["subject"],
                hash=e["hash"],
                amount_fen=amount if isinstance(amount, int) else None,
                need_id=need_id if isinstance(need_id, int) else None,
                receipt_id=_subject_id(e["subject"], "receipt"),
                receipt_number=str(payload.get("number", ""))
                if e["kind"].startswith("receipt_")
                else "",
                donor_id=donor if isinstance(donor, int) else None,
                donor_name=str(payload.get("donor_name", "")) if isinstance(donor, int) else "",
                anonymous=bool(payload.get("anonymous")) or "donor_id" not in payload,
            )
        )
    titles = (
        dict(
            await Need.filter(id__in={ln.need_id for ln in lines if ln.need_id}).values_list(
                "id", "title"
            )
        )
        if any(ln.need_id for ln in lines)
        else {}
    )
    for line in lines:
        line.need_title = titles.get(line.need_id, "") if line.need_id else ""
    return lines


async def ledger_subjects(*, need_id: int | None, receipt_number: str | None) -> list[str] | None:
    """The ledger subjects a search names: every record of a need (the need, its pledges, its
    donations and their receipts), or a receipt by its number; None when nothing is searched."""
    if need_id is None and not receipt_number:
        return None
    subjects: list[str] = []
    if receipt_number:
        receipt_ids = await Receipt.filter(number=receipt_number.strip().upper()).values_list(
            "id", flat=True
        )
        subjects += [f"receipt:{i}" for i in receipt_ids]
    if need_id is not None:
        pledge_ids = await Pledge.filter(need_id=need_id).values_list("id", flat=True)
        donation_ids = await Donation.filter(need_id=need_id).values_list("id", flat=True)
        receipt_ids = await Receipt.filter(donation__need_id=need_id).values_list("id", flat=True)
        found = [
            f"need:{need_id}",
            *(f"pledge:{i}" for i in pledge_ids),
            *(f"donation:{i}" for i in donation_ids),
            *(f"receipt:{i}" for i in receipt_ids),
        ]
        subjects = [s for s in subjects if s in found] if receipt_number else found
    return subjects


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
