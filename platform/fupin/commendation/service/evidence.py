"""The evidence pack of a nominee (docs/rules.md §5.3): the receipts, completed needs and pair
contributions behind its figures, stored with the nomination when the round is ranked.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from tortoise.functions import Sum

from fupin.accounts.models import Pair
from fupin.commendation.schemas import (
    CommendationEvidenceNeed,
    CommendationEvidencePack,
    CommendationEvidencePair,
    CommendationEvidenceReceipt,
    CommendationPairFigure,
)
from fupin.commendation.service.figures import Figures, counted_donations
from fupin.money.models import Receipt
from fupin.needs.models import Need
from fupin.pairs.models import PairFigure

#: Evidence lists are capped per nominee; the figures are always over all records.
EVIDENCE_LIMIT = 1000


async def evidence_pack(
    participant_id: int, start: date, end: date, figures: Figures
) -> CommendationEvidencePack:
    """Receipts, completed needs and pair contributions behind a nominee's figures."""
    donations = list(
        await counted_donations(start, end)
        .filter(donor_id=participant_id)
        .order_by("received_on", "id")
        .limit(EVIDENCE_LIMIT)
        .prefetch_related("need")
    )
    receipts = {
        r.live_for_id: r
        for r in await Receipt.filter(live_for_id__in=[d.id for d in donations], state="issued")
    }
    receipt_lines = []
    for d in donations:
        receipt = receipts.get(d.id)
        receipt_lines.append(
            CommendationEvidenceReceipt(
                donation_id=d.id,
                received_on=d.received_on,
                amount_fen=d.amount_fen,
                kind=d.kind,
                targeted=d.targeted,
                anonymous=d.anonymous,
                need_id=d.need_id,
                need_title=d.need.title,
                county_code=d.need.county_code,
                receipt_number=receipt.number if receipt else "",
                official_receipt=(
                    f"{d.official_receipt_code}/{d.official_receipt_number}"
                    if d.official_receipt_number
                    else ""
                ),
                ledger_seq=d.ledger_seq,
            )
        )
    completed = list(
        await Need.filter(id__in=figures.completed_need_ids[:EVIDENCE_LIMIT])
        .order_by("id")
        .prefetch_related("region", "events")
    )
    completed_lines = []
    for need in completed:
        events = sorted(need.events, key=lambda e: e.id)
        done = next((e for e in reversed(events) if e.to_state == "completed"), None)
        confirmed = next((e for e in reversed(events) if e.to_state == "closed"), None)
        completed_lines.append(
            CommendationEvidenceNeed(
                need_id=need.id,
                title=need.title,
                region_code=need.region_id,
                region_name=need.region.full_name or need.region.name,
                state=need.state,
                completed_at=done.at.date().isoformat() if done else "",
                village_confirmed_at=confirmed.at.date().isoformat() if confirmed else "",
                households=need.beneficiary_households,
                people=need.beneficiary_people,
            )
        )
    pair_lines = []
    pairs = list(
        await Pair.filter(helper_id=participant_id)
        .order_by("start_year", "id")
        .prefetch_related("helped_region")
    )
    via_pair = {
        int(row["pledge__pair_id"]): int(row["total"] or 0)
        for row in await counted_donations(start, end)
        .filter(donor_id=participant_id, pledge__pair_id__not_isnull=True)
        .annotate(total=Sum("amount_fen"))
        .group_by("pledge__pair_id")
        .order_by("pledge__pair_id")
        .values("pledge__pair_id", "total")
    }
    pair_ids = {p.id for p in pairs} | set(via_pair)
    known = {p.id for p in pairs}
    extra_pairs = list(
        await Pair.filter(id__in=list(pair_ids - known)).prefetch_related("helped_region")
    )
    figures_rows = await PairFigure.filter(
        pair_year__pair_id__in=list(pair_ids),
        pair_year__year__gte=start.year,
        pair_year__year__lte=end.year,
    ).values("pair_year__pair_id", "pair_year__year", "indicator", "target", "reported")
    reported: dict[int, list[CommendationPairFigure]] = defaultdict(list)
    for row in sorted(figures_rows, key=lambda r: (r["pair_year__year"], r["indicator"])):
        if row["reported"] is None and row["target"] is None:
            continue
        reported[int(row["pair_year__pair_id"])].append(
            CommendationPairFigure(
                year=row["pair_year__year"],
                indicator=row["indicator"],
                target=row["target"],
                reported=row["reported"],
            )
        )
    for pair in [*pairs, *extra_pairs]:
        pair_lines.append(
            CommendationEvidencePair(
                pair_id=pair.id,
                kind=pair.kind,
                helped_region_code=pair.helped_region_id,
                helped_region_name=pair.helped_region.name,
                start_year=pair.start_year,
                end_year=pair.end_year,
                platform_money_fen=via_pair.get(pair.id, 0),
                reported=reported.get(pair.id, []),
            )
        )
    return CommendationEvidencePack(
        receipts=receipt_lines,
        receipts_total=figures.donations,
        receipts_truncated=figures.donations > len(receipt_lines),
        completed_needs=completed_lines,
        pairs=pair_lines,
    )
