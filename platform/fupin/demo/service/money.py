"""Demo money (idempotent): recipient organisations, pledges, donations and receipts over the
demo needs, all written through the money services so the public ledger is a real one.

Recipient organisations: the county government (县人民政府) of every county with demo needs, and
the demo foundation 彩云乡村发展基金会 as a public-welfare organisation with deduction
qualification periods (and a login, ``foundation``, for its inbox).

The needs demo sets each need's pledged and received amounts from its state; this step backs
every such need with the records that produce those amounts (pledges — some anonymous, some in
instalments, some attributed to a cooperation pair —, donations recorded and confirmed by the
recipient, receipts), so `fupin ledger verify` holds on a demo database. On the first run it also
adds pledges made "in the past" that the lapse sweep lapses and one reversed donation, so honour
rates, the inbox and the ledger show every kind of event. Needs added by a later, larger
`fupin demo --needs N` are backed on that run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.expressions import Q

from fupin.accounts.models import Participant, User
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.demo.service.accounts import DEMO_PASSWORD, DemoLogin, DemoResult
from fupin.money.models import Donation, Pledge, RecipientOrg
from fupin.money.rules.caps import PledgeCaps
from fupin.money.service import donations, pledges, receipts, recipients
from fupin.needs.models import Need
from fupin.regions.models import Region
from fupin.settings import Settings

FOUNDATION_NAME = "彩云乡村发展基金会（演示）"
FOUNDATION_USER = "foundation"
#: Qualification listings of the demo foundation (demo references, not real list numbers).
FOUNDATION_PERIODS = (
    (2021, 2023, "财政部 税务总局 民政部 公益性捐赠税前扣除资格名单（2021–2023，演示）"),
    (2024, 2026, "财政部 税务总局 民政部 公益性捐赠税前扣除资格名单（2024–2026，演示）"),
)
PLEDGING_KINDS = (
    "enterprise",
    "individual",
    "central_unit",
    "east_partner",
    "democratic_party",
    "military",
)
#: Demo needs backed per transaction (each service call inside is a savepoint).
CHUNK = 100
LAPSED_DEMO_PLEDGES = 12
SEED = 20140125  # 中办发〔2013〕25号 was published in January 2014


async def _member(participant: Participant, username: str, display: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        user = await accounts.create_user(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            role="participant_member",
            display_name=display,
            participant_id=participant.id,
        )
    return user


async def _government(county: Region) -> RecipientOrg:
    org = await RecipientOrg.get_or_none(kind="government", region_id=county.code)
    if org is None:
        org = await recipients.create_recipient_org(
            actor=None,
            kind="government",
            name=f"{county.name}人民政府（演示）",
            code=f"GOV{county.code}",
            region_code=county.code,
            is_demo=True,
        )
    return org


async def _foundation() -> RecipientOrg | None:
    participant = await Participant.get_or_none(name=FOUNDATION_NAME)
    if participant is None:
        return None
    org = await RecipientOrg.get_or_none(participant_id=participant.id)
    if org is None:
        org = await recipients.create_recipient_org(
            actor=None,
            kind="qualified_org",
            name=participant.name,
            uscc=participant.uscc or "",
            code="" if participant.uscc else "CAIYUNFDN",
            region_code=participant.region_id or "",
            participant_id=participant.id,
            is_demo=True,
        )
        for first, last, reference in FOUNDATION_PERIODS:
            await recipients.add_qualification(
                actor=None, org_id=org.id, start_year=first, end_year=last, list_reference=reference
            )
    return org


async def _donors() -> list[Actor]:
    donors: list[Actor] = []
    for kind in PLEDGING_KINDS:
        participant = await Participant.filter(is_demo=True, kind=kind).order_by("id").first()
        if participant is None:
            continue
        member = await User.filter(participant_id=participant.id).order_by("id").first()
        if member is None:
            member = await _member(participant, f"demo_{kind}", f"{participant.name}成员")
        donors.append(await accounts.actor_for(member))
    return donors


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` fen in ``parts`` positive amounts, rounded to 100 yuan where possible."""
    if parts <= 1 or total < parts * 100_00:
        return [total]
    cuts = (
        sorted(rng.sample(range(1, total // 100_00), parts - 1)) if total // 100_00 > parts else []
    )
    if len(cuts) != parts - 1:
        return [total]
    bounds = [0, *(c * 100_00 for c in cuts), total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@dataclass
class _Context:
    rng: random.Random
    donors: list[Actor]
    orgs: dict[str, RecipientOrg]
    officers: dict[str, Actor]
    foundation: RecipientOrg | None
    foundation_actor: Actor | None
    today: date
    counts: dict[str, int]


NO_CAPS = PledgeCaps(individual_fen=0, new_participant_fen=0)


async def _back_need(need: Need, ctx: _Context) -> None:
    """Replace the totals the needs demo set on a need by the money records that produce them,
    written through the services (pledges, donations confirmed, receipts, ledger entries).

    The need is briefly put in a state that accepts pledges and restored afterwards; a need
    already funded (or beyond) gets one pledge covering the target, so the derived funded state
    never flips on the way (which would add stray need events)."""
    rng = ctx.rng
    original = need.state
    pledged, received = need.pledged_fen, need.received_fen
    open_state = "published" if original == "published" else "funded"
    # Pledges are due by the deadline (money.rules.caps): the replayed history's due dates lie
    # up to six months ahead, so the deadline is moved out of their way meanwhile, too.
    await Need.filter(id=need.id).update(
        state=open_state,
        pledged_fen=0,
        received_fen=0,
        deadline=max(need.deadline, ctx.today + timedelta(days=366)),
    )
    recipient = ctx.orgs.get(need.county_code)
    recorder = ctx.officers.get(need.county_code)
    if ctx.foundation is not None and (recorder is None or rng.random() < 0.25):
        recipient, recorder = ctx.foundation, ctx.foundation_actor
    parts = _split(pledged, rng.choice((1, 2, 3)) if original == "published" else 1, rng)
    left_to_receive = received
    pairs = await pledges.eligible_pairs(need, today=ctx.today)
    for amount in parts:
        actor = rng.choice(ctx.donors)
        due = ctx.today + timedelta(days=rng.choice((30, 60, 90, 180)))
        schedule = None
        if left_to_receive == 0 and amount >= 20_000_00 and rng.random() < 0.3:
            half = amount // 2 // 100_00 * 100_00
            schedule = [
                pledges.InstalmentSpec(ctx.today + timedelta(days=30), half),
                pledges.InstalmentSpec(ctx.today + timedelta(days=150), amount - half),
            ]
        pledge = await pledges.make_pledge(
            actor=actor,
            need_id=need.id,
            amount_fen=amount,
            due_date=None if schedule else due,
            instalments=schedule,
            anonymous=rng.random() < 0.15,
            pair_id=rng.choice(pairs).id if pairs and rng.random() < 0.3 else None,
            recipient_id=recipient.id if recipient else None,
            is_demo=True,
            # the demo donors' history is replayed before any donation exists: uncapped
            caps=NO_CAPS,
        )
        ctx.counts["pledges"] += 1
        paid = min(amount, left_to_receive)
        if paid <= 0 or recipient is None or recorder is None:
            continue
        left_to_receive -= paid
        donation = await donations.record_donation(
            actor=recorder,
            recipient_id=recipient.id,
            pledge_id=pledge.id,
            amount_fen=paid,
            # Never before its pledge was made (and so never before its need was drafted): a
            # donation dated weeks before its pledge is what the demo used to show.
            received_on=max(ctx.today - timedelta(days=rng.randint(0, 60)), pledge_made_on(pledge)),
            payment_reference=f"DEMO{pledge.id:07d}",
            confirm=True,
            is_demo=True,
        )
        ctx.counts["donations"] += 1
        if rng.random() < 0.85:
            await receipts.issue_receipt(actor=recorder, donation_id=donation.id)
            ctx.counts["receipts"] += 1
    if left_to_receive > 0 and recipient is not None and recorder is not None:
        ctx.counts["unbacked_received_fen"] += left_to_receive
    await Need.filter(id=need.id).update(state=original, deadline=need.deadline)


def pledge_made_on(pledge: Pledge) -> date:
    return today_cn(pledge.created_at)


async def load_demo_money(settings: Settings, result: DemoResult, needs_count: int) -> None:
    """The demo step (demo/service/accounts.py DEMO_STEPS), after the demo needs."""
    rng = random.Random(SEED)
    codes = (
        await Need.filter(is_demo=True)
        .order_by("county_code")
        .distinct()
        .values_list("county_code", flat=True)
    )
    counties = sorted(set(codes))
    orgs: dict[str, RecipientOrg] = {}
    for code in counties:
        county = await Region.get_or_none(code=code)
        if county is not None:
            orgs[code] = await _government(county)
    foundation = await _foundation()
    foundation_user: User | None = None
    if foundation is not None and foundation.participant_id is not None:
        participant = await Participant.get(id=foundation.participant_id)
        foundation_user = await _member(participant, FOUNDATION_USER, "彩云基金会财务（演示）")
        if not any(login.username == FOUNDATION_USER for login in result.logins):
            result.logins.append(DemoLogin("participant_member", FOUNDATION_USER, participant.name))
    result.extra["recipient organisations"] = await RecipientOrg.filter(is_demo=True).count()
    donors = await _donors()
    if not donors:
        return
    officers: dict[str, Actor] = {}
    for user in await User.filter(role="county_officer", region_id__in=list(orgs)).order_by("id"):
        officers.setdefault(user.region_id, await accounts.actor_for(user))
    ctx = _Context(
        rng=rng,
        donors=donors,
        orgs=orgs,
        officers=officers,
        foundation=foundation,
        foundation_actor=await accounts.actor_for(foundation_user) if foundation_user else None,
        today=today_cn(),
        counts=dict.fromkeys(
            ("pledges", "donations", "receipts", "unbacked_received_fen", "lapsed"), 0
        ),
    )
    first_run = not await Pledge.filter(is_demo=True).exists()

    # 1. Back every demo need's totals with records (top-ups of `fupin demo` included).
    with_money = Need.filter(is_demo=True).filter(Q(pledged_fen__gt=0) | Q(received_fen__gt=0))
    recorded = set(
        await Pledge.all().order_by("need_id").distinct().values_list("need_id", flat=True)
    )
    recorded |= set(
        await Donation.all().order_by("need_id").distinct().values_list("need_id", flat=True)
    )
    todo = [n for n in await with_money.order_by("id") if n.id not in recorded]
    for start in range(0, len(todo), CHUNK):
        async with transaction():  # one commit per chunk; each service call is a savepoint
            for need in todo[start : start + CHUNK]:
                await _back_need(need, ctx)

    # 2. Once: some pledges made "in the past" that the lapse sweep lapses, and one reversal,
    #    so honour rates and the ledger show every kind of event.
    if first_run:
        open_needs = [
            n
            for n in await Need.filter(is_demo=True, state="published").order_by("id").limit(400)
            if n.target_fen - n.pledged_fen >= 1_000_00
        ]
        for need in rng.sample(open_needs, min(len(open_needs), LAPSED_DEMO_PLEDGES)):
            await pledges.make_pledge(
                actor=rng.choice(donors),
                need_id=need.id,
                amount_fen=min(
                    need.target_fen - need.pledged_fen, rng.choice((5, 10, 20)) * 1_000_00
                ),
                due_date=ctx.today - timedelta(days=rng.randint(5, 60)),
                today=ctx.today - timedelta(days=90),
                is_demo=True,
                caps=NO_CAPS,  # replayed history, as above
            )
            ctx.counts["pledges"] += 1
        ctx.counts["lapsed"] = await pledges.lapse_overdue(today=ctx.today)
        paid = (
            await Donation.filter(is_demo=True, state="confirmed", reverses_id=None)
            .order_by("id")
            .first()
        )
        if paid is not None:
            org = await RecipientOrg.get(id=paid.recipient_id)
            actor = (
                ctx.foundation_actor
                if org.kind == "qualified_org"
                else officers.get(org.region_id or "")
            )
            if actor is not None:
                await donations.reverse_donation(
                    actor=actor, donation_id=paid.id, reason="银行退回，款项原路退还（演示）"
                )
    result.extra.update(
        {
            "demo needs backed by money records": len(todo),
            "demo pledges": ctx.counts["pledges"],
            "demo donations": ctx.counts["donations"],
            "demo receipts": ctx.counts["receipts"],
            "demo pledges lapsed": ctx.counts["lapsed"],
        }
    )
