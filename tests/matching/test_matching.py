"""The matching ranking: property tests of its promises, and table tests of the parts.

The properties the issue names: a need in the donor's paired county outranks an otherwise equal
one; reasons are always present and true; the equity boost only ever raises under-served places;
same inputs, same order; the diversity cap holds; weights out of range are refused. Reasons are
checked against an oracle written here from docs/matching.md, not against the implementation.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.categories import CATEGORY_CODES
from fupin.core.money import format_yuan
from fupin.i18n import current_locale
from fupin.matching.rules.likely_donors import rank_likely_donors
from fupin.matching.rules.ranking import (
    DIVERSITY_WINDOW,
    CandidateNeed,
    CandidatePool,
    DonorProfile,
    PastGift,
    dislikes_from_marks,
    equity_gap,
    rank_needs,
    saturation,
    score_need,
)
from fupin.matching.rules.reasons import Reason, render_reason
from fupin.matching.rules.weights import (
    DEFAULT_LIKELY_DONOR_WEIGHTS,
    DEFAULT_WEIGHTS,
    LIKELY_DONOR_WEIGHT_RANGES,
    WEIGHT_RANGES,
    LikelyDonorWeights,
    WeightOutOfRange,
    Weights,
    weights_from_mapping,
)

TODAY = date(2024, 5, 1)
PROPERTY = settings(max_examples=60, deadline=None)

#: (county, prefecture or None, province, name): real codes, two provinces, one county directly
#: under its province (济源市) so a missing prefecture is exercised.
COUNTIES = (
    ("520525", "520500", "520000", "纳雍县"),
    ("520527", "520500", "520000", "赫章县"),
    ("522328", "522300", "520000", "安龙县"),
    ("130531", "130500", "130000", "广宗县"),
    ("130826", "130800", "130000", "丰宁满族自治县"),
    ("419001", None, "410000", "济源市"),
)
ALL_CODES = sorted({c for row in COUNTIES for c in row[:3] if c})


def village_code(county: str, town: int, village: int) -> str:
    return f"{county}{100 + town:03d}{200 + village:03d}"


def make_need(need_id: int, county_index: int = 0, **changes: object) -> CandidateNeed:
    county, prefecture, province, name = COUNTIES[county_index]
    values: dict[str, object] = {
        "need_id": need_id,
        "category": "roads",
        "village_code": village_code(county, 0, need_id % 50),
        "township_code": f"{county}100",
        "county_code": county,
        "prefecture_code": prefecture,
        "province_code": province,
        "county_name": name,
        "is_poverty_county": True,
        "sanqu_sanzhou": False,
        "target_fen": 2_000_000,
        "open_fen": 1_200_000,
        "deadline": TODAY + timedelta(days=40),
        "published": TODAY - timedelta(days=5),
        "beneficiary_people": 300,
        "pledger_count": 0,
        "village_received_fen": 0,
        "county_received_fen": 0,
        "village_donor_count": 0,
    }
    values.update(changes)
    return CandidateNeed(**values)  # type: ignore[arg-type]


# --- strategies ---------------------------------------------------------------------------

money = st.integers(min_value=0, max_value=10**9)


@st.composite
def need_lists(draw: st.DrawFn, min_size: int = 0, max_size: int = 25) -> list[CandidateNeed]:
    """Needs over a few counties and villages, with consistent per-village/county figures."""
    size = draw(st.integers(min_size, max_size))
    county_received = {c[0]: draw(st.sampled_from([0, 0, 500_000, 10**7, 10**8])) for c in COUNTIES}
    # Flags belong to the place, not to the need: every need of a county (village) shares them.
    poverty = {c[0]: draw(st.booleans()) for c in COUNTIES}
    sanqu = {c[0]: poverty[c[0]] and draw(st.booleans()) for c in COUNTIES}
    needs = []
    village_figures: dict[str, tuple[int, int, bool]] = {}
    for i in range(size):
        ci = draw(st.integers(0, len(COUNTIES) - 1))
        county, prefecture, province, name = COUNTIES[ci]
        wide = draw(st.integers(0, 9)) == 0  # a county-wide need
        town, vil = draw(st.integers(0, 1)), draw(st.integers(0, 2))
        code = None if wide else village_code(county, town, vil)
        if code is not None and code not in village_figures:
            village_figures[code] = (
                draw(st.sampled_from([0, 0, 100_000, 3_000_000, 50_000_000])),
                draw(st.integers(0, 3)),
                draw(st.booleans()),
            )
        received, donors, poor = village_figures[code] if code else (0, 0, False)
        target = draw(st.integers(100, 10**9))
        open_fen = draw(st.integers(0, target))
        published = TODAY - timedelta(days=draw(st.integers(0, 90)))
        needs.append(
            CandidateNeed(
                need_id=i + 1,
                category=draw(st.sampled_from(CATEGORY_CODES)),
                village_code=code,
                township_code=None if wide else f"{county}{100 + town:03d}",
                county_code=county,
                prefecture_code=prefecture,
                province_code=province,
                county_name=name,
                is_poverty_county=poverty[county],
                sanqu_sanzhou=sanqu[county],
                target_fen=target,
                open_fen=open_fen,
                deadline=TODAY + timedelta(days=draw(st.integers(-3, 120))),
                published=published,
                beneficiary_people=draw(st.integers(0, 5000)),
                pledger_count=draw(st.integers(0, 5)),
                village_received_fen=received,
                county_received_fen=county_received[county],
                village_donor_count=donors,
                is_poor_village=poor,
            )
        )
    return needs


@st.composite
def profiles(draw: st.DrawFn, need_ids: list[int] | None = None) -> DonorProfile:
    history = tuple(
        PastGift(
            category=draw(st.sampled_from(CATEGORY_CODES)),
            county_code=(row := draw(st.sampled_from(COUNTIES)))[0],
            province_code=row[2],
            amount_fen=draw(st.integers(0, 10**8)),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    disliked = draw(
        st.frozensets(
            st.tuples(st.sampled_from(CATEGORY_CODES), st.sampled_from([c[0] for c in COUNTIES])),
            max_size=4,
        )
    )
    return DonorProfile(
        participant_id=draw(st.integers(1, 10**6)),
        kind=draw(st.sampled_from(["enterprise", "individual", "central_unit", "east_partner"])),
        paired_region_codes=draw(st.frozensets(st.sampled_from(ALL_CODES), max_size=3)),
        stated_categories=draw(st.frozensets(st.sampled_from(CATEGORY_CODES), max_size=3)),
        stated_region_codes=draw(st.frozensets(st.sampled_from(ALL_CODES), max_size=2)),
        history=history,
        typical_pledge_fen=draw(st.none() | st.integers(1, 10**8)),
        honour_rate=draw(st.none() | st.floats(0.0, 1.0)),
        not_for_us=draw(st.frozensets(st.sampled_from(need_ids), max_size=3))
        if need_ids
        else frozenset(),
        disliked=disliked,
    )


@st.composite
def scenarios(draw: st.DrawFn, min_size: int = 0) -> tuple[DonorProfile, list[CandidateNeed]]:
    needs = draw(need_lists(min_size=min_size))
    profile = draw(profiles([n.need_id for n in needs]))
    return profile, needs


def eligible(profile: DonorProfile, needs: list[CandidateNeed]) -> list[CandidateNeed]:
    return [
        n
        for n in needs
        if n.open_fen > 0 and n.deadline >= TODAY and n.need_id not in profile.not_for_us
    ]


# --- the oracle: what each reason claims, checked from the raw inputs ------------------------


def mean_over_places(needs: list[CandidateNeed], key: str, value: str) -> float:
    per_place = {getattr(n, key): getattr(n, value) for n in needs if getattr(n, key)}
    return statistics.fmean(per_place.values()) if per_place else 0.0


def village_peers(need: CandidateNeed) -> str:
    return "poor_village" if need.is_poor_village else "other"


def county_peers(need: CandidateNeed) -> str:
    return "poverty_county" if need.is_poverty_county else "other"


def village_reference(need: CandidateNeed, pool: list[CandidateNeed]) -> float:
    """Mean money received by the villages of the need's class (poor villages or the others)."""
    peers = [n for n in pool if village_peers(n) == village_peers(need)]
    return mean_over_places(peers, "village_code", "village_received_fen")


def county_reference(need: CandidateNeed, pool: list[CandidateNeed]) -> float:
    """Mean money received by the counties of the need's class (the 832 or the others)."""
    peers = [n for n in pool if county_peers(n) == county_peers(need)]
    return mean_over_places(peers, "county_code", "county_received_fen")


def equity_counts(need: CandidateNeed, *, village: bool) -> bool:
    """Whether the equity terms can raise this place at all with the default weights: always in
    an 832 county (or, for the village terms, a registered poor village), elsewhere only with a
    positive ``equity_scale_other``."""
    targeted = need.is_poverty_county or (village and need.is_poor_village)
    return targeted or DEFAULT_WEIGHTS.equity_scale_other > 0


def reason_is_true(
    code: str,
    params: dict,
    need: CandidateNeed,
    profile: DonorProfile,
    pool: list[CandidateNeed],
    w: Weights = DEFAULT_WEIGHTS,
) -> bool:
    codes = {
        need.village_code,
        need.township_code,
        need.county_code,
        need.prefecture_code,
        need.province_code,
    } - {None}
    gifts = [g for g in profile.history if g.amount_fen > 0]
    ppy = need.beneficiary_people * 1_000_000 / need.target_fen
    if code == "in_paired_region":
        wording = {"central_unit": "designated", "east_partner": "east_west"}.get(
            profile.kind, "pair"
        )
        return bool(codes & profile.paired_region_codes) and params == {
            "county": need.county_name,
            "pair": wording,
        }
    if code == "stated_category":
        return need.category in profile.stated_categories and params == {"category": need.category}
    if code == "stated_region":
        return bool(codes & profile.stated_region_codes) and params == {"county": need.county_name}
    if code == "funded_before_category":
        return any(g.category == need.category for g in gifts) and params == {
            "category": need.category
        }
    if code == "funded_before_region":
        in_county = any(g.county_code == need.county_code for g in gifts)
        in_province = any(g.province_code == need.province_code for g in gifts)
        level = params["level"]
        return params["county"] == need.county_name and (
            (level == "county" and in_county)
            or (level == "province" and in_province and not in_county)
        )
    if code == "closes_soon":
        days = (need.deadline - TODAY).days
        return params == {"days": days} and 0 <= days <= DEFAULT_WEIGHTS.closes_soon_days
    if code == "fits_typical_pledge":
        typical = profile.typical_pledge_fen
        return (
            typical is not None and typical >= need.open_fen and params == {"amount_fen": typical}
        )
    if code == "nearly_funded":
        percent = (need.target_fen - need.open_fen) * 100 // need.target_fen
        return params == {"percent": percent} and percent >= 50
    if code == "many_beneficiaries_per_yuan":
        others = [n.beneficiary_people * 1_000_000 / n.target_fen for n in pool]
        fewer = sum(1 for x in others if x < ppy)
        return fewer >= 0.75 * len(others) and math.isclose(params["people"], ppy, abs_tol=0.051)
    if code == "underserved_village":
        return (
            need.village_code is not None
            and equity_counts(need, village=True)
            and need.village_received_fen < village_reference(need, pool)
            and params == {"peers": village_peers(need)}
        )
    if code == "no_donor_yet_in_village":
        return (
            need.village_code is not None
            and equity_counts(need, village=True)
            and need.village_donor_count == 0
            and not params
        )
    if code == "underserved_county":
        return (
            equity_counts(need, village=False)
            and need.county_received_fen < county_reference(need, pool)
            and params == {"county": need.county_name, "peers": county_peers(need)}
        )
    if code == "pledge_matches_gap":
        typical = profile.typical_pledge_fen
        return (
            w.pledge_matches_gap > 0
            and typical is not None
            and typical < need.open_fen
            and typical >= 0.75 * need.open_fen
            and params == {"amount_fen": typical, "gap_fen": need.open_fen}
        )
    if code == "well_funded_village":
        return (
            w.saturation_village > 0
            and need.village_code is not None
            and need.village_received_fen > village_reference(need, pool) > 0
            and params == {"peers": village_peers(need)}
        )
    if code == "well_funded_county":
        return (
            w.saturation_county > 0
            and need.county_received_fen > county_reference(need, pool) > 0
            and params == {"county": need.county_name, "peers": county_peers(need)}
        )
    if code == "poverty_county":
        return need.is_poverty_county and params == {"county": need.county_name}
    if code == "sanqu_sanzhou":
        return need.sanqu_sanzhou and not params
    if code == "poor_village":
        return need.village_code is not None and need.is_poor_village and not params
    if code == "open_amount":
        return params == {"amount_fen": need.open_fen}
    return False


# --- properties ---------------------------------------------------------------------------


#: Every term switched on, the saturation and gap-size terms too (whatever the defaults are), so
#: the properties below exercise each branch.
ALL_TERMS = replace(
    DEFAULT_WEIGHTS, pledge_matches_gap=3.0, saturation_village=3.0, saturation_county=2.0
)


@PROPERTY
@given(scenarios(), st.integers(1, 3), st.sampled_from([DEFAULT_WEIGHTS, ALL_TERMS]))
def test_every_recommendation_has_reasons_and_each_is_true(
    scenario, max_per_village, weights
) -> None:
    profile, needs = scenario
    by_id = {n.need_id: n for n in needs}
    pool = eligible(profile, needs)
    recs = rank_needs(
        profile,
        needs,
        today=TODAY,
        weights=weights,
        limit=len(needs),
        max_per_village=max_per_village,
    )
    assert {r.need_id for r in recs} == {n.need_id for n in pool}
    for rec in recs:
        assert rec.reasons, rec
        assert rec.reasons[-1].code == "open_amount"
        for reason in rec.reasons:
            assert reason_is_true(
                reason.code, dict(reason.params), by_id[rec.need_id], profile, pool, weights
            ), reason
            assert render_reason(reason)


@PROPERTY
@given(
    scenarios(),
    st.sampled_from(CATEGORY_CODES),
    st.integers(0, 80),
    st.integers(1, 10**8),
    st.booleans(),
)
def test_need_in_paired_county_outranks_an_otherwise_equal_one(
    scenario, category, days_left, open_fen, poverty
) -> None:
    profile, needs = scenario
    # Twins in two fresh counties of fresh provinces; the profile pairs only the first one and
    # knows nothing else that tells them apart.
    twin = {
        "category": category,
        "township_code": None,
        "prefecture_code": None,
        "target_fen": open_fen * 2,
        "open_fen": open_fen,
        "deadline": TODAY + timedelta(days=days_left),
        "is_poverty_county": poverty,
        "village_received_fen": 0,
        "county_received_fen": 0,
        "village_donor_count": 0,
    }
    paired = make_need(
        10_001,
        county_code="910101",
        province_code="910000",
        village_code="910101100200",
        county_name="甲县",
        **twin,
    )
    other = make_need(
        10_002,
        county_code="920101",
        province_code="920000",
        village_code="920101100200",
        county_name="乙县",
        **twin,
    )
    profile = replace(profile, paired_region_codes=profile.paired_region_codes | {"910101"})
    recs = rank_needs(profile, [*needs, other, paired], today=TODAY, limit=len(needs) + 2)
    order = [r.need_id for r in recs]
    assert order.index(10_001) < order.index(10_002)
    first = next(r for r in recs if r.need_id == 10_001)
    assert first.reasons[0].code == "in_paired_region"


@PROPERTY
@given(scenarios())
def test_equity_boost_never_lowers_anyone_and_raises_only_under_served_places(scenario) -> None:
    profile, needs = scenario
    candidates = eligible(profile, needs)
    pool = CandidatePool.from_needs(candidates)
    flat = replace(DEFAULT_WEIGHTS, equity_village=0.0, equity_county=0.0, no_donor_yet=0.0)
    for need in candidates:
        boosted = score_need(profile, need, today=TODAY, pool=pool).score
        plain = score_need(profile, need, today=TODAY, weights=flat, pool=pool).score
        assert boosted >= plain
        # Served: at or above the mean of its own class (or not raised there at all).
        village_served = (
            need.village_code is None
            or not equity_counts(need, village=True)
            or (
                need.village_received_fen >= village_reference(need, candidates) > 0
                and need.village_donor_count > 0
            )
        )
        county_served = (
            not equity_counts(need, village=False)
            or need.county_received_fen >= county_reference(need, candidates) > 0
        )
        if village_served and county_served:
            assert boosted == plain  # well-served places keep exactly their score
        else:
            assert boosted > plain


@PROPERTY
@given(scenarios())
def test_saturation_never_raises_anyone_and_lowers_only_places_above_their_peers(scenario) -> None:
    """The mirror of the equity boost: a place that received more than the mean of its own
    class is lowered, everyone else keeps exactly their score."""
    profile, needs = scenario
    candidates = eligible(profile, needs)
    pool = CandidatePool.from_needs(candidates)
    unsaturated = replace(ALL_TERMS, saturation_village=0.0, saturation_county=0.0)
    for need in candidates:
        lowered = score_need(profile, need, today=TODAY, weights=ALL_TERMS, pool=pool).score
        plain = score_need(profile, need, today=TODAY, weights=unsaturated, pool=pool).score
        assert lowered <= plain
        village_above = (
            need.village_code is not None
            and need.village_received_fen > village_reference(need, candidates)
        )
        county_above = need.county_received_fen > county_reference(need, candidates)
        if village_above or county_above:
            assert lowered < plain
        else:
            assert lowered == plain


@PROPERTY
@given(scenarios(min_size=1), st.data())
def test_a_gap_closer_to_the_donors_typical_pledge_adds_more(scenario, data) -> None:
    """``pledge_matches_gap`` adds weight × min(r, 1/r), r = typical pledge / open gap: the most
    for a gap one typical pledge fills exactly, less the more the two differ either way."""
    profile, needs = scenario
    candidates = eligible(profile, needs)
    if not candidates:
        return
    pool = CandidatePool.from_needs(candidates)
    need = data.draw(st.sampled_from(candidates))
    without = replace(ALL_TERMS, pledge_matches_gap=0.0)
    added = (
        score_need(profile, need, today=TODAY, weights=ALL_TERMS, pool=pool).score
        - score_need(profile, need, today=TODAY, weights=without, pool=pool).score
    )
    typical = profile.typical_pledge_fen
    if typical is None:
        assert added == 0.0
        return
    ratio = typical / need.open_fen
    expected = ALL_TERMS.pledge_matches_gap * min(ratio, 1 / ratio)
    assert added == pytest.approx(expected, abs=1e-9)
    assert 0.0 <= added <= ALL_TERMS.pledge_matches_gap + 1e-9


@PROPERTY
@given(scenarios(min_size=1), st.data())
def test_less_money_received_never_lowers_a_need(scenario, data) -> None:
    profile, needs = scenario
    pool = CandidatePool.from_needs(needs)
    need = data.draw(st.sampled_from(needs))
    poorer = replace(
        need,
        village_received_fen=data.draw(st.integers(0, need.village_received_fen)),
        county_received_fen=data.draw(st.integers(0, need.county_received_fen)),
    )
    before = score_need(profile, need, today=TODAY, pool=pool).score
    after = score_need(profile, poorer, today=TODAY, pool=pool).score
    assert after >= before


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_inputs_give_the_same_order_whatever_the_candidates_order(scenario, rnd) -> None:
    profile, needs = scenario
    first = rank_needs(profile, needs, today=TODAY, limit=len(needs))
    again = rank_needs(profile, list(needs), today=TODAY, limit=len(needs))
    shuffled = list(needs)
    rnd.shuffle(shuffled)
    other = rank_needs(profile, shuffled, today=TODAY, limit=len(needs))
    assert first == again == other


@PROPERTY
@given(scenarios(), st.integers(1, 3), st.integers(0, 30))
def test_no_village_exceeds_the_cap_in_the_top_ten_while_others_wait(scenario, cap, limit) -> None:
    profile, needs = scenario
    recs = rank_needs(profile, needs, today=TODAY, limit=limit, max_per_village=cap)
    assert len(recs) == min(limit, len(eligible(profile, needs)))
    by_id = {n.need_id: n for n in needs}
    top = [by_id[r.need_id].place_key for r in recs[:DIVERSITY_WINDOW]]
    counts = {key: top.count(key) for key in top}
    if any(c > cap for c in counts.values()):
        # Allowed only once no candidate from a village under the cap is left waiting.
        shown = {r.need_id for r in recs[:DIVERSITY_WINDOW]}
        for n in eligible(profile, needs):
            if n.need_id not in shown:
                assert counts.get(n.place_key, 0) >= cap


@PROPERTY
@given(st.sampled_from(sorted(WEIGHT_RANGES)), st.data())
def test_weights_out_of_range_are_refused_naming_the_field(name, data) -> None:
    allowed = WEIGHT_RANGES[name]
    outside = (
        st.floats(max_value=allowed.low, exclude_max=True, allow_nan=False)
        | st.floats(min_value=allowed.high, exclude_min=True, allow_nan=False)
        | st.just(math.nan)
    )
    bad = data.draw(outside.filter(lambda x: not allowed.low <= x <= allowed.high))
    if allowed.integer and not math.isnan(bad) and not math.isinf(bad):
        bad = math.floor(bad) if bad < allowed.low else math.ceil(bad)
        bad = int(bad) if math.isfinite(bad) else bad
    with pytest.raises(WeightOutOfRange) as caught:
        Weights(**{name: bad})
    assert caught.value.field == name
    assert name in caught.value.message
    with pytest.raises(WeightOutOfRange):
        weights_from_mapping({name: bad}, DEFAULT_WEIGHTS)


@PROPERTY
@given(st.sampled_from(sorted(WEIGHT_RANGES)), st.data())
def test_weights_inside_their_range_are_accepted(name, data) -> None:
    allowed = WEIGHT_RANGES[name]
    if allowed.integer:
        good: float = data.draw(st.integers(int(allowed.low), int(allowed.high)))
    else:
        good = data.draw(st.floats(allowed.low, allowed.high))
    assert getattr(weights_from_mapping({name: good}, DEFAULT_WEIGHTS), name) == good


# --- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"paired_region": 0.0}, "paired_region"),  # pairs first is policy: cannot be switched off
        ({"equity_county": -0.1}, "equity_county"),
        ({"urgency": 10.5}, "urgency"),
        ({"urgency_horizon_days": 0}, "urgency_horizon_days"),
        ({"closes_soon_days": 7.5}, "closes_soon_days"),  # a day count must be whole
        ({"stated_category": True}, "stated_category"),
        ({"stated_category": "2"}, "stated_category"),
        ({"stated_category": math.inf}, "stated_category"),
        ({"no_such_weight": 1.0}, "no_such_weight"),
    ],
)
def test_bad_weight_input_is_refused_with_the_field_named(mapping, field) -> None:
    with pytest.raises(WeightOutOfRange) as caught:
        weights_from_mapping(mapping, DEFAULT_WEIGHTS)
    assert caught.value.field == field
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"pair_helps_county": 0.1}, "pair_helps_county"),
        ({"similar_pledge_band": 1.0}, "similar_pledge_band"),
        ({"honour_rate": 11}, "honour_rate"),
        ({"paired_region": 4.0}, "paired_region"),  # a needs-side weight is unknown here
    ],
)
def test_bad_likely_donor_weights_are_refused(mapping, field) -> None:
    with pytest.raises(WeightOutOfRange) as caught:
        weights_from_mapping(mapping, DEFAULT_LIKELY_DONOR_WEIGHTS)
    assert caught.value.field == field


def test_every_weight_has_a_range_and_the_defaults_lie_inside() -> None:
    assert set(Weights.__dataclass_fields__) == set(WEIGHT_RANGES)
    assert set(LikelyDonorWeights.__dataclass_fields__) == set(LIKELY_DONOR_WEIGHT_RANGES)
    for name, allowed in WEIGHT_RANGES.items():
        assert allowed.low <= getattr(DEFAULT_WEIGHTS, name) <= allowed.high


def test_out_of_range_message_is_chinese_and_states_the_range() -> None:
    with pytest.raises(WeightOutOfRange) as caught:
        Weights(paired_region=0.2)
    assert caught.value.message == "权重 paired_region 的取值 0.2 超出允许范围 [0.5, 10]"


DESIGNATED = DonorProfile(
    participant_id=7,
    kind="central_unit",
    paired_region_codes=frozenset({"520525"}),
    stated_categories=frozenset({"roads"}),
    history=(PastGift("drinking_water", "130531", "130000", 3_000_000),),
    typical_pledge_fen=5_000_000,
    honour_rate=0.92,
)


@pytest.mark.parametrize(
    ("code", "params", "text"),
    [
        ("in_paired_region", {"county": "纳雍县", "pair": "designated"}, "在您定点帮扶的纳雍县"),
        (
            "in_paired_region",
            {"county": "纳雍县", "pair": "east_west"},
            "在您东西部协作帮扶的纳雍县",
        ),
        ("open_amount", {"amount_fen": 1_200_000}, "还差 ¥12,000"),
        ("open_amount", {"amount_fen": 123_456}, "还差 ¥1,234.56"),
        ("closes_soon", {"days": 5}, "5 天后截止"),
        ("closes_soon", {"days": 0}, "今天截止"),
        ("no_donor_yet_in_village", {}, "该村尚无捐赠方"),
        ("funded_before_category", {"category": "drinking_water"}, "符合您资助过的类别：饮水安全"),
        ("stated_category", {"category": "roads"}, "符合您关注的类别：村级道路畅通"),
        ("nearly_funded", {"percent": 75}, "已获认捐 75%"),
        ("many_beneficiaries_per_yuan", {"people": 41.25}, "每万元惠及 41.2 人"),
        (
            "fits_typical_pledge",
            {"amount_fen": 5_000_000},
            "您一笔常规捐赠（约 ¥50,000）即可补足缺口",
        ),
        (
            "pledge_matches_gap",
            {"amount_fen": 4_000_000, "gap_fen": 5_000_000},
            "缺口 ¥50,000 与您一笔常规捐赠（约 ¥40,000）相当",
        ),
        (
            "well_funded_village",
            {"peers": "poor_village"},
            "该村至今获得的捐款已高于建档立卡贫困村的平均水平，排序因此下调",
        ),
        (
            "well_funded_county",
            {"county": "纳雍县", "peers": "poverty_county"},
            "纳雍县至今获得的捐款已高于原国家级贫困县的平均水平，排序因此下调",
        ),
        ("honour_rate", {"percent": 92}, "认捐兑现率 92%"),
        ("pair_helps_county", {"county": "纳雍县"}, "其结对帮扶覆盖纳雍县"),
        ("funded_category_in_province", {"category": "roads"}, "曾在本省资助村级道路畅通项目"),
    ],
)
def test_reasons_render_as_chinese_source_text(code, params, text) -> None:
    token = current_locale.set("zh")
    try:
        assert render_reason(Reason(code, params)) == text
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0"), (5, "0.05"), (100, "1"), (1_200_000, "12,000"), (10**11, "1,000,000,000")],
)
def test_format_yuan_shows_fen_only_when_present(fen, text) -> None:
    # the amount a reason sentence shows (core.money's format without ¥ and .00)
    assert format_yuan(fen, symbol=False, cents=False) == text


def test_designated_county_need_comes_first_with_the_reasons_a_donor_sees() -> None:
    needs = [
        make_need(1, county_index=3, category="housing"),
        make_need(2, county_index=0, deadline=TODAY + timedelta(days=5)),
        make_need(3, county_index=4, category="health", beneficiary_people=10),
    ]
    recs = rank_needs(DESIGNATED, needs, today=TODAY, limit=10)
    assert [r.need_id for r in recs][0] == 2
    shown = [render_reason(r) for r in recs[0].reasons]
    assert shown[0] == "在您定点帮扶的纳雍县"
    for text in ("符合您关注的类别：村级道路畅通", "5 天后截止", "该村尚无捐赠方", "还差 ¥12,000"):
        assert text in shown


def test_a_registered_poor_village_outranks_an_otherwise_equal_village() -> None:
    """The flag the county keeps (建档立卡贫困村) is a term of its own, with its reason."""
    plain, poor = make_need(1), make_need(2, is_poor_village=True)
    recs = rank_needs(DESIGNATED, [plain, poor], today=TODAY, limit=10)
    assert [r.need_id for r in recs] == [2, 1]
    assert "该村是建档立卡贫困村" in [render_reason(r) for r in recs[0].reasons]
    assert "该村是建档立卡贫困村" not in [render_reason(r) for r in recs[1].reasons]


def test_needs_marked_not_for_us_are_excluded_and_similar_ones_demoted() -> None:
    marked = make_need(1, county_index=1, category="drinking_water")
    similar = make_need(2, county_index=1, category="drinking_water")
    elsewhere = make_need(3, county_index=2, category="drinking_water")
    other_category = make_need(4, county_index=1, category="education")
    profile = replace(
        DESIGNATED,
        paired_region_codes=frozenset(),
        stated_categories=frozenset(),
        history=(),
        not_for_us=frozenset({1}),
        disliked=dislikes_from_marks([marked]),
    )
    assert profile.disliked == {("drinking_water", "520527")}
    recs = rank_needs(profile, [marked, similar, elsewhere, other_category], today=TODAY)
    order = [r.need_id for r in recs]
    assert 1 not in order
    assert order.index(3) < order.index(2)
    scores = {r.need_id: r.score for r in recs}
    # Same figures, same pool: only the dislike tells 2 and 3 apart, and 4 is not touched by it.
    assert scores[3] - scores[2] == pytest.approx(DEFAULT_WEIGHTS.dislike_penalty)
    assert scores[4] == pytest.approx(scores[3])


def test_closed_and_expired_needs_are_not_recommended() -> None:
    needs = [
        make_need(1),
        make_need(2, open_fen=0),
        make_need(3, deadline=TODAY - timedelta(days=1)),
        make_need(4, deadline=TODAY),
    ]
    assert {r.need_id for r in rank_needs(DESIGNATED, needs, today=TODAY)} == {1, 4}


def test_equal_needs_tie_break_by_need_id() -> None:
    needs = [make_need(i, village_code=f"520525100{200 + i}") for i in (9, 3, 5)]
    assert [r.need_id for r in rank_needs(DESIGNATED, needs, today=TODAY)] == [3, 5, 9]


def test_one_village_holds_at_most_two_of_the_top_ten() -> None:
    crowded = [
        make_need(i, village_code="520525100200", target_fen=10**6, open_fen=10**5)
        for i in range(1, 13)
    ]
    others = [
        make_need(100 + i, county_index=3, village_code=f"130531100{200 + i}") for i in range(12)
    ]
    recs = rank_needs(DESIGNATED, crowded + others, today=TODAY, limit=24)
    top = [r.need_id for r in recs[:10]]
    assert len([i for i in top if i < 100]) == 2
    assert [r.need_id for r in recs[:2]] == [1, 2]  # the crowded village does rank best
    assert len(recs) == 24  # deferred needs follow; nothing is dropped


def test_when_only_one_village_has_needs_the_list_is_not_cut_short() -> None:
    needs = [make_need(i, village_code="520525100200") for i in range(1, 6)]
    assert [r.need_id for r in rank_needs(DESIGNATED, needs, today=TODAY)] == [1, 2, 3, 4, 5]


def test_equity_gap_is_one_for_nothing_received_and_zero_at_the_reference() -> None:
    assert equity_gap(0, 1_000.0) == 1.0
    assert equity_gap(500, 1_000.0) == 0.5
    assert equity_gap(1_000, 1_000.0) == 0.0
    assert equity_gap(9_999, 1_000.0) == 0.0
    assert equity_gap(0, 0.0) == 1.0


def test_famous_village_with_much_money_ranks_below_an_unserved_twin() -> None:
    famous = make_need(
        1,
        county_index=0,
        village_code="520525100200",
        village_received_fen=10**9,
        county_received_fen=10**10,
        village_donor_count=40,
    )
    unserved = make_need(2, county_index=1, village_code="520527100200")
    profile = replace(DESIGNATED, paired_region_codes=frozenset())
    recs = rank_needs(profile, [famous, unserved], today=TODAY)
    assert [r.need_id for r in recs] == [2, 1]
    codes = [r.code for r in recs[0].reasons]
    assert "underserved_county" in codes and "no_donor_yet_in_village" in codes
    assert "underserved_county" not in [r.code for r in recs[1].reasons]


def test_saturation_is_zero_up_to_the_reference_and_half_at_twice_it() -> None:
    assert saturation(0, 1_000.0) == 0.0
    assert saturation(1_000, 1_000.0) == 0.0
    assert saturation(2_000, 1_000.0) == 0.5
    assert saturation(10_000, 1_000.0) == pytest.approx(0.9)
    assert saturation(5_000, 0.0) == 0.0


def test_a_famous_village_is_lowered_and_says_so_only_in_its_reasons() -> None:
    """Money piles up where money already is: the famous village, far above the mean of the poor
    villages, is lowered, and the reason saying so comes after every reason that raised it."""
    famous = make_need(
        1,
        village_code="520525100200",
        is_poor_village=True,
        village_received_fen=10**9,
        county_received_fen=10**10,
        village_donor_count=40,
    )
    twin = make_need(
        2, village_code="520525100201", is_poor_village=True, county_received_fen=10**10
    )
    recs = rank_needs(DESIGNATED, [famous, twin], today=TODAY, weights=ALL_TERMS)
    assert [r.need_id for r in recs] == [2, 1]
    codes = [r.code for r in recs[1].reasons]
    assert "well_funded_village" in codes
    assert codes[-2] == "well_funded_village"  # a lowering reason comes after every raising one
    assert "well_funded_village" not in [r.code for r in recs[0].reasons]


def test_invalid_profiles_and_needs_are_refused() -> None:
    with pytest.raises(ValueError, match="honour_rate"):
        DonorProfile(1, "enterprise", honour_rate=1.5)
    with pytest.raises(ValueError, match="stated_categories"):
        DonorProfile(1, "enterprise", stated_categories=frozenset({"space"}))
    with pytest.raises(ValueError, match="open_fen"):
        make_need(1, open_fen=3_000_000)
    with pytest.raises(ValueError, match="max_per_village"):
        rank_needs(DESIGNATED, [], today=TODAY, max_per_village=0)


# --- likely donors ------------------------------------------------------------------------


def likely_reason_is_true(
    code: str, params: dict, need: CandidateNeed, donor: DonorProfile
) -> bool:
    codes = need.region_codes
    gifts = [g for g in donor.history if g.amount_fen > 0]
    w = DEFAULT_LIKELY_DONOR_WEIGHTS
    if code == "pair_helps_county":
        return bool(codes & donor.paired_region_codes) and params == {"county": need.county_name}
    if code == "funded_category_in_province":
        return any(
            g.category == need.category and g.province_code == need.province_code for g in gifts
        )
    if code == "funded_in_county":
        return any(g.county_code == need.county_code for g in gifts)
    if code == "interested_in_category":
        return need.category in donor.stated_categories
    if code == "interested_in_region":
        return bool(codes & donor.stated_region_codes)
    if code == "honour_rate":
        return donor.honour_rate is not None and params == {"percent": int(donor.honour_rate * 100)}
    if code == "similar_pledge_size":
        t = donor.typical_pledge_fen
        band = w.similar_pledge_band
        return t is not None and 1.0 / band <= t / need.open_fen <= band
    return False


@PROPERTY
@given(need_lists(min_size=1, max_size=3), st.lists(profiles(), max_size=8), st.data())
def test_likely_donors_come_with_true_reasons_in_a_stable_order(needs, donors, data) -> None:
    need = data.draw(st.sampled_from([n for n in needs if n.open_fen > 0] or [make_need(1)]))
    donors = [replace(d, participant_id=i + 1) for i, d in enumerate(donors)]
    matches = rank_likely_donors(need, donors, limit=len(donors))
    assert matches == rank_likely_donors(need, list(reversed(donors)), limit=len(donors))
    for m in matches:
        donor = donors[m.participant_id - 1]
        assert any(r.code != "honour_rate" for r in m.reasons)
        for r in m.reasons:
            assert likely_reason_is_true(r.code, dict(r.params), need, donor), r
            assert render_reason(r)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_pair_donor_leads_the_likely_donors_and_reliability_alone_does_not_list_anyone() -> None:
    need = make_need(1, county_index=0, target_fen=8_000_000, open_fen=4_000_000)
    pair = replace(DESIGNATED, participant_id=1, honour_rate=0.5)
    province_giver = DonorProfile(
        2,
        "enterprise",
        history=(PastGift("roads", "520527", "520000", 800_000),),
        typical_pledge_fen=3_000_000,
        honour_rate=1.0,
    )
    only_reliable = DonorProfile(3, "enterprise", honour_rate=1.0)
    waved_off = replace(province_giver, participant_id=4, not_for_us=frozenset({1}))
    matches = rank_likely_donors(need, [only_reliable, province_giver, pair, waved_off])
    assert [m.participant_id for m in matches] == [1, 2]
    assert matches[0].reasons[0].code == "pair_helps_county"
    assert [r.code for r in matches[1].reasons] == [
        "funded_category_in_province",
        "honour_rate",
        "similar_pledge_size",
    ]
    assert render_reason(matches[1].reasons[1]) == "认捐兑现率 100%"
