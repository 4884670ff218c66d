"""Matching: "needs for you", the ranking of open needs for a donor (docs/domain.md §3.11).

Pure: no database, no HTTP. Callers build :class:`DonorProfile` and :class:`CandidateNeed` values
from the database (and the search backend's filters), pass them in, and get ranked results back,
each with the reasons that put it there. The reverse ranking, the likely donors of a need, is
:mod:`fupin.matching.rules.likely_donors`; the reasons and their sentences are
:mod:`fupin.matching.rules.reasons`. The formula is documented term by term in
``docs/matching.md``; the weights are data in :mod:`fupin.matching.rules.weights`.

Four promises, each covered by property tests (``tests/domain/test_matching.py``):

* **Every reason shown is true of that need.** A reason is only emitted by the same condition
  that makes it true (e.g. ``closes_soon`` carries the exact number of days left), and every
  recommendation carries at least one (the open amount, which is always true of an open need).
* **The equity boost only ever raises under-served places.** Villages and counties that received
  less than the mean of the candidates of their own poverty class (832 counties with 832
  counties, registered poor villages with poor villages) get a non-negative bonus, full in the
  places the policy targets and scaled down elsewhere; nobody is ever pushed down by it. This is
  the lesson of docs/domain.md §1: money otherwise piles up on a few famous places — and the
  answer is to spread it among the poor places, not away from them.
* **Saturation only ever lowers places far above their peers.** The mirror of the equity boost:
  a village or county that received more than the mean of its class loses up to its weight
  (scaled by the share of the need still open); every other place keeps exactly its score.
* **Same inputs, same order.** Ties are broken by ``need_id`` (``participant_id`` for donors),
  and pool statistics are computed from integers, so the candidates' order never matters.

Money is integer fen throughout; ``score`` is a float because it is a ranking, not an amount.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Protocol, TypeVar

from fupin.core.categories import CATEGORIES
from fupin.matching.rules.reasons import Reason
from fupin.matching.rules.weights import DEFAULT_WEIGHTS, Weights

#: The diversity cap applies to this many leading positions ("top ten" of a donor's list).
DIVERSITY_WINDOW = 10
#: A need is "many beneficiaries per yuan" when at least this share of candidates help fewer.
MANY_BENEFICIARIES_PERCENTILE = 0.75
#: ``nearly_funded`` is shown from this share of the target pledged (percent).
NEARLY_FUNDED_PERCENT = 50
#: ``pledge_matches_gap`` is shown when the donor's typical pledge covers at least this share of
#: a gap it cannot close alone (when it can, ``fits_typical_pledge`` says so).
PLEDGE_MATCHES_GAP = 0.75
#: Participant kinds whose pairs are designated assistance or east–west cooperation (docs/domain.md §3.3).
_PAIR_WORDING = {"central_unit": "designated", "east_partner": "east_west"}


@dataclass(frozen=True)
class PastGift:
    """Money a donor pledged or gave before, summed per category and county."""

    category: str
    county_code: str
    province_code: str
    amount_fen: int

    def __post_init__(self) -> None:
        if self.amount_fen < 0:
            raise ValueError("PastGift.amount_fen must not be negative")


@dataclass(frozen=True)
class DonorProfile:
    """What the platform knows about one participant, for matching.

    ``paired_region_codes`` holds the helped-region codes of the participant's cooperation pairs
    in force (a pair may help a province, prefecture or county, docs/domain.md §3.3); a need matches when
    any of its own codes (village … province) is in the set, so no code-prefix guessing is done.
    ``disliked`` holds (category, county_code) of the needs marked "not for us" (see
    :func:`dislikes_from_marks`); similar needs are demoted, the marked ones excluded.
    """

    participant_id: int
    kind: str
    paired_region_codes: frozenset[str] = frozenset()
    stated_categories: frozenset[str] = frozenset()
    stated_region_codes: frozenset[str] = frozenset()
    history: tuple[PastGift, ...] = ()
    #: median pledge in fen; ``None`` for a participant that has not pledged yet
    typical_pledge_fen: int | None = None
    #: honoured / due (docs/domain.md §3.5); ``None`` when nothing has fallen due yet
    honour_rate: float | None = None
    not_for_us: frozenset[int] = frozenset()
    disliked: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        if self.typical_pledge_fen is not None and self.typical_pledge_fen <= 0:
            raise ValueError("DonorProfile.typical_pledge_fen must be positive or None")
        if self.honour_rate is not None and not 0.0 <= self.honour_rate <= 1.0:
            raise ValueError("DonorProfile.honour_rate must lie in [0, 1]")
        unknown = self.stated_categories - CATEGORIES.keys()
        if unknown:
            raise ValueError(f"DonorProfile.stated_categories: unknown {sorted(unknown)}")


class _MarkedNeed(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def county_code(self) -> str: ...


def dislikes_from_marks(marked: Iterable[_MarkedNeed]) -> frozenset[tuple[str, str]]:
    """Learn from "not for us" marks: the (category, county) of each marked need.

    A donor who waved off a drinking-water project in one county is unlikely to want the next
    one there; a road in the same county, or water elsewhere, is not demoted.
    """
    return frozenset((m.category, m.county_code) for m in marked)


@dataclass(frozen=True)
class CandidateNeed:
    """A published, open need with the figures the ranking looks at.

    ``village_code`` and ``township_code`` are ``None`` for county-wide needs (docs/domain.md §3.4);
    ``prefecture_code`` is ``None`` for counties directly under a province. ``*_received_fen``
    is money already received (docs/domain.md §3.6) by the whole village / county on the platform;
    ``village_donor_count`` is how many distinct participants pledged to or gave for any need in
    the village (it makes "no donor yet in this village" checkable).
    """

    need_id: int
    category: str
    village_code: str | None
    township_code: str | None
    county_code: str
    prefecture_code: str | None
    province_code: str
    county_name: str
    is_poverty_county: bool
    sanqu_sanzhou: bool
    target_fen: int
    open_fen: int
    deadline: date
    published: date
    beneficiary_people: int
    pledger_count: int
    village_received_fen: int
    county_received_fen: int
    village_donor_count: int
    #: 建档立卡贫困村: the flag the county keeps (regions; False for a county-wide need)
    is_poor_village: bool = False

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"CandidateNeed.category: unknown {self.category!r}")
        if self.village_code == "" or self.township_code == "":
            raise ValueError("CandidateNeed: use None, not an empty code, for county-wide needs")
        if self.target_fen <= 0:
            raise ValueError("CandidateNeed.target_fen must be positive")
        if not 0 <= self.open_fen <= self.target_fen:
            raise ValueError("CandidateNeed.open_fen must lie in [0, target_fen]")
        for name in (
            "beneficiary_people",
            "pledger_count",
            "village_received_fen",
            "county_received_fen",
            "village_donor_count",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"CandidateNeed.{name} must not be negative")

    @property
    def region_codes(self) -> frozenset[str]:
        """All codes this need lies in, village up to province."""
        codes = (
            self.village_code,
            self.township_code,
            self.county_code,
            self.prefecture_code,
            self.province_code,
        )
        return frozenset(c for c in codes if c)

    @property
    def place_key(self) -> str:
        """The diversity cap's unit: the village, or the county for county-wide needs."""
        return self.village_code or f"county:{self.county_code}"

    @property
    def people_per_10k_yuan(self) -> float:
        """People helped per 10,000 yuan of the target (1,000,000 fen)."""
        return self.beneficiary_people * 1_000_000 / self.target_fen


#: Peer classes of the equity boost. A county is compared with counties of its own class (the
#: 832 former national poverty counties, or the others), a village with villages of its own
#: class (registered poor villages, or the others): a county that has little only because few
#: donors look at non-poverty counties is not thereby under-served.
COUNTY_CLASSES = ("poverty_county", "other")
VILLAGE_CLASSES = ("poor_village", "other")


def county_class(need: CandidateNeed) -> str:
    return "poverty_county" if need.is_poverty_county else "other"


def village_class(need: CandidateNeed) -> str:
    return "poor_village" if need.is_poor_village else "other"


def is_targeted(need: CandidateNeed, *, village: bool) -> bool:
    """Whether the place is one the policy targets: an 832 county, or (for the village terms)
    also a registered poor village elsewhere. The equity boost of other places is scaled by
    ``Weights.equity_scale_other``."""
    return need.is_poverty_county or (village and need.is_poor_village)


@dataclass(frozen=True)
class CandidatePool:
    """Statistics of the candidate set that the relative terms compare against.

    Build it once with :meth:`from_needs` when ranking the same candidates for many donors.
    Means are taken over distinct villages / counties (one figure per place) of each peer class,
    from integer sums, so they do not depend on the candidates' order.
    """

    #: mean money received per village, by village class (``VILLAGE_CLASSES``)
    village_references_fen: Mapping[str, float]
    #: mean money received per county, by county class (``COUNTY_CLASSES``)
    county_references_fen: Mapping[str, float]
    people_per_10k_yuan_sorted: tuple[float, ...]

    @classmethod
    def from_needs(cls, needs: Iterable[CandidateNeed]) -> CandidatePool:
        villages: dict[str, dict[str, int]] = {c: {} for c in VILLAGE_CLASSES}
        counties: dict[str, dict[str, int]] = {c: {} for c in COUNTY_CLASSES}
        ratios: list[float] = []
        for n in needs:
            if n.village_code is not None:
                places = villages[village_class(n)]
                places[n.village_code] = max(places.get(n.village_code, 0), n.village_received_fen)
            places = counties[county_class(n)]
            places[n.county_code] = max(places.get(n.county_code, 0), n.county_received_fen)
            ratios.append(n.people_per_10k_yuan)
        return cls(
            village_references_fen={c: _mean(v.values()) for c, v in villages.items()},
            county_references_fen={c: _mean(v.values()) for c, v in counties.items()},
            people_per_10k_yuan_sorted=tuple(sorted(ratios)),
        )

    def village_reference_fen(self, need: CandidateNeed) -> float:
        """The mean money received by the villages of the need's village class."""
        return self.village_references_fen.get(village_class(need), 0.0)

    def county_reference_fen(self, need: CandidateNeed) -> float:
        """The mean money received by the counties of the need's county class."""
        return self.county_references_fen.get(county_class(need), 0.0)

    def percentile(self, people_per_10k_yuan: float) -> float:
        """Share of candidates that help strictly fewer people per yuan, in [0, 1)."""
        if not self.people_per_10k_yuan_sorted:
            return 0.0
        below = bisect.bisect_left(self.people_per_10k_yuan_sorted, people_per_10k_yuan)
        return below / len(self.people_per_10k_yuan_sorted)


def _mean(values: Iterable[int]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def equity_gap(received_fen: int, reference_fen: float) -> float:
    """How under-served a place is, in [0, 1]: ``1 - min(1, received / reference)``.

    0 for places at or above the reference (they are left exactly where they were: the boost
    never lowers anyone); 1 for places that received nothing. With a zero reference nobody has
    received anything, every place gets 1, and the boost changes no order.
    """
    if reference_fen <= 0:
        return 1.0
    return 1.0 - min(1.0, received_fen / reference_fen)


def saturation(received_fen: int, reference_fen: float) -> float:
    """How far above its peers a place is, in [0, 1): ``1 - reference / received`` above the
    reference, else 0.

    The mirror of :func:`equity_gap`: 0 for places at or below the mean of their class (they
    keep exactly their score), 0.5 at twice the mean, approaching 1 for a famous village that
    took many times what its peers did. With a zero reference nobody has received anything and
    nobody is lowered.
    """
    if reference_fen <= 0 or received_fen <= reference_fen:
        return 0.0
    return 1.0 - reference_fen / received_fen


@dataclass(frozen=True)
class Recommendation:
    need_id: int
    score: float
    reasons: tuple[Reason, ...]


def lies_in(need: CandidateNeed, codes: frozenset[str]) -> bool:
    """Whether any of the need's own codes (village … province) is in ``codes``."""
    if not codes:
        return False
    return (
        need.county_code in codes
        or need.province_code in codes
        or (need.prefecture_code is not None and need.prefecture_code in codes)
        or (need.township_code is not None and need.township_code in codes)
        or (need.village_code is not None and need.village_code in codes)
    )


@dataclass(frozen=True)
class DonorView:
    """The donor folded into the lookups the terms need (built once per ranking call)."""

    profile: DonorProfile
    category_share: Mapping[str, float]
    counties: frozenset[str]
    provinces: frozenset[str]
    category_provinces: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, profile: DonorProfile) -> DonorView:
        by_category: dict[str, int] = {}
        total = 0
        for g in profile.history:
            by_category[g.category] = by_category.get(g.category, 0) + g.amount_fen
            total += g.amount_fen
        given = [g for g in profile.history if g.amount_fen > 0]
        return cls(
            profile=profile,
            category_share={c: v / total for c, v in by_category.items() if v > 0},
            counties=frozenset(g.county_code for g in given),
            provinces=frozenset(g.province_code for g in given),
            category_provinces=frozenset((g.category, g.province_code) for g in given),
        )


def evaluate(
    donor: DonorView,
    need: CandidateNeed,
    *,
    today: date,
    w: Weights,
    pool: CandidatePool,
    explain: bool,
) -> tuple[float, list[tuple[float, Reason]]]:
    """Score = sum of weight × term (each term in [0, 1]) minus the dislike penalty.

    With ``explain`` the reasons are built too, by the same branches that add the terms, so a
    reason exists only where its condition held. Without it (ranking thousands of candidates)
    nothing but the float is computed; the returned needs are explained afterwards.
    """
    p = donor.profile
    score = 0.0
    out: list[tuple[float, Reason]] = []

    if lies_in(need, p.paired_region_codes):
        score += w.paired_region
        if explain:
            pair = _PAIR_WORDING.get(p.kind, "pair")
            params = {"county": need.county_name, "pair": pair}
            out.append((w.paired_region, Reason("in_paired_region", params)))
    if need.category in p.stated_categories:
        score += w.stated_category
        if explain:
            out.append((w.stated_category, Reason("stated_category", {"category": need.category})))
    if lies_in(need, p.stated_region_codes):
        score += w.stated_region
        if explain:
            out.append((w.stated_region, Reason("stated_region", {"county": need.county_name})))
    share = donor.category_share.get(need.category, 0.0)
    if share > 0.0:
        v = w.funded_before_category * share
        score += v
        if explain:
            out.append((v, Reason("funded_before_category", {"category": need.category})))
    level = (
        "county"
        if need.county_code in donor.counties
        else "province"
        if need.province_code in donor.provinces
        else None
    )
    if level is not None:
        v = w.funded_before_region * (1.0 if level == "county" else 0.5)
        score += v
        if explain:
            params = {"county": need.county_name, "level": level}
            out.append((v, Reason("funded_before_region", params)))

    days_left = (need.deadline - today).days
    v = w.urgency * min(1.0, max(0.0, 1.0 - days_left / w.urgency_horizon_days))
    score += v
    if explain and 0 <= days_left <= w.closes_soon_days:
        out.append((v, Reason("closes_soon", {"days": days_left})))

    typical = p.typical_pledge_fen
    if typical is not None and need.open_fen > 0:
        v = w.fits_typical_pledge * min(1.0, typical / need.open_fen)
        score += v
        if explain and typical >= need.open_fen:
            out.append((v, Reason("fits_typical_pledge", {"amount_fen": typical})))
        if w.pledge_matches_gap > 0:  # off by default: skip the work per candidate
            closeness = min(typical / need.open_fen, need.open_fen / typical)
            v = w.pledge_matches_gap * closeness
            score += v
            if explain and typical < need.open_fen and closeness >= PLEDGE_MATCHES_GAP:
                sizes = {"amount_fen": typical, "gap_fen": need.open_fen}
                out.append((v, Reason("pledge_matches_gap", sizes)))

    pledged = need.target_fen - need.open_fen
    v = w.progress * pledged / need.target_fen
    score += v
    if explain:
        percent = pledged * 100 // need.target_fen
        if percent >= NEARLY_FUNDED_PERCENT:
            out.append((v, Reason("nearly_funded", {"percent": percent})))

    people = need.people_per_10k_yuan
    rank = pool.percentile(people)
    v = w.beneficiaries_per_yuan * rank
    score += v
    if explain and rank >= MANY_BENEFICIARIES_PERCENTILE:
        out.append((v, Reason("many_beneficiaries_per_yuan", {"people": round(people, 1)})))

    # Saturation lowers a need the less, the less of it is still open: finishing a need already
    # under way adds little money to a place that has much, and completes a project.
    still_open = need.open_fen / need.target_fen
    if need.village_code is not None:
        scale = 1.0 if is_targeted(need, village=True) else w.equity_scale_other
        reference = pool.village_reference_fen(need)
        v = scale * w.equity_village * equity_gap(need.village_received_fen, reference)
        score += v
        if explain and v > 0 and need.village_received_fen < reference:
            out.append((v, Reason("underserved_village", {"peers": village_class(need)})))
        v = 0.0
        if w.saturation_village > 0:  # off by default: skip the work per candidate
            v = w.saturation_village * saturation(need.village_received_fen, reference) * still_open
        if v > 0:
            score -= v
            if explain:
                out.append((-v, Reason("well_funded_village", {"peers": village_class(need)})))
        if need.village_donor_count == 0:
            v = scale * w.no_donor_yet
            score += v
            if explain and v > 0:
                out.append((v, Reason("no_donor_yet_in_village")))
    scale = 1.0 if is_targeted(need, village=False) else w.equity_scale_other
    reference = pool.county_reference_fen(need)
    v = scale * w.equity_county * equity_gap(need.county_received_fen, reference)
    score += v
    if explain and v > 0 and need.county_received_fen < reference:
        params = {"county": need.county_name, "peers": county_class(need)}
        out.append((v, Reason("underserved_county", params)))
    v = 0.0
    if w.saturation_county > 0:
        v = w.saturation_county * saturation(need.county_received_fen, reference) * still_open
    if v > 0:
        score -= v
        if explain:
            params = {"county": need.county_name, "peers": county_class(need)}
            out.append((-v, Reason("well_funded_county", params)))

    if need.is_poverty_county:
        score += w.poverty_county
        if explain:
            params = {"county": need.county_name}
            out.append((w.poverty_county, Reason("poverty_county", params)))
    if need.sanqu_sanzhou:
        score += w.deep_poverty_area
        if explain:
            out.append((w.deep_poverty_area, Reason("sanqu_sanzhou")))
    if need.village_code is not None and need.is_poor_village:
        score += w.poor_village
        if explain:
            out.append((w.poor_village, Reason("poor_village")))

    if (need.category, need.county_code) in p.disliked:
        score -= w.dislike_penalty
    return score, out


def _ordered_reasons(terms: list[tuple[float, Reason]], need: CandidateNeed) -> tuple[Reason, ...]:
    """Biggest contribution first (stable on ties); the open amount, always true, comes last."""
    ordered = sorted(range(len(terms)), key=lambda i: (-terms[i][0], i))
    reasons = [terms[i][1] for i in ordered]
    reasons.append(Reason("open_amount", {"amount_fen": need.open_fen}))
    return tuple(reasons)


def score_need(
    profile: DonorProfile,
    need: CandidateNeed,
    *,
    today: date,
    weights: Weights = DEFAULT_WEIGHTS,
    pool: CandidatePool,
) -> Recommendation:
    """Score and explain one need for one donor (the formula: docs/matching.md)."""
    score, terms = evaluate(
        DonorView.of(profile), need, today=today, w=weights, pool=pool, explain=True
    )
    return Recommendation(need.need_id, score, _ordered_reasons(terms, need))


def is_candidate(profile: DonorProfile, need: CandidateNeed, *, today: date) -> bool:
    """Open, not past its deadline, and not marked "not for us" by this donor."""
    return need.open_fen > 0 and need.deadline >= today and need.need_id not in profile.not_for_us


def rank_needs(
    profile: DonorProfile,
    candidates: Sequence[CandidateNeed],
    *,
    today: date,
    weights: Weights = DEFAULT_WEIGHTS,
    limit: int = 20,
    max_per_village: int = 2,
    pool: CandidatePool | None = None,
) -> list[Recommendation]:
    """The donor's "needs for you", best first, each with its reasons.

    ``pool`` defaults to the statistics of the eligible candidates (the equity boost and the
    beneficiaries-per-yuan percentile are relative to what is being ranked); pass one built
    once when ranking the same candidates for many donors. Needs the donor marked "not for
    us", fully pledged or past their deadline are left out. Within the first
    :data:`DIVERSITY_WINDOW` positions no village appears more than ``max_per_village`` times,
    unless every candidate from other villages is already placed (then the list is filled
    from the deferred ones rather than cut short). Ties: lower ``need_id`` first.
    """
    if limit < 0:
        raise ValueError("limit must not be negative")
    if max_per_village < 1:
        raise ValueError("max_per_village must be at least 1")
    eligible = [n for n in candidates if is_candidate(profile, n, today=today)]
    if pool is None:
        pool = CandidatePool.from_needs(eligible)
    donor = DonorView.of(profile)
    keyed = [
        (-evaluate(donor, n, today=today, w=weights, pool=pool, explain=False)[0], n.need_id, n)
        for n in eligible
    ]
    keyed.sort(key=lambda t: (t[0], t[1]))
    order = apply_diversity_cap(
        ((n.place_key, n) for _s, _id, n in keyed), max_per_village=max_per_village, limit=limit
    )
    result = []
    for need in order:
        score, terms = evaluate(donor, need, today=today, w=weights, pool=pool, explain=True)
        result.append(Recommendation(need.need_id, score, _ordered_reasons(terms, need)))
    return result


_T = TypeVar("_T")


def apply_diversity_cap(
    ranked: Iterable[tuple[str, _T]],
    *,
    max_per_village: int,
    limit: int,
    window: int = DIVERSITY_WINDOW,
) -> list[_T]:
    """Greedy re-rank of (village key, item) pairs already in rank order.

    The first ``window`` places are filled in order, skipping items whose village already
    holds ``max_per_village`` of them; skipped items keep their relative order and follow.
    Returns at most ``limit`` items; ``ranked`` is consumed lazily, only as far as needed.
    """
    head: list[_T] = []
    deferred: list[_T] = []
    counts: dict[str, int] = {}
    it = iter(ranked)
    for key, item in it:
        if counts.get(key, 0) < max_per_village:
            counts[key] = counts.get(key, 0) + 1
            head.append(item)
            if len(head) >= min(window, limit):
                break
        else:
            deferred.append(item)
    if len(head) >= limit:
        return head[:limit]
    # Deferred items rank above everything not yet consumed (they came earlier in the order).
    wanted = limit - len(head)
    tail = deferred[:wanted]
    tail.extend(item for _key, item in islice(it, max(0, wanted - len(tail))))
    return head + tail
