"""Donor profiles from the database: what the platform knows about a participant, for matching.

Its cooperation pairs in force, its stated categories and regions, what it pledged and gave
before (per category and county), its typical pledge, its honour rate (the one definition,
``money.rules.honour``), and the needs it marked "not for us". What the offices see (likely
donors) is built from non-anonymous giving only.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q

from fupin.accounts.models import Pair, Participant
from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, Scope, require
from fupin.errors import NotFound, PermissionDenied
from fupin.i18n import _
from fupin.matching.models import NotForUs
from fupin.matching.rules.ranking import DonorProfile, PastGift, dislikes_from_marks
from fupin.matching.service.sql import select
from fupin.money.rules.states import ACTIVE_PLEDGE_STATES
from fupin.money.service.honour import honour_rates_of

#: Pledges looked at for a donor's typical pledge (the most recent ones).
TYPICAL_PLEDGE_SAMPLE = 50


@dataclass(frozen=True)
class ProfileExtras:
    """Besides the pure profile: needs the participant already pledged to (not recommended
    again) and the provinces it gave in (for the under-served sample)."""

    pledged_need_ids: frozenset[int] = frozenset()
    history_provinces: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Marked:
    category: str
    county_code: str


def _clean_codes(values: Any, *, allowed: Iterable[str] | None = None) -> frozenset[str]:
    if not isinstance(values, list):
        return frozenset()
    codes = {str(v) for v in values if isinstance(v, str | int) and str(v)}
    if allowed is not None:
        codes &= set(allowed)
    return frozenset(codes)


async def load_profiles(
    participant_ids: Sequence[int], *, today: date, include_anonymous: bool
) -> dict[int, tuple[DonorProfile, ProfileExtras]]:
    """Profiles of several participants in a fixed number of queries.

    ``include_anonymous``: the donor's own recommendations use all of its giving; what offices
    see (likely donors) is built from non-anonymous pledges and gifts only, so a reason such as
    "gave in this county before" never reveals an anonymous donor (docs/domain.md §1: anonymity must
    hold on every surface)."""
    ids = sorted(set(participant_ids))
    if not ids:
        return {}
    people = {
        p["id"]: p
        for p in await Participant.filter(id__in=ids).values(
            "id", "kind", "stated_categories", "stated_region_codes"
        )
    }
    year = today.year
    pairs: dict[int, set[str]] = {}
    for helper_id, region_code in await Pair.filter(
        Q(end_year=None) | Q(end_year__gte=year), helper_id__in=ids, start_year__lte=year
    ).values_list("helper_id", "helped_region_id"):
        pairs.setdefault(helper_id, set()).add(region_code)

    # History: what each pledge contributes (its promise while active, what was paid once it
    # was withdrawn or lapsed: Pledge.committed_fen) plus confirmed gifts made without a pledge
    # (reversals are negative rows and net out).
    only_named_p = "" if include_anonymous else " AND p.anonymous = :no"
    only_named_d = "" if include_anonymous else " AND d.anonymous = :no"
    only_named = "" if include_anonymous else " AND anonymous = :no"
    pledge_rows = await select(
        "SELECT p.participant_id, n.category, n.county_code, n.province_code,"
        " SUM(p.committed_fen) FROM pledge p JOIN need n ON n.id = p.need_id"
        f" WHERE p.participant_id IN (:ids*){only_named_p}"
        " GROUP BY p.participant_id, n.category, n.county_code, n.province_code",
        ids=ids,
        no=False,
    )
    gift_rows = await select(
        "SELECT d.donor_id, n.category, n.county_code, n.province_code, SUM(d.amount_fen)"
        " FROM donation d JOIN need n ON n.id = d.need_id"
        " WHERE d.donor_id IN (:ids*) AND d.state = :confirmed AND d.pledge_id IS NULL"
        f"{only_named_d} GROUP BY d.donor_id, n.category, n.county_code, n.province_code",
        ids=ids,
        confirmed="confirmed",
        no=False,
    )
    sums: dict[tuple[int, str, str, str], int] = {}
    for pid, category, county, province, amount in [*pledge_rows, *gift_rows]:
        key = (int(pid), category, county, province)
        sums[key] = sums.get(key, 0) + int(amount or 0)
    history: dict[int, list[PastGift]] = {}
    for (pid, category, county, province), amount in sorted(sums.items()):
        if amount > 0 and category in CATEGORIES:
            history.setdefault(pid, []).append(PastGift(category, county, province, amount))

    # Typical pledge: median of the most recent pledges that were not withdrawn.
    amounts: dict[int, list[int]] = {}
    for pid, amount in await select(
        "SELECT participant_id, amount_fen FROM pledge WHERE participant_id IN (:ids*)"
        f" AND state <> :withdrawn{only_named} ORDER BY id DESC",
        ids=ids,
        withdrawn="withdrawn",
        no=False,
    ):
        bucket = amounts.setdefault(pid, [])
        if len(bucket) < TYPICAL_PLEDGE_SAMPLE and int(amount) > 0:
            bucket.append(int(amount))

    # Honour rate: the one definition (money.rules.honour), named pledges only for offices.
    rates = await honour_rates_of(ids, public=not include_anonymous, today=today)
    honour = {
        pid: rate.honoured_count / rate.due_count for pid, rate in rates.items() if rate.due_count
    }

    marks: dict[int, list[tuple[int, str, str]]] = {}
    for pid, need_id, category, county in await NotForUs.filter(participant_id__in=ids).values_list(
        "participant_id", "need_id", "need__category", "need__county_code"
    ):
        marks.setdefault(pid, []).append((need_id, category, county))

    pledged: dict[int, set[int]] = {}
    for pid, need_id in await select(
        "SELECT participant_id, need_id FROM pledge WHERE participant_id IN (:ids*)"
        " AND state IN (:active*)",
        ids=ids,
        active=ACTIVE_PLEDGE_STATES,
    ):
        pledged.setdefault(pid, set()).add(need_id)

    out: dict[int, tuple[DonorProfile, ProfileExtras]] = {}
    for pid in ids:
        person = people.get(pid)
        if person is None:
            continue
        gifts = tuple(history.get(pid, []))
        sizes = amounts.get(pid, [])
        marked = marks.get(pid, [])
        profile = DonorProfile(
            participant_id=pid,
            kind=person["kind"],
            paired_region_codes=frozenset(pairs.get(pid, set())),
            stated_categories=_clean_codes(person["stated_categories"], allowed=CATEGORIES),
            stated_region_codes=_clean_codes(person["stated_region_codes"]),
            history=gifts,
            typical_pledge_fen=max(1, int(statistics.median(sizes))) if sizes else None,
            honour_rate=honour.get(pid),
            not_for_us=frozenset(m[0] for m in marked),
            disliked=dislikes_from_marks(_Marked(c, k) for _n, c, k in marked),
        )
        extras = ProfileExtras(
            pledged_need_ids=frozenset(pledged.get(pid, set())),
            history_provinces=frozenset(g.province_code for g in gifts),
        )
        out[pid] = (profile, extras)
    return out


async def build_profile(
    participant_id: int, *, today: date | None = None, include_anonymous: bool = True
) -> DonorProfile:
    """The :class:`DonorProfile` of one participant, from the database (NotFound if unknown)."""
    found = await load_profiles(
        [participant_id], today=today or today_cn(), include_anonymous=include_anonymous
    )
    if participant_id not in found:
        raise NotFound(_("参与方不存在。"), field="participant_id")
    return found[participant_id][0]


# --- whose profile -----------------------------------------------------------------------------


def own_participant(actor: Actor | None, action: str) -> int:
    """The participant the actor acts for, checked against ``action`` (participant scope).

    There is deliberately no way to name another participant: the id comes from the login."""
    require(actor, action)
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员才有推荐和邀请。"))
    require(actor, action, Scope(participant_id=actor.participant_id))
    return actor.participant_id
