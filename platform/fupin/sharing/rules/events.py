"""Webhook event types, who receives an event, and how long a failing delivery waits
(docs/webhooks.md "Events", "Retries")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fupin.i18n import N_, _

#: type -> Chinese label. Adding a kind of record to the sharing platform adds its type here
#: and its source in ``sharing.service.sources`` (one entry each).
EVENT_TYPES: dict[str, str] = {
    "need.published": N_("需求发布"),
    "need.funded": N_("需求筹满"),
    "need.completed": N_("需求完成"),
    "disclosure.published": N_("公告公示发布"),
    "complaint.concluded": N_("举报办结"),
    "commendation.notice_published": N_("表彰名单公示"),
    "commendation.final_published": N_("表彰名单公布"),
    "ledger.daily_head": N_("账本每日末条哈希"),
}


def event_label(code: str) -> str:
    return _(EVENT_TYPES[code])


#: Tries of one delivery before it is given up (the first try included).
MAX_ATTEMPTS = 8
#: Delay before the second try; each later one doubles it, up to the cap (seconds).
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
#: Failed tries in a row (over all its deliveries) after which an endpoint is disabled.
DISABLE_AFTER_FAILURES = 20


def backoff_seconds(
    attempts: int, *, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_CAP_SECONDS
) -> float:
    """Wait after the ``attempts``-th failed try: base, 2·base, 4·base, … up to cap (30 s, 1 min,
    2 min … about 1 h before the eighth try: a receiver down for an afternoon still gets it)."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class EventPlace:
    """Where an event happened ("" parts: a national event, e.g. a commendation notice)."""

    province_code: str = ""
    county_code: str = ""
    region_code: str = ""
    category: str = ""


def wants(
    event_type: str,
    place: EventPlace,
    *,
    event_types: Sequence[str],
    place_code: str,
    categories: Sequence[str],
) -> bool:
    """Whether an endpoint with these filters receives the event. A place filter matches the
    event's province, county or village; an event without a place (national) passes it; a
    category filter only lets through events of those categories."""
    if event_type not in event_types:
        return False
    if (
        place_code
        and place.province_code
        and place_code not in (place.province_code, place.county_code, place.region_code)
    ):
        return False
    return not (categories and place.category not in categories)


def success(status_code: int) -> bool:
    """A delivery counts as received on any 2xx answer; a redirect is not followed."""
    return 200 <= status_code < 300
