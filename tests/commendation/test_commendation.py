"""Commendation rounds over a demo-like record (docs/domain.md §3.9; docs/rules.md §5): aggregates from
confirmed records only, ranking, every figure recomputed from the public ledger, the notice and
objection flow, and the refusals that write nothing."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import pytest

from fupin.commendation.models import CommendationRound, Nomination, Objection, RoundCategory
from fupin.commendation.rules.ranking import ranking_key
from fupin.commendation.service.figures import ledger_figures, places_from_ledger
from fupin.commendation.service.final import publish_final
from fupin.commendation.service.notice import file_objection, publish_notice, resolve_objection
from fupin.commendation.service.ranking import nominations_of, public_statuses, rank
from fupin.commendation.service.rounds import CategoryInput, create_round, get_round, save_category
from fupin.core.models import AuditLog
from fupin.errors import InvalidInput, InvalidTransition, PermissionDenied, RuleViolation
from fupin.ledger.models import LedgerEntry, LedgerSecret
from fupin.needs.models import Need
from fupin.regions.models import Region
from tests.tax.builders import WAN, Seed, seed_round_world

CATEGORIES = [
    CategoryInput(
        award_type="dedication",
        scope="collective",
        quota=2,
        min_confirmed_money_fen=10 * WAN,
        min_honour_rate_bp=6000,
    ),
    CategoryInput(award_type="dedication", scope="individual", quota=1),
    CategoryInput(award_type="contribution", scope="collective", quota=1),
]


async def _run_prior_round() -> None:
    """2016–2020, run to the end: its winner may not be commended again."""
    prior = await create_round(
        actor=None,
        title="2016–2020 社会扶贫表彰",
        first_year=2016,
        last_year=2020,
        categories=[CategoryInput(award_type="dedication", scope="collective", quota=3)],
        system=True,
    )
    await rank(actor=None, round_id=prior.id, system=True, today=date(2021, 3, 1))
    await publish_notice(
        actor=None, round_id=prior.id, start=date(2021, 3, 1), today=date(2021, 3, 1), system=True
    )
    await publish_final(actor=None, round_id=prior.id, today=date(2021, 4, 1), system=True)


async def _ranked_round(world) -> tuple[Seed, CommendationRound]:
    seed = await seed_round_world(world)
    await _run_prior_round()
    current = await create_round(
        actor=None,
        title="2021–2025 社会扶贫表彰",
        first_year=2021,
        last_year=2025,
        categories=CATEGORIES,
        system=True,
    )
    await rank(actor=None, round_id=current.id, system=True, today=date(2026, 11, 29))
    return seed, await get_round(current.id)


def _payload(entry: LedgerEntry) -> dict:
    return json.loads(entry.payload_json)


async def _donor_of(entry: LedgerEntry, payload: dict) -> int:
    donor = payload.get("donor_id")
    if isinstance(donor, int):
        return donor
    secret = await LedgerSecret.get(entry_id=entry.seq, field="donor_id")
    return json.loads(secret.value_json)


async def _recompute_from_ledger(start: date, end: date, today: date) -> dict[int, dict]:
    """The test's own reading of the public ledger (independent of the service code): money,
    places, needs completed and honour rate per participant over the window."""
    confirmed: dict[int, tuple[int, dict]] = {}  # donation id → (donor, payload)
    reversed_ids: set[int] = set()
    pledges: dict[int, dict] = {}
    paid_on_pledge: dict[int, int] = defaultdict(int)
    completed_needs: set[int] = set()
    for entry in await LedgerEntry.all().order_by("seq"):
        payload = _payload(entry)
        ident = int(entry.subject.split(":")[1])
        if entry.kind == "donation_confirmed":
            confirmed[ident] = (await _donor_of(entry, payload), payload)
            if payload.get("pledge"):
                paid_on_pledge[payload["pledge"]] += payload["amount_fen"]
                promised = pledges[payload["pledge"]]
                if paid_on_pledge[payload["pledge"]] >= promised["amount"]:
                    promised["honoured_on"] = date.fromisoformat(payload["received_on"])
        elif entry.kind == "donation_reversed":
            reversed_ids.add(payload["reverses"])
            if payload.get("pledge"):
                paid_on_pledge[payload["pledge"]] += payload["amount_fen"]
        elif entry.kind == "pledge_made":
            pledges[ident] = {
                "donor": await _donor_of(entry, payload),
                "amount": payload["amount_fen"],
                "due": date.fromisoformat(payload["due_date"]),
                "end": None,
            }
        elif entry.kind == "pledge_amended":
            pledges[ident]["amount"] = payload["amount_fen"]
            pledges[ident]["due"] = date.fromisoformat(payload["due_date"])
        elif entry.kind in ("pledge_lapsed", "pledge_withdrawn"):
            pledges[ident]["end"] = entry.kind
        elif entry.kind == "need_completed":
            completed_needs.add(ident)
    figures: dict[int, dict] = defaultdict(
        lambda: {"cash": 0, "in_kind": 0, "targeted": 0, "reversed": 0, "needs": set()}
    )
    for donation_id, (donor, payload) in confirmed.items():
        if not start <= date.fromisoformat(payload["received_on"]) <= end:
            continue
        row = figures[donor]
        if donation_id in reversed_ids:
            row["reversed"] += 1
            continue  # the original and its reversing entry cancel out
        row["in_kind" if payload["kind"] == "in_kind" else "cash"] += payload["amount_fen"]
        if payload["targeted"]:
            row["targeted"] += payload["amount_fen"]
        row["needs"].add(payload["need"])
    for pledge_id, p in pledges.items():
        honoured = p["end"] is None and paid_on_pledge[pledge_id] >= p["amount"]
        # counted on the day it was settled: honoured, else due (docs/domain.md §3.5)
        settled = p.get("honoured_on") if honoured else p["due"]
        if settled is None or not start <= settled <= end:
            continue
        due = honoured or p["end"] == "pledge_lapsed" or (p["end"] is None and p["due"] < today)
        row = figures[p["donor"]]
        row["due"] = row.get("due", 0) + int(due)
        row["honoured"] = row.get("honoured", 0) + int(honoured)
    for row in figures.values():
        needs = await Need.filter(id__in=list(row["needs"]))
        regions = {r.code: r for r in await Region.filter(code__in=[n.region_id for n in needs])}
        row["counties"] = len({n.county_code for n in needs})
        row["villages"] = len(
            {n.region_id for n in needs if regions[n.region_id].level == "village"}
        )
        # Completed: the ledger's need_completed entry, and the village's confirmation since.
        row["completed"] = len(
            [n for n in needs if n.id in completed_needs and n.state == "closed"]
        )
    return figures


@pytest.mark.both_databases
async def test_every_figure_of_the_ranked_list_is_recomputed_from_the_ledger(world) -> None:
    seed, found = await _ranked_round(world)
    nominations = await Nomination.filter(round_id=found.id).prefetch_related("category")
    assert nominations, "the round ranked nobody"
    ledger = await _recompute_from_ledger(found.window_start, found.window_end, date(2026, 11, 29))
    by_service = await ledger_figures(found.window_start, found.window_end)
    for n in nominations:
        f = n.figures
        mine = ledger[n.participant_id]
        assert f["confirmed_cash_fen"] == mine["cash"], n.public_name
        assert f["in_kind_fen"] == mine["in_kind"], n.public_name
        assert f["total_confirmed_fen"] == mine["cash"] + mine["in_kind"], n.public_name
        assert f["targeted_fen"] == mine["targeted"], n.public_name
        assert f["reversed_donations"] == mine["reversed"], n.public_name
        assert f["counties_reached"] == mine["counties"], n.public_name
        assert f["villages_reached"] == mine["villages"], n.public_name
        assert f["completed_needs"] == mine["completed"], n.public_name
        assert f["pledges_due"] == mine.get("due", 0), n.public_name
        assert f["pledges_honoured"] == mine.get("honoured", 0), n.public_name
        # The service's own ledger recomputation agrees as well.
        theirs = by_service[n.participant_id]
        assert (theirs.confirmed_cash_fen, theirs.in_kind_fen, theirs.targeted_fen) == (
            f["confirmed_cash_fen"],
            f["in_kind_fen"],
            f["targeted_fen"],
        )
        assert theirs.reversed_donations == f["reversed_donations"]
        counties, villages = await places_from_ledger(theirs)
        assert (counties, villages) == (f["counties_reached"], f["villages_reached"])


@pytest.mark.both_databases
async def test_ranking_follows_the_rules_on_the_seeded_record(world) -> None:
    seed, found = await _ranked_round(world)
    rows = await Nomination.filter(round_id=found.id).prefetch_related("category")
    status = {n.participant_id: n for n in rows}
    p = seed.people
    e1 = status[p["e1"].id]
    # 300 targeted + 50 in kind + 20 (completed need); the reversed 100 and the 2026 gift do
    # not count.
    assert e1.figures["total_confirmed_fen"] == 370 * WAN
    assert e1.figures["in_kind_fen"] == 50 * WAN
    assert e1.figures["reversed_donations"] == 1
    assert e1.figures["completed_needs"] == 1
    assert (e1.status, e1.rank) == ("nominee", 1)
    assert (status[p["anon_ok"].id].status, status[p["anon_ok"].id].rank) == ("nominee", 2)
    assert (status[p["small"].id].status, status[p["small"].id].rank) == ("reserve", 3)
    assert [r["code"] for r in status[p["anon"].id].reasons] == [
        "excluded_anonymous_without_opt_in"
    ]
    assert [r["code"] for r in status[p["prior"].id].reasons] == ["excluded_previous_award"]
    lapser = status[p["lapser"].id]
    assert (lapser.figures["pledges_due"], lapser.figures["pledges_honoured"]) == (2, 1)
    assert [r["code"] for r in lapser.reasons] == ["below_min_honour_rate"]
    assert status[p["person"].id].category.scope == "individual"
    assert status[p["person"].id].status == "nominee"
    unit = status[p["unit"].id]
    assert (unit.category.award_type, unit.status) == ("contribution", "nominee")
    (pair,) = unit.evidence["pairs"]
    assert (pair["pair_id"], pair["platform_money_fen"]) == (seed.pair_id, 150 * WAN)
    # Evidence: the receipts behind e1's figures, the completed need with village confirmation.
    counted = {r["donation_id"] for r in e1.evidence["receipts"]}
    assert seed.reversed_donation.id not in counted
    assert sum(r["amount_fen"] for r in e1.evidence["receipts"]) == 370 * WAN
    (done,) = e1.evidence["completed_needs"]
    assert done["need_id"] == seed.completed_need.id and done["village_confirmed_at"]
    # Within each category the order is the documented sort key.
    for category in await RoundCategory.filter(round_id=found.id):
        ranked = sorted(
            (n for n in rows if n.category_id == category.id and n.rank), key=lambda n: n.rank
        )
        keys = [
            (-n.figures["total_confirmed_fen"], -n.figures["completed_needs"],
             -n.figures["villages_reached"], n.participant_id)
            for n in ranked
        ]  # fmt: skip
        assert keys == sorted(keys)
    assert ranking_key  # the pure key is the one documented above


async def test_round_flow_notice_objection_final(world) -> None:
    seed, found = await _ranked_round(world)
    monday = date(2026, 12, 7)
    await publish_notice(actor=None, round_id=found.id, start=monday, today=monday, system=True)
    found = await get_round(found.id)
    assert (found.state, found.notice_end) == ("notice", date(2026, 12, 11))  # 5 working days
    e1 = await Nomination.get(round_id=found.id, participant_id=seed.people["e1"].id)
    anon_ok = await Nomination.get(round_id=found.id, participant_id=seed.people["anon_ok"].id)
    first = await file_objection(
        round_id=found.id, nomination_id=e1.id, name="王五", contact="138 0000 0000",
        content="该企业的捐赠金额与实际不符，请核实。", today=date(2026, 12, 11),
    )  # fmt: skip
    second = await file_objection(
        round_id=found.id, nomination_id=anon_ok.id, name="赵六", contact="zhao@example.cn",
        content="该企业曾有拖欠工资的违法记录，请核实。", today=date(2026, 12, 8),
    )  # fmt: skip
    # The period is over: nothing more is accepted, nothing written.
    before = await Objection.all().count()
    with pytest.raises(RuleViolation) as closed:
        await file_objection(
            round_id=found.id, nomination_id=e1.id, name="李四", contact="139",
            content="公示期后的异议，应当被拒绝。", today=date(2026, 12, 12),
        )  # fmt: skip
    assert closed.value.code == "objection_period_closed"
    assert await Objection.all().count() == before
    with pytest.raises(RuleViolation) as early:
        await publish_final(actor=None, round_id=found.id, today=date(2026, 12, 11), system=True)
    assert early.value.code == "notice_not_over"
    with pytest.raises(RuleViolation) as pending:
        await publish_final(actor=None, round_id=found.id, today=date(2026, 12, 14), system=True)
    assert pending.value.code == "objections_open"
    await resolve_objection(
        actor=None, objection_id=first.id, upheld=False, resolution="经核实，金额无误。",
        system=True,
    )  # fmt: skip
    await resolve_objection(
        actor=None, objection_id=second.id, upheld=True, resolution="经核实，情况属实。",
        system=True,
    )  # fmt: skip
    final = await publish_final(
        actor=None, round_id=found.id, today=date(2026, 12, 14), system=True
    )
    assert final.state == "final"
    public = await nominations_of(found.id, statuses=public_statuses(final))
    names = [n.participant_id for n in public]
    assert seed.people["e1"].id in names and seed.people["anon_ok"].id not in names
    assert (await Nomination.get(id=anon_ok.id)).status == "removed"
    # The reserve is not promoted: it never was on public notice.
    small = await Nomination.get(round_id=found.id, participant_id=seed.people["small"].id)
    assert small.status == "reserve"
    # The objector's name is in the office's record but not in the audit log.
    audit_text = json.dumps(
        [a.after for a in await AuditLog.filter(action__startswith="commendation.objection")]
    )
    assert "王五" not in audit_text and "138" not in audit_text


async def test_objection_before_the_notice_or_against_a_reserve_is_refused(world) -> None:
    seed, found = await _ranked_round(world)
    small = await Nomination.get(round_id=found.id, participant_id=seed.people["small"].id)
    with pytest.raises(Exception) as not_public:
        await file_objection(
            round_id=found.id, nomination_id=small.id, name="甲", contact="1",
            content="在公示之前提出的异议。", today=date(2026, 12, 1),
        )  # fmt: skip
    assert not_public.typename == "NotFound"
    start = date(2026, 12, 7)
    await publish_notice(
        actor=None, round_id=found.id, start=start, today=date(2026, 12, 1), system=True
    )
    with pytest.raises(RuleViolation) as early:
        await file_objection(
            round_id=found.id, nomination_id=small.id, name="甲", contact="1",
            content="在公示开始之前提出的异议。", today=date(2026, 12, 4),
        )  # fmt: skip
    assert early.value.code == "objection_period_not_open"
    with pytest.raises(InvalidInput) as reserve:
        await file_objection(
            round_id=found.id, nomination_id=small.id, name="甲", contact="1",
            content="针对候补对象的异议不在公示名单中。", today=date(2026, 12, 7),
        )  # fmt: skip
    assert reserve.value.field == "nomination_id"
    with pytest.raises(InvalidInput) as anonymous:
        await file_objection(
            round_id=found.id, nomination_id=small.id, name=" ", contact="",
            content="短", today=date(2026, 12, 7),
        )  # fmt: skip
    assert {e.field for e in anonymous.value.errors} == {"name", "contact", "content"}
    assert await Objection.all().count() == 0


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("first_year", "last_year", "categories", "code"),
    [
        (2021, 2024, CATEGORIES, "window_not_five_years"),
        (2021, 2026, CATEGORIES, "window_not_five_years"),
        (2019, 2023, CATEGORIES, "window_overlaps"),
        (2025, 2029, CATEGORIES, "window_overlaps"),
        (
            2026,
            2030,
            [CategoryInput(award_type="dedication", scope="collective", quota=0)],
            "quota_not_positive",
        ),
        (
            2026,
            2030,
            [CategoryInput(award_type="contribution", scope="individual", quota=3)],
            "category_without_kinds",
        ),
        (2026, 2030, [], "no_categories"),
    ],
)
async def test_bad_round_is_refused_and_nothing_is_written(
    db, first_year, last_year, categories, code
) -> None:
    await create_round(
        actor=None, title="2021–2025", first_year=2021, last_year=2025, categories=CATEGORIES,
        system=True,
    )  # fmt: skip
    counts = (
        await CommendationRound.all().count(),
        await RoundCategory.all().count(),
        await AuditLog.all().count(),
    )
    with pytest.raises(InvalidInput) as caught:
        await create_round(
            actor=None, title="坏的轮次", first_year=first_year, last_year=last_year,
            categories=categories, system=True,
        )  # fmt: skip
    assert caught.value.code == code
    assert caught.value.message
    assert counts == (
        await CommendationRound.all().count(),
        await RoundCategory.all().count(),
        await AuditLog.all().count(),
    )


async def test_only_the_national_office_runs_rounds(world) -> None:
    from fupin.accounts.service import users as accounts

    for key in ("province_office", "auditor", "participant_member", "county_officer"):
        actor = await accounts.actor_for(world.users[key])
        with pytest.raises(PermissionDenied):
            await create_round(
                actor=actor, title="x", first_year=2021, last_year=2025, categories=CATEGORIES
            )
    admin = await accounts.actor_for(world.users["national_admin"])
    created = await create_round(
        actor=admin, title="2021–2025", first_year=2021, last_year=2025, categories=CATEGORIES
    )
    auditor = await accounts.actor_for(world.users["auditor"])
    with pytest.raises(PermissionDenied):
        await rank(actor=auditor, round_id=created.id)
    await rank(actor=admin, round_id=created.id)
    with pytest.raises(InvalidTransition):
        await save_category(actor=admin, round_id=created.id, category=CATEGORIES[0])


@pytest.mark.both_databases
async def test_concurrent_overlapping_rounds_cannot_both_be_created(db) -> None:
    import asyncio

    async def attempt(first: int) -> object:
        try:
            return await create_round(
                actor=None, title=f"{first}", first_year=first, last_year=first + 4,
                categories=CATEGORIES, system=True,
            )  # fmt: skip
        except InvalidInput as exc:
            return exc

    results = await asyncio.gather(attempt(2021), attempt(2023), attempt(2025))
    created = [r for r in results if isinstance(r, CommendationRound)]
    assert len(created) >= 1
    years = [y for r in created for y in range(r.first_year, r.last_year + 1)]
    assert len(years) == len(set(years))
    assert all(isinstance(r, CommendationRound) or r.code == "window_overlaps" for r in results)
