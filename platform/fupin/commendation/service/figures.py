"""What a participant did over a round's window, from the confirmed record (docs/rules.md §5.3), and
the same money figures recomputed from the public ledger alone.

Aggregates, per participant, over donations *received* in the window:

* confirmed money, cash and in-kind separately, and the targeted part — net of reversals: a
  confirmed donation that was later reversed counts zero (original + reversing entry), whenever
  the reversal was made;
* distinct counties and villages reached, needs funded, needs completed — delivered with
  evidence and confirmed by the village (need state ``closed``) — with their beneficiaries;
* honour rate of the pledges settled in the window (``money.service.honour.honour_rates_of``:
  honoured — counted on the day it was honoured — or lapsed or still open past the due date —
  counted on the due date; withdrawn pledges never count) and the amounts withdrawn or lapsed;
* integrity: reversed donations, upheld objections in earlier rounds (the platform's record of
  upheld complaints about a participant), previous awards (no repeat award);
* anonymity: anonymous donations count in the donor's totals, but a donor who gave anonymously
  is nominated only with ``Participant.commendation_opt_in`` (docs/rules.md §5.3).

Only participants with a positive confirmed total in the window are candidates.

Every money figure is reproducible from the public ledger: ``ledger_figures`` recomputes each
participant's confirmed money from ``donation_confirmed`` minus ``donation_reversed`` entries
(anonymous donors' ids are read from the entries' private commitments), and the places reached
from the needs those entries name.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from fupin.accounts.models import Participant
from fupin.commendation.models import (
    CommendationRound,
    Nomination,
    Objection,
)
from fupin.commendation.rules.ranking import ParticipantAggregate
from fupin.commendation.schemas import CommendationFigures
from fupin.core.clock import today_cn
from fupin.errors import (
    FupinError,
)
from fupin.ledger.models import LedgerEntry, LedgerSecret
from fupin.money.models import Donation, Pledge
from fupin.money.service.honour import honour_rates_of
from fupin.needs.models import Need
from fupin.regions.models import Region

#: "Needs completed (with evidence and village confirmation)", docs/rules.md §5.3: delivered with
#: evidence (state completed) AND confirmed by the village (→ closed); a dispute reopens it.
COMPLETED_NEED_STATES = ("closed",)


@dataclass
class Figures:
    """docs/rules.md §5.3 per participant over a window (all integers: fen or counts)."""

    participant_id: int
    confirmed_cash_fen: int = 0
    in_kind_fen: int = 0
    targeted_fen: int = 0
    reversed_donations: int = 0
    donations: int = 0  # confirmed, unreversed donations counted
    needs_funded: int = 0
    completed_needs: int = 0
    villages_reached: int = 0
    counties_reached: int = 0
    poverty_county_fen: int = 0  # received for needs in the 832 counties
    sanqu_sanzhou_fen: int = 0  # received for needs in 三区三州
    beneficiary_households: int = 0
    beneficiary_people: int = 0
    pledges_due: int = 0
    pledges_honoured: int = 0
    withdrawn_or_lapsed_fen: int = 0
    gave_anonymously: bool = False
    upheld_objections: int = 0
    previous_award: bool = False
    completed_need_ids: list[int] = field(default_factory=list)

    @property
    def total_confirmed_fen(self) -> int:
        return self.confirmed_cash_fen + self.in_kind_fen

    def as_json(self) -> dict[str, Any]:
        """The figures as a nomination stores them (``CommendationFigures``)."""
        return CommendationFigures.model_validate(self).model_dump()


def counted_donations(start: date, end: date) -> Any:
    """Confirmed originals received in the window that were never reversed."""
    return Donation.filter(
        state="confirmed",
        reverses_id__isnull=True,
        received_on__gte=start,
        received_on__lte=end,
    ).exclude(id__in=_reversed_originals())


def _reversed_originals() -> Any:
    return Subquery(
        Donation.filter(reverses_id__not_isnull=True, state="confirmed").values("reverses_id")
    )


async def window_figures(
    start: date,
    end: date,
    *,
    participant_ids: Collection[int] | None = None,
    today: date | None = None,
    round_id: int | None = None,
) -> dict[int, Figures]:
    """The aggregates of docs/rules.md §5.3 for every participant with confirmed money in the
    window (or for ``participant_ids``). Sums and counts are done in SQL."""
    today = today or today_cn()
    figures: dict[int, Figures] = {}

    def of(pid: int) -> Figures:
        if pid not in figures:
            figures[pid] = Figures(participant_id=pid)
        return figures[pid]

    counted = counted_donations(start, end)
    if participant_ids is not None:
        counted = counted.filter(donor_id__in=list(participant_ids))
    sums = (
        await counted.annotate(total=Sum("amount_fen"), n=Count("id"))
        .group_by("donor_id", "kind", "targeted")
        .order_by("donor_id", "kind", "targeted")
        .values("donor_id", "kind", "targeted", "total", "n")
    )
    for row in sums:
        target = of(int(row["donor_id"]))
        amount = int(row["total"] or 0)
        if row["kind"] == "in_kind":
            target.in_kind_fen += amount
        else:
            target.confirmed_cash_fen += amount
        if row["targeted"]:
            target.targeted_fen += amount
        target.donations += int(row["n"] or 0)
    hard = (
        await counted.annotate(total=Sum("amount_fen"))
        .group_by("donor_id", "need__county_code")
        .order_by("donor_id", "need__county_code")
        .values("donor_id", "need__county_code", "total")
    )
    county_codes = {row["need__county_code"] for row in hard if row["need__county_code"]}
    counties = {r.code: r for r in await Region.filter(code__in=list(county_codes))}
    for row in hard:
        county = counties.get(row["need__county_code"] or "")
        if county is None:
            continue
        if county.is_poverty_county:
            of(int(row["donor_id"])).poverty_county_fen += int(row["total"] or 0)
        if county.sanqu_sanzhou:
            of(int(row["donor_id"])).sanqu_sanzhou_fen += int(row["total"] or 0)
    anonymous = (
        await counted.filter(anonymous=True)
        .annotate(n=Count("id"))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "n")
    )
    for row in anonymous:
        of(int(row["donor_id"])).gave_anonymously = int(row["n"] or 0) > 0
    reversals = Donation.filter(
        state="confirmed",
        reverses_id__not_isnull=True,
        reverses__received_on__gte=start,
        reverses__received_on__lte=end,
    )
    if participant_ids is not None:
        reversals = reversals.filter(donor_id__in=list(participant_ids))
    for row in (
        await reversals.annotate(n=Count("id"))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "n")
    ):
        of(int(row["donor_id"])).reversed_donations += int(row["n"] or 0)

    # Places reached (distinct counts in SQL) and needs completed.
    for row in (
        await counted.annotate(
            needs=Count("need_id", distinct=True),
            counties=Count("need__county_code", distinct=True),
        )
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "needs", "counties")
    ):
        target = of(int(row["donor_id"]))
        target.needs_funded = int(row["needs"] or 0)
        target.counties_reached = int(row["counties"] or 0)
    for row in (
        await counted.filter(need__region__level="village")
        .annotate(villages=Count("need__region_id", distinct=True))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "villages")
    ):
        of(int(row["donor_id"])).villages_reached = int(row["villages"] or 0)
    completed_pairs = (
        await counted.filter(need__state__in=list(COMPLETED_NEED_STATES))
        .annotate(n=Count("id"))
        .group_by("donor_id", "need_id")
        .order_by("donor_id", "need_id")
        .values("donor_id", "need_id")
    )
    completed_ids = {int(row["need_id"]) for row in completed_pairs}
    completed_needs = (
        {n.id: n for n in await Need.filter(id__in=list(completed_ids))} if completed_ids else {}
    )
    for row in completed_pairs:
        target = of(int(row["donor_id"]))
        need = completed_needs[int(row["need_id"])]
        target.completed_need_ids.append(need.id)
        target.completed_needs += 1
        target.beneficiary_households += need.beneficiary_households
        target.beneficiary_people += need.beneficiary_people

    candidates = list(figures)
    if not candidates:
        return figures
    # Honour rate in the window: the one definition (money.rules.honour), each pledge counted
    # on the day it was settled — honoured, else its due date.
    for pid, rate in (await honour_rates_of(candidates, period=(start, end), today=today)).items():
        target = of(pid)
        target.pledges_due = rate.due_count
        target.pledges_honoured = rate.honoured_count
    for row in (
        await Pledge.filter(
            participant_id__in=candidates,
            due_date__gte=start,
            due_date__lte=end,
            state__in=["withdrawn", "lapsed"],
        )
        .annotate(promised=Sum("amount_fen"), paid=Sum("paid_fen"))
        .group_by("participant_id")
        .order_by("participant_id")
        .values("participant_id", "promised", "paid")
    ):
        of(int(row["participant_id"])).withdrawn_or_lapsed_fen = int(row["promised"] or 0) - int(
            row["paid"] or 0
        )
    # Integrity: upheld objections and awards in other rounds.
    other_rounds = Nomination.filter(participant_id__in=candidates)
    objections = Objection.filter(state="upheld", nomination__participant_id__in=candidates)
    if round_id is not None:
        other_rounds = other_rounds.exclude(round_id=round_id)
        objections = objections.exclude(round_id=round_id)
    for pid in await other_rounds.filter(status="awarded").values_list("participant_id", flat=True):
        of(int(pid)).previous_award = True
    for row in (
        await objections.annotate(n=Count("id"))
        .group_by("nomination__participant_id")
        .order_by("nomination__participant_id")
        .values("nomination__participant_id", "n")
    ):
        of(int(row["nomination__participant_id"])).upheld_objections = int(row["n"] or 0)
    return figures


def aggregate_of(participant: Participant, figures: Figures) -> ParticipantAggregate:
    return ParticipantAggregate(
        participant_id=participant.id,
        kind=participant.kind,
        name=participant.name,
        confirmed_cash_fen=figures.confirmed_cash_fen,
        in_kind_fen=figures.in_kind_fen,
        targeted_fen=figures.targeted_fen,
        completed_needs=figures.completed_needs,
        villages_reached=figures.villages_reached,
        counties_reached=figures.counties_reached,
        pledges_honoured=figures.pledges_honoured,
        pledges_due=figures.pledges_due,
        gave_anonymously=figures.gave_anonymously,
        anonymous_opt_in=participant.commendation_opt_in,
        previous_award=figures.previous_award,
        upheld_complaints=figures.upheld_objections,
        reversed_donations=figures.reversed_donations,
    )


async def candidates_of(
    found: CommendationRound, *, today: date | None = None
) -> tuple[list[ParticipantAggregate], dict[int, Figures], dict[int, Participant]]:
    figures = await window_figures(
        found.window_start, found.window_end, today=today, round_id=found.id
    )
    positive = {pid: f for pid, f in figures.items() if f.total_confirmed_fen > 0}
    people = {p.id: p for p in await Participant.filter(id__in=list(positive))}
    aggregates = [
        aggregate_of(people[pid], f) for pid, f in sorted(positive.items()) if pid in people
    ]
    return aggregates, positive, people


@dataclass
class LedgerFigures:
    participant_id: int
    confirmed_cash_fen: int = 0
    in_kind_fen: int = 0
    targeted_fen: int = 0
    reversed_donations: int = 0
    need_ids: set[int] = field(default_factory=set)

    @property
    def total_confirmed_fen(self) -> int:
        return self.confirmed_cash_fen + self.in_kind_fen


async def ledger_figures(start: date, end: date) -> dict[int, LedgerFigures]:
    """Each donor's confirmed money over a window recomputed from the public ledger alone:
    ``donation_confirmed`` entries received in the window, minus the ``donation_reversed``
    entries that reverse them (whenever the reversal was made). Anonymous donors' ids come from
    the entries' commitments (``LedgerSecret``), as an auditor opens them."""

    @dataclass
    class Original:
        donor: int
        kind: str
        targeted: bool
        need: int
        reversed: bool = False

    originals: dict[int, Original] = {}
    result: dict[int, LedgerFigures] = {}
    last = 0
    # Bounded batches over an append-only table.
    while True:
        rows = list(
            await LedgerEntry.filter(
                seq__gt=last, kind__in=["donation_confirmed", "donation_reversed"]
            )
            .order_by("seq")
            .limit(5000)
        )
        if not rows:
            break
        last = rows[-1].seq
        secrets: dict[int, Any] = {}
        for secret in await LedgerSecret.filter(
            entry_id__in=[r.seq for r in rows], field="donor_id"
        ):
            secrets[secret.entry_id] = json.loads(secret.value_json)
        for row in rows:
            payload = json.loads(row.payload_json)
            if row.kind == "donation_confirmed":
                received = date.fromisoformat(payload["received_on"])
                if not start <= received <= end:
                    continue
                donor = payload.get("donor_id")
                if not isinstance(donor, int):
                    donor = secrets.get(row.seq)
                if not isinstance(donor, int):
                    raise FupinError(f"ledger entry {row.seq}: donor not recoverable")
                original = Original(
                    donor=donor,
                    kind=str(payload["kind"]),
                    targeted=bool(payload.get("targeted")),
                    need=int(payload["need"]),
                )
                originals[int(row.subject.split(":", 1)[1])] = original
                amount = int(payload["amount_fen"])
            else:
                found = originals.get(int(payload["reverses"]))
                if found is None:
                    continue  # reverses a donation received outside the window
                original = found
                original.reversed = True
                amount = int(payload["amount_fen"])  # negative
            target = result.setdefault(original.donor, LedgerFigures(participant_id=original.donor))
            _add(target, original.kind, amount, original.targeted)
            if row.kind == "donation_reversed":
                target.reversed_donations += 1
    for original in originals.values():
        if not original.reversed:
            result[original.donor].need_ids.add(original.need)
    return result


def _add(target: LedgerFigures, kind: str, amount_fen: int, targeted: bool) -> None:
    if kind == "in_kind":
        target.in_kind_fen += amount_fen
    else:
        target.confirmed_cash_fen += amount_fen
    if targeted:
        target.targeted_fen += amount_fen


async def places_from_ledger(figures: LedgerFigures) -> tuple[int, int]:
    """(counties, villages) reached by the needs the ledger entries name."""
    needs = await Need.filter(id__in=list(figures.need_ids)).prefetch_related("region")
    counties = {n.county_code for n in needs if n.county_code}
    villages = {n.region_id for n in needs if n.region.level == "village"}
    return len(counties), len(villages)
