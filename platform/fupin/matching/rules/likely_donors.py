"""Matching in reverse: the participants most likely to fund one need, for its county officers
and the offices (docs/domain.md §3.11: "county officers see, for an unfunded need, the
participants most likely to fund it"). Pure, like :mod:`fupin.matching.rules.ranking`, whose
donor view and region test it shares; the weights are
:class:`fupin.matching.rules.weights.LikelyDonorWeights`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fupin.matching.rules.ranking import CandidateNeed, DonorProfile, DonorView, lies_in
from fupin.matching.rules.reasons import Reason
from fupin.matching.rules.weights import DEFAULT_LIKELY_DONOR_WEIGHTS, LikelyDonorWeights


@dataclass(frozen=True)
class DonorMatch:
    participant_id: int
    score: float
    reasons: tuple[Reason, ...]


def rank_likely_donors(
    need: CandidateNeed,
    donors: Sequence[DonorProfile],
    *,
    weights: LikelyDonorWeights = DEFAULT_LIKELY_DONOR_WEIGHTS,
    limit: int = 20,
) -> list[DonorMatch]:
    """Participants most likely to fund ``need``, best first, for its county officers.

    A donor is listed only with at least one reason tying it to this need (a pair, past giving
    here, a stated interest, or a typical pledge near the gap): an honour rate alone says how
    reliable a donor is, not that it would care about this need. Donors who marked this need
    "not for us" are left out; those who marked a similar one are demoted.
    """
    if limit < 0:
        raise ValueError("limit must not be negative")
    w = weights
    matches: list[DonorMatch] = []
    for donor in donors:
        if need.need_id in donor.not_for_us:
            continue
        hist = DonorView.of(donor)
        terms: list[tuple[float, Reason]] = []
        if lies_in(need, donor.paired_region_codes):
            terms.append(
                (w.pair_helps_county, Reason("pair_helps_county", {"county": need.county_name}))
            )
        if (need.category, need.province_code) in hist.category_provinces:
            terms.append(
                (
                    w.funded_category_in_province,
                    Reason("funded_category_in_province", {"category": need.category}),
                )
            )
        if need.county_code in hist.counties:
            terms.append(
                (w.funded_in_county, Reason("funded_in_county", {"county": need.county_name}))
            )
        if need.category in donor.stated_categories:
            terms.append(
                (
                    0.5 * w.stated_interest,
                    Reason("interested_in_category", {"category": need.category}),
                )
            )
        if lies_in(need, donor.stated_region_codes):
            terms.append(
                (
                    0.5 * w.stated_interest,
                    Reason("interested_in_region", {"county": need.county_name}),
                )
            )
        typical = donor.typical_pledge_fen
        if typical is not None and need.open_fen > 0:
            ratio = typical / need.open_fen
            if 1.0 / w.similar_pledge_band <= ratio <= w.similar_pledge_band:
                terms.append(
                    (
                        w.similar_pledge_size * min(ratio, 1.0 / ratio),
                        Reason("similar_pledge_size", {"amount_fen": typical}),
                    )
                )
        if not terms:
            continue
        if donor.honour_rate is not None:
            percent = int(donor.honour_rate * 100)
            terms.append(
                (w.honour_rate * donor.honour_rate, Reason("honour_rate", {"percent": percent}))
            )
        score = 0.0
        for value, _r in terms:
            score += value
        if (need.category, need.county_code) in donor.disliked:
            score -= w.dislike_penalty
        ordered = sorted(enumerate(terms), key=lambda t: (-t[1][0], t[0]))
        matches.append(
            DonorMatch(
                participant_id=donor.participant_id,
                score=score,
                reasons=tuple(r for _i, (_v, r) in ordered),
            )
        )
    matches.sort(key=lambda m: (-m.score, m.participant_id))
    return matches[:limit]
