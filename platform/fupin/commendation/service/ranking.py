"""Ranking a round from the confirmed record, and its stored list (docs/rules.md §5).

**rank** (draft or nominations → nominations): per-participant aggregates over the window are
computed from confirmed records only (``service.figures``) and ranked (``rules.rank_round``);
every nominee, reserve and exclusion is stored with its figures and, for the ranked ones, the
evidence pack (``service.evidence``). Ranking again replaces the stored list (nothing has been
published yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.commendation.models import (
    CommendationRound,
    Nomination,
    RoundCategory,
)
from fupin.commendation.rules.ranking import (
    COMMENDATION_REASONS,
    CategoryRanking,
    RoundRanking,
    rank_round,
    validate_round,
)
from fupin.commendation.rules.rounds import ROUND_MACHINE
from fupin.commendation.schemas import (
    CommendationEvidencePack,
    CommendationNomination,
    CommendationPublicEntry,
    CommendationReason,
)
from fupin.commendation.service.evidence import evidence_pack
from fupin.commendation.service.figures import Figures, candidates_of
from fupin.commendation.service.rounds import (
    categories_of,
    category_label,
    category_spec,
    get_round,
    locked_round,
    require_manage,
)
from fupin.core import audit, clock
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.errors import (
    NotFound,
)
from fupin.i18n import _


def _reasons_json(reasons: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "params": dict(r.params), "citation": r.citation_msgid} for r in reasons
    ]


def reason_text(item: dict[str, Any]) -> str:
    """A stored exclusion reason in the current locale."""
    message = COMMENDATION_REASONS.get(item.get("code", ""), item.get("code", ""))
    return _(message, **(item.get("params") or {}))


@dataclass(frozen=True)
class RankResult:
    round: CommendationRound
    ranking: RoundRanking
    figures: dict[int, Figures]


async def rank(
    *, actor: Actor | None, round_id: int, system: bool = False, today: date | None = None
) -> RankResult:
    """Compute and store the ranked list of every category (draft/nominations → nominations)."""
    require_manage(actor, system=system)
    found = await get_round(round_id)
    ROUND_MACHINE.check(found.state, "rank")
    categories = await categories_of(found.id)
    specs = [category_spec(c) for c in categories]
    aggregates, figures, _people = await candidates_of(found, today=today)
    ranking = rank_round(
        round_spec=validate_round(
            window_start=found.window_start, window_end=found.window_end, categories=specs
        ),
        aggregates=aggregates,
    )
    packs: dict[int, CommendationEvidencePack] = {}
    for category_ranking in ranking.categories:
        for entry in category_ranking.ranked:
            pid = entry.participant.participant_id
            packs[pid] = await evidence_pack(
                pid, found.window_start, found.window_end, figures[pid]
            )
    async with transaction():
        locked = await locked_round(found.id)
        ranked = ROUND_MACHINE.check(locked.state, "rank")
        await Nomination.filter(round_id=found.id).delete()
        for category, category_ranking in zip(categories, ranking.categories, strict=True):
            await _store_category(found.id, category, category_ranking, figures, packs)
        before = locked.state
        locked.state = ranked.to
        locked.ranked_at = clock.now()
        await locked.save(update_fields=["state", "ranked_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.rank",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": before},
            after={
                "state": locked.state,
                "nominees": sum(len(c.nominees) for c in ranking.categories),
                "reserves": sum(len(c.reserves) for c in ranking.categories),
                "excluded": sum(len(c.excluded) for c in ranking.categories),
            },
        )
    return RankResult(round=locked, ranking=ranking, figures=figures)


async def _store_category(
    round_id: int,
    category: RoundCategory,
    ranking: CategoryRanking,
    figures: dict[int, Figures],
    packs: dict[int, CommendationEvidencePack],
) -> None:
    quota = category.quota
    tie = ranking.tie_at_quota_cut
    for entry in ranking.ranked:
        pid = entry.participant.participant_id
        at_cut = tie and entry.rank in (quota, quota + 1)
        await Nomination.create(
            round_id=round_id,
            category_id=category.id,
            participant_id=pid,
            status="nominee" if entry.within_quota else "reserve",
            rank=entry.rank,
            public_name=entry.participant.name[:128],
            figures=figures[pid].as_json(),
            evidence=packs[pid].model_dump(mode="json") if pid in packs else {},
            tie_at_cut=at_cut,
        )
    for exclusion in ranking.excluded:
        pid = exclusion.participant.participant_id
        await Nomination.create(
            round_id=round_id,
            category_id=category.id,
            participant_id=pid,
            status="excluded",
            rank=None,
            public_name=exclusion.participant.name[:128],
            figures=figures[pid].as_json(),
            evidence={},
            reasons=_reasons_json(exclusion.reasons),
        )


async def nominations_of(
    round_id: int, *, statuses: Sequence[str] | None = None
) -> list[Nomination]:
    query = Nomination.filter(round_id=round_id)
    if statuses is not None:
        query = query.filter(status__in=list(statuses))
    return list(
        await query.order_by("category_id", "rank", "id").prefetch_related(
            "participant", "category"
        )
    )


async def get_nomination(round_id: int, nomination_id: int) -> Nomination:
    found = await Nomination.get_or_none(id=nomination_id, round_id=round_id).prefetch_related(
        "participant", "category"
    )
    if found is None:
        raise NotFound(_("推荐记录不存在。"), field="nomination_id")
    return found


#: What the public list shows: on notice the nominees (and those removed after an upheld
#: objection, marked as such); once final, the awarded.
def public_statuses(found: CommendationRound) -> tuple[str, ...]:
    if found.state in ("notice", "cancelled"):
        return ("nominee", "removed")
    return ("awarded",)


def public_entry(nomination: Nomination) -> CommendationPublicEntry:
    """A nominee as the public list shows it: name, kind, category, rank, headline figures.
    Never the evidence pack, never an objector."""
    f = nomination.figures or {}
    return CommendationPublicEntry(
        nomination_id=nomination.id,
        name=nomination.public_name,
        kind=nomination.participant.kind,
        category=category_label(nomination.category),
        award_type=nomination.category.award_type,
        scope=nomination.category.scope,
        rank=nomination.rank,
        status=nomination.status,
        total_confirmed_fen=int(f.get("total_confirmed_fen", 0)),
        completed_needs=int(f.get("completed_needs", 0)),
        villages_reached=int(f.get("villages_reached", 0)),
        counties_reached=int(f.get("counties_reached", 0)),
    )


def office_entry(nomination: Nomination) -> CommendationNomination:
    """An entry as the office sees it: figures, and the exclusion reasons in this locale."""
    return CommendationNomination(
        id=nomination.id,
        category_id=nomination.category_id,
        award_type=nomination.category.award_type,
        scope=nomination.category.scope,
        participant_id=nomination.participant_id,
        name=nomination.public_name,
        status=nomination.status,
        rank=nomination.rank,
        tie_at_cut=nomination.tie_at_cut,
        figures=nomination.figures,
        reasons=[
            CommendationReason(code=r.get("code"), message=reason_text(r))
            for r in nomination.reasons or []
        ],
    )
