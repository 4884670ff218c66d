"""Demo commendation and tax vouchers (idempotent), after the demo money.

So that a fresh quickstart shows the whole five-year commendation and tax papers that are not
dead ends:

* **Consent**: the members of most demo donors give their consent to be recommended and named
  in a notice (through the consent service, audited with its date); two kinds do not, so the
  office page shows both.
* **Paper records of 2021–2025**: the demo needs are all drafted in the last year, so the demo's
  money of earlier years comes in the one way the platform accepts it — the national office's
  historical-records import (``donations.import_historical_donation``, marked on the record and
  in the ledger), each with a receipt from the county government that received it.
* **Official numbers**: part of the demo receipts (the historical ones and every other recent
  one of a county government) get the official 公益事业捐赠票据 code and number, as a county
  finance office would enter them, so a demo donor's working paper deducts something.
* **A round on notice**: 2021–2025, ranked, on public notice from today, with one objection
  filed by a member of the public and the office's reply.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from fupin.accounts.models import Participant, User
from fupin.accounts.service import participants
from fupin.accounts.service import users as accounts
from fupin.commendation.models import CommendationRound, Nomination
from fupin.commendation.service.notice import file_objection, publish_notice, resolve_objection
from fupin.commendation.service.ranking import rank
from fupin.commendation.service.rounds import CategoryInput, create_round
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.demo.service.accounts import DemoResult
from fupin.money.models import Donation, Receipt, RecipientOrg
from fupin.money.service import donations, receipts
from fupin.needs.models import Need
from fupin.settings import Settings

DEMO_ROUND_YEARS = (2021, 2025)
DEMO_ROUND_TITLE = "2021–2025 年度社会扶贫表彰（演示）"
#: Donor kinds whose members consent; the others do not (the office page shows both).
CONSENTING_KINDS = ("enterprise", "individual", "central_unit", "east_partner")
NON_CONSENTING_KINDS = ("democratic_party", "military")
HISTORICAL_NOTE = "2021–2025 年县财政局纸质捐赠台账补录（演示）"
#: (month, day) of the imported paper records in each year they cover.
HISTORICAL_DAYS = ((2022, 4, 18), (2024, 9, 6))
SEED = 20210225  # 全国脱贫攻坚总结表彰大会, 2021-02-25


@dataclass(frozen=True)
class _Channel:
    need: Need
    org: RecipientOrg
    officer: Actor


async def _donor_members() -> dict[str, tuple[Participant, Actor]]:
    """The first demo participant of each donor kind with its first member (the money demo's
    donors)."""
    found: dict[str, tuple[Participant, Actor]] = {}
    for kind in CONSENTING_KINDS + NON_CONSENTING_KINDS:
        participant = await Participant.filter(is_demo=True, kind=kind).order_by("id").first()
        if participant is None:
            continue
        member = await User.filter(participant_id=participant.id).order_by("id").first()
        if member is not None:
            found[kind] = (participant, await accounts.actor_for(member))
    return found


async def _channels(limit: int) -> list[_Channel]:
    """Published demo needs with room left, whose county government receives and whose county
    officer issues the receipts."""
    out: list[_Channel] = []
    officers: dict[str, Actor | None] = {}
    for need in await Need.filter(is_demo=True, state="published").order_by("id").limit(400):
        if need.target_fen - need.pledged_fen < 8 * 10_000_00:
            continue
        org = await RecipientOrg.get_or_none(kind="government", region_id=need.county_code)
        if org is None:
            continue
        if need.county_code not in officers:
            user = (
                await User.filter(role="county_officer", region_id=need.county_code, is_active=True)
                .order_by("id")
                .first()
            )
            officers[need.county_code] = await accounts.actor_for(user) if user else None
        officer = officers[need.county_code]
        if officer is not None:
            out.append(_Channel(need, org, officer))
        if len(out) >= limit:
            break
    return out


async def _official_numbers(officer: Actor, donation: Donation, year: int) -> None:
    await receipts.enter_official_numbers(
        actor=officer,
        donation_id=donation.id,
        receipt_code=f"53{year % 100:02d}0119",
        receipt_number=f"{donation.id:010d}",
        check_code=f"D{donation.id:05d}",
    )


async def _import_paper_records(
    admin: Actor, donors: dict[str, tuple[Participant, Actor]], rng: random.Random
) -> int:
    """Two paper records per donor, each on a demo need that still has room for it (the import
    reserves the amount on the need like any donation without a pledge)."""
    channels = await _channels(20)
    made = 0
    for index, (participant, _member) in enumerate(donors.values()):
        for year, month, day in HISTORICAL_DAYS:
            amount = rng.choice((8, 12, 15)) * 10_000_00
            channel = None
            for offset in range(len(channels)):
                candidate = channels[(index + offset) % len(channels)]
                need = await Need.get(id=candidate.need.id)
                if need.target_fen - need.pledged_fen >= amount:
                    channel = candidate
                    break
            if channel is None:
                continue
            received_on = date(year, month, day)
            donation = await donations.import_historical_donation(
                actor=admin,
                recipient_id=channel.org.id,
                need_id=channel.need.id,
                donor_id=participant.id,
                amount_fen=amount,
                received_on=received_on,
                payment_reference=f"HIST{year}{participant.id:05d}",
                note=HISTORICAL_NOTE,
                is_demo=True,
            )
            await receipts.issue_receipt(
                actor=channel.officer, donation_id=donation.id, today=received_on
            )
            await _official_numbers(channel.officer, donation, year)
            made += 1
    return made


async def _numbers_on_recent_receipts() -> int:
    """Every other live receipt of a county government's demo donation gets its numbers."""
    entered = 0
    officers: dict[str, Actor | None] = {}
    live = (
        await Receipt.filter(state="issued", donation__is_demo=True, donation__historical=False)
        .prefetch_related("donation", "donation__recipient")
        .order_by("id")
    )
    for index, receipt in enumerate(live):
        donation: Donation = receipt.donation
        org: RecipientOrg = donation.recipient
        if index % 2 or org.kind != "government" or donation.official_receipt_number:
            continue
        code = org.region_id or ""
        if code not in officers:
            user = await User.filter(role="county_officer", region_id=code).order_by("id").first()
            officers[code] = await accounts.actor_for(user) if user else None
        officer = officers[code]
        if officer is None:
            continue
        await _official_numbers(officer, donation, donation.received_on.year)
        entered += 1
    return entered


async def _round_on_notice() -> CommendationRound:
    first, last = DEMO_ROUND_YEARS
    found = await create_round(
        actor=None,
        title=DEMO_ROUND_TITLE,
        first_year=first,
        last_year=last,
        categories=[
            CategoryInput(
                award_type="dedication",
                scope="collective",
                quota=3,
                min_confirmed_money_fen=10 * 10_000_00,
            ),
            CategoryInput(award_type="dedication", scope="individual", quota=1),
            CategoryInput(award_type="contribution", scope="collective", quota=2),
        ],
        objection_channel="国家乡村振兴局（演示）电话 12317",
        system=True,
        is_demo=True,
    )
    await rank(actor=None, round_id=found.id, system=True)
    await publish_notice(actor=None, round_id=found.id, system=True)
    nominee = (
        await Nomination.filter(round_id=found.id, status="nominee").order_by("rank", "id").first()
    )
    if nominee is not None:
        objection = await file_objection(
            round_id=found.id,
            nomination_id=nominee.id,
            name="王五（演示）",
            contact="13800000000",
            content="该单位 2022 年的捐赠我没有在村里看到公示，请核实是否真实到账。",
            source="demo",
        )
        await resolve_objection(
            actor=None,
            objection_id=objection.id,
            upheld=False,
            resolution="经核实，该笔捐赠有县人民政府开具的公益事业捐赠票据和公开账本记录，"
            "已在村务公开栏补充公示。异议不成立，保留提名。",
            system=True,
        )
    return found


async def load_demo_commendation(settings: Settings, result: DemoResult, needs_count: int) -> None:
    """The demo step (demo/service/accounts.py DEMO_STEPS), after the demo money."""
    if await CommendationRound.filter(is_demo=True).exists():
        return
    admin_user = await User.filter(role="national_admin", is_active=True).order_by("id").first()
    donors = await _donor_members()
    if admin_user is None or not donors:
        return
    admin = await accounts.actor_for(admin_user)
    rng = random.Random(SEED)
    for kind, (participant, member) in donors.items():
        await participants.set_commendation_consent(
            actor=member, participant_id=participant.id, consent=kind in CONSENTING_KINDS
        )
    async with transaction():  # the paper records all or none; each service call a savepoint
        imported = await _import_paper_records(admin, donors, rng)
    async with transaction():
        entered = await _numbers_on_recent_receipts()
    found = await _round_on_notice()
    result.extra["historical donations"] = imported
    result.extra["receipts with official numbers"] = entered + imported
    result.extra["commendation round on notice (id)"] = found.id
