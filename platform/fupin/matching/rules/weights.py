"""The weights of the matching ranking, kept as data in one place (docs/domain.md §3.11).

Every number the ranking multiplies by lives here, next to the range an office may move it in.
``fupin.matching.rules.ranking`` holds no figures of its own, so tuning the ranking is a data change and
``docs/matching.md`` can quote one table. The defaults follow the order docs/domain.md §3.11 gives:
"their pairs first, then their stated categories and regions, urgency, the open gap,
beneficiaries per yuan, and an equity boost for villages and counties that have received little".

Ranges are closed ``[low, high]``. Two lower bounds are deliberately above zero:

* ``Weights.paired_region`` and ``LikelyDonorWeights.pair_helps_county``: designated assistance
  and east–west cooperation pairs (定点扶贫、东西部扶贫协作, 中办发〔2013〕25号 part 三(六)) come
  first by policy, so nobody may switch the pair term off.

Every term is a number in ``[0, 1]`` times its weight, so a weight of 2 means "this reason counts
twice as much as a weight-1 reason". A weight out of range, a weight of the wrong type, or an
unknown weight name is refused with :class:`WeightOutOfRange` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from fupin.errors import InvalidInput
from fupin.i18n import _


@dataclass(frozen=True)
class WeightRange:
    """Allowed closed range of one weight; ``integer`` weights are day counts."""

    low: float
    high: float
    integer: bool = False


class WeightOutOfRange(InvalidInput):
    """A weight outside its allowed range (or not a number, or not a known weight)."""

    code = "weight_out_of_range"

    def __init__(self, field: str, value: object, allowed: WeightRange | None) -> None:
        if allowed is None:
            message = _("未知的权重：%(field)s", field=field)
        else:
            message = _(
                "权重 %(field)s 的取值 %(value)s 超出允许范围 [%(low)s, %(high)s]",
                field=field,
                value=repr(value),
                low=_fmt(allowed.low),
                high=_fmt(allowed.high),
            )
        super().__init__(message, field=field)
        self.value = value
        self.allowed = allowed


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


#: Ranges of :class:`Weights` (needs for a donor).
WEIGHT_RANGES: dict[str, WeightRange] = {
    "paired_region": WeightRange(0.5, 10.0),
    "stated_category": WeightRange(0.0, 10.0),
    "stated_region": WeightRange(0.0, 10.0),
    "funded_before_category": WeightRange(0.0, 10.0),
    "funded_before_region": WeightRange(0.0, 10.0),
    "urgency": WeightRange(0.0, 10.0),
    "fits_typical_pledge": WeightRange(0.0, 10.0),
    "progress": WeightRange(0.0, 10.0),
    "pledge_matches_gap": WeightRange(0.0, 10.0),
    "beneficiaries_per_yuan": WeightRange(0.0, 10.0),
    "equity_village": WeightRange(0.0, 10.0),
    "equity_county": WeightRange(0.0, 10.0),
    "no_donor_yet": WeightRange(0.0, 10.0),
    "equity_scale_other": WeightRange(0.0, 1.0),
    "poverty_county": WeightRange(0.0, 10.0),
    "deep_poverty_area": WeightRange(0.0, 10.0),
    "poor_village": WeightRange(0.0, 10.0),
    "saturation_village": WeightRange(0.0, 10.0),
    "saturation_county": WeightRange(0.0, 10.0),
    "dislike_penalty": WeightRange(0.0, 10.0),
    "urgency_horizon_days": WeightRange(1, 365, integer=True),
    "closes_soon_days": WeightRange(1, 90, integer=True),
}

#: Ranges of :class:`LikelyDonorWeights` (likely donors for a need).
LIKELY_DONOR_WEIGHT_RANGES: dict[str, WeightRange] = {
    "pair_helps_county": WeightRange(0.5, 10.0),
    "funded_category_in_province": WeightRange(0.0, 10.0),
    "funded_in_county": WeightRange(0.0, 10.0),
    "stated_interest": WeightRange(0.0, 10.0),
    "honour_rate": WeightRange(0.0, 10.0),
    "similar_pledge_size": WeightRange(0.0, 10.0),
    "dislike_penalty": WeightRange(0.0, 10.0),
    "similar_pledge_band": WeightRange(1.1, 10.0),
}


def _check(obj: object, ranges: Mapping[str, WeightRange]) -> None:
    for f in fields(obj):  # type: ignore[arg-type]
        check_weight(f.name, getattr(obj, f.name), ranges)


def check_weight(name: str, value: object, ranges: Mapping[str, WeightRange]) -> None:
    """Refuse ``value`` for weight ``name`` unless it is a finite number inside its range."""
    allowed = ranges.get(name)
    if allowed is None:
        raise WeightOutOfRange(name, value, None)
    # bool is an int subclass; True is not a weight.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WeightOutOfRange(name, value, allowed)
    if allowed.integer and not isinstance(value, int):
        raise WeightOutOfRange(name, value, allowed)
    if not math.isfinite(value) or not allowed.low <= value <= allowed.high:
        raise WeightOutOfRange(name, value, allowed)


@dataclass(frozen=True)
class Weights:
    """Weights of "needs for you" (see docs/matching.md for each term)."""

    #: need lies in a region helped by one of the donor's cooperation pairs (docs/domain.md §3.11: first)
    paired_region: float = 4.5
    #: need's category is one the donor says it funds
    stated_category: float = 2.0
    #: need lies in a region the donor says it cares about
    stated_region: float = 1.5
    #: share of the donor's past money that went to this category
    funded_before_category: float = 1.0
    #: donor gave in this county (1) or province (0.5) before
    funded_before_region: float = 0.5
    #: deadline close: 1 on the last day, falling linearly to 0 at ``urgency_horizon_days``
    urgency: float = 0.5
    #: one typical pledge of this donor would close (1) or cover a share of the open gap
    fits_typical_pledge: float = 4.0
    #: share of the target already pledged (finishing started needs before opening new ones)
    progress: float = 3.0
    #: closeness of the open gap to the donor's typical pledge, ``min(r, 1/r)`` with r = typical
    #: / open: a pledge that fills a gap of its own size finishes a need and spends the donor's
    #: visit fully, where ``fits_typical_pledge`` rates a tiny gap as highly as an exact one
    pledge_matches_gap: float = 0.0
    #: people helped per yuan, as the need's percentile among the candidates
    beneficiaries_per_yuan: float = 0.5
    #: equity boost for villages that received less than the mean of the candidate villages of
    #: their class (registered poor villages, or the others)
    equity_village: float = 2.5
    #: equity boost for counties that received less than the mean of the candidate counties of
    #: their class (the 832, or the others)
    equity_county: float = 3.0
    #: no participant has pledged to or given in this village yet
    no_donor_yet: float = 0.5
    #: the three equity terms above are multiplied by this outside the places the policy
    #: targets (832 counties; for the village terms also registered poor villages): equity
    #: spreads money within the poor places rather than away from them
    equity_scale_other: float = 0.0
    #: former national poverty county (the 832; docs/domain.md §3.1)
    poverty_county: float = 1.0
    #: 三区三州 deep-poverty area (on top of ``poverty_county``)
    deep_poverty_area: float = 4.0
    #: a registered poor village (建档立卡贫困村, the flag the county keeps)
    poor_village: float = 0.5
    #: subtracted, times ``saturation(received, reference)`` and the share of the need still
    #: open, from villages that received more than the mean of the candidate villages of their
    #: class: money piles up on a few famous villages because money is already there
    #: (docs/domain.md §1); finishing a need already under way there is barely touched
    saturation_village: float = 0.0
    #: the same for counties, against the mean of the candidate counties of their class
    saturation_county: float = 0.0
    #: subtracted for needs like one the donor marked "not for us" (same category and county)
    dislike_penalty: float = 3.0
    #: days over which urgency rises from 0 to 1
    urgency_horizon_days: int = 30
    #: a need closing within this many days gets the "closes in N days" reason
    closes_soon_days: int = 14

    def __post_init__(self) -> None:
        _check(self, WEIGHT_RANGES)


@dataclass(frozen=True)
class LikelyDonorWeights:
    """Weights of "likely donors for a need" (the reverse ranking, for county officers)."""

    #: one of the donor's cooperation pairs helps the need's county (or its prefecture/province)
    pair_helps_county: float = 4.0
    #: donor funded this category in this province before
    funded_category_in_province: float = 2.0
    #: donor gave in this county before
    funded_in_county: float = 1.5
    #: donor states this category (0.5) and/or this region (0.5)
    stated_interest: float = 1.0
    #: honoured / due pledges (docs/domain.md §3.5), 0–1
    honour_rate: float = 1.5
    #: closeness of the donor's typical pledge to the open gap, min(r, 1/r)
    similar_pledge_size: float = 1.0
    #: subtracted for donors who marked a similar need "not for us"
    dislike_penalty: float = 3.0
    #: the "similar pledge size" reason is shown when typical/open lies in [1/band, band]
    similar_pledge_band: float = 2.0

    def __post_init__(self) -> None:
        _check(self, LIKELY_DONOR_WEIGHT_RANGES)


_W = TypeVar("_W", Weights, LikelyDonorWeights)


def weights_from_mapping(data: Mapping[str, Any], base: _W) -> _W:
    """``base`` with the entries of ``data`` replaced, every entry checked (for API/config input).

    Unknown names are refused rather than ignored, so a typo never silently keeps a default.
    """
    ranges = WEIGHT_RANGES if isinstance(base, Weights) else LIKELY_DONOR_WEIGHT_RANGES
    for name, value in data.items():
        check_weight(name, value, ranges)
    return replace(base, **dict(data))


DEFAULT_WEIGHTS = Weights()
DEFAULT_LIKELY_DONOR_WEIGHTS = LikelyDonorWeights()
