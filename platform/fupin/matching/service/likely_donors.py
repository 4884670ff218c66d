"""The likely donors of a need, for its county officers and the offices (docs/domain.md §3.11:
"county officers see, for an unfunded need, the participants most likely to fund it").

Candidates are the helpers of pairs over the need's region, the participants with named (not
anonymous) giving in its province, and those stating its category or region; each is profiled
from named giving only (``profiles``), so no reason ever reveals an anonymous donor, and ranked
by the pure :func:`fupin.matching.rules.likely_donors.rank_likely_donors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, can, require
from fupin.errors import RuleViolation
from fupin.i18n import _
from fupin.matching.rules.likely_donors import DonorMatch, rank_likely_donors
from fupin.matching.rules.ranking import CandidateNeed
from fupin.matching.rules.weights import DEFAULT_LIKELY_DONOR_WEIGHTS, LikelyDonorWeights
from fupin.matching.schemas import MAX_LIMIT, MatchReason
from fupin.matching.service import invitations
from fupin.matching.service.profiles import load_profiles
from fupin.matching.service.recommendations import shown
from fupin.matching.service.snapshot import CountyInfo, with_exact_figures
from fupin.matching.service.sql import CANDIDATE_COLUMNS, FROM, select
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.needs.rules import effective_state
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope

#: Participants considered per source (pair helpers are always considered).
LIKELY_HISTORY_LIMIT = 300
LIKELY_STATED_LIMIT = 300


@dataclass
class LikelyDonor:
    participant: Participant
    match: DonorMatch
    reasons: list[MatchReason]
    invited: bool = False
    invitations_this_week: int = 0

    @property
    def rounded_score(self) -> float:
        return round(self.match.score, 4)


@dataclass
class LikelyDonors:
    need: Need
    candidate: CandidateNeed | None
    items: list[LikelyDonor]
    is_open: bool
    #: invitations one participant may receive in any rolling week (``invitations``)
    weekly_limit: int = invitations.WEEKLY_LIMIT


async def _need_candidate(need: Need) -> CandidateNeed | None:
    """The need as the ranking sees it, with exact figures (None if it cannot be placed)."""
    rows = await select(f"SELECT {CANDIDATE_COLUMNS} {FROM} WHERE n.id = :id", id=need.id)
    info = await select(
        "SELECT code, name, prefecture_code, province_code, is_poverty_county, sanqu_sanzhou"
        " FROM region WHERE code = :code",
        code=need.county_code,
    )
    if not rows or not info:
        return None
    code, name, pref, prov, poor, sanqu = info[0]
    counties = {code: CountyInfo(name, pref or None, prov, bool(poor), bool(sanqu))}
    return (await with_exact_figures(rows, counties)).get(need.id)


def _quoted(code: str) -> str:
    return '%"' + code + '"%'


async def _likely_participant_ids(need: Need, candidate: CandidateNeed, today: date) -> list[int]:
    """Participants worth scoring for ``need``: helpers of pairs over its region, donors with
    non-anonymous giving in its province, and participants stating its category or region."""
    codes = sorted(candidate.region_codes)
    year = today.year
    ids = set(
        await Pair.filter(
            Q(end_year=None) | Q(end_year__gte=year),
            helped_region_id__in=codes,
            start_year__lte=year,
        ).values_list("helper_id", flat=True)
    )
    rows = await select(
        "SELECT p.participant_id, SUM(p.committed_fen) AS s FROM pledge p"
        " JOIN need n ON n.id = p.need_id WHERE n.province_code = :province"
        " AND p.anonymous = :no AND p.committed_fen > 0"
        " GROUP BY p.participant_id ORDER BY s DESC, p.participant_id LIMIT :limit",
        province=need.province_code,
        no=False,
        limit=LIKELY_HISTORY_LIMIT,
    )
    ids.update(int(r[0]) for r in rows)
    rows = await select(
        "SELECT d.donor_id, SUM(d.amount_fen) AS s FROM donation d"
        " JOIN need n ON n.id = d.need_id WHERE n.province_code = :province"
        " AND d.anonymous = :no AND d.state = :confirmed AND d.pledge_id IS NULL"
        " GROUP BY d.donor_id ORDER BY s DESC, d.donor_id LIMIT :limit",
        province=need.province_code,
        no=False,
        confirmed="confirmed",
        limit=LIKELY_HISTORY_LIMIT,
    )
    ids.update(int(r[0]) for r in rows if r[1] and int(r[1]) > 0)
    # Stated interests are JSON lists; a text match on the quoted code finds them on both
    # databases (codes are letters, digits and underscores: nothing to escape).
    params: dict[str, Any] = {"category": _quoted(need.category), "limit": LIKELY_STATED_LIMIT}
    likes = ["CAST(stated_categories AS TEXT) LIKE :category"]
    for i, code in enumerate(codes):
        params[f"region{i}"] = _quoted(code)
        likes.append(f"CAST(stated_region_codes AS TEXT) LIKE :region{i}")
    rows = await select(
        f"SELECT id FROM participant WHERE {' OR '.join(likes)} ORDER BY id DESC LIMIT :limit",
        **params,
    )
    ids.update(int(r[0]) for r in rows)
    return sorted(ids)


async def likely_donors(
    actor: Actor | None,
    need_id: int,
    *,
    limit: int = 20,
    weights: LikelyDonorWeights = DEFAULT_LIKELY_DONOR_WEIGHTS,
) -> LikelyDonors:
    """The participants most likely to fund a public need, with reasons (docs/domain.md §3.11), for the
    need's county officers and the provincial and national offices (policy:
    likely_donors.view). A need that is not public is "not found" for whoever may not see it;
    participants who already pledged to it, or marked it "not for us", are not listed."""
    need = await get_need(actor, need_id, details=False)
    require(actor, "likely_donors.view", need_scope(need))
    if need.state not in PUBLIC_STATES:
        raise RuleViolation(
            _("需求尚未发布，发布后才能查看可能的捐赠方。"), code="need_not_public", field="need_id"
        )
    today = today_cn()
    candidate = await _need_candidate(need)
    is_open = effective_state(need.state, need.deadline, today) == "published" and need.open_fen > 0
    if candidate is None or not is_open:
        return LikelyDonors(need, candidate, [], is_open)
    pids = await _likely_participant_ids(need, candidate, today)
    profiles = await load_profiles(pids, today=today, include_anonymous=False)
    ranked = rank_likely_donors(
        candidate,
        [p for _pid, (p, e) in sorted(profiles.items()) if need.id not in e.pledged_need_ids],
        weights=weights,
        limit=max(1, min(limit, MAX_LIMIT)),
    )
    people = {p.id: p for p in await Participant.filter(id__in=[m.participant_id for m in ranked])}
    invited = await invitations.invited_participants(need.id)
    weekly = await invitations.weekly_counts([m.participant_id for m in ranked])
    items = [
        LikelyDonor(
            participant=people[m.participant_id],
            match=m,
            reasons=shown(m.reasons),
            invited=m.participant_id in invited,
            invitations_this_week=weekly.get(m.participant_id, 0),
        )
        for m in ranked
        if m.participant_id in people
    ]
    return LikelyDonors(need, candidate, items, is_open)


def may_see_likely_donors(actor: Actor | None, need: Need) -> bool:
    """For links: whether the actor may open the likely-donors page of ``need``."""
    return can(actor, "likely_donors.view", need_scope(need))
