"""Expiry: an unfunded (``published``) need whose deadline day has passed is ``expired``
without anyone clicking, by two mechanisms that both go through the same conditional UPDATE (so
a need expires exactly once, with one NeedEvent):

1. check on read: listings and the need page treat such a need as expired at once (their queries
   exclude it from "published", ``visibility.state_condition``); the need page persists the
   transition of the need it shows (``reading.get_need``), lists never write;
2. the background sweep :func:`expire_all_overdue` (``fupin.background.SWEEPS``, every five
   minutes; in production the ``fupin worker`` process); also ``fupin needs expire``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.db import transaction
from fupin.i18n import _
from fupin.needs.models import Need
from fupin.needs.rules import NEED_MACHINE
from fupin.needs.service import search_outbox
from fupin.needs.service.history import record_event

#: How many needs one pass of the expiry sweep expires.
EXPIRY_BATCH = 500


async def _expire_ids(ids: Sequence[int], today: date) -> int:
    """Expire those of ``ids`` still published and overdue. Call inside a transaction."""
    done = 0
    reason = _("截止日期已过，需求未筹满，自动到期。")
    (from_state,) = NEED_MACHINE.states_allowing("expire")
    to_state = NEED_MACHINE.check(from_state, "expire").to
    for need_id in ids:
        updated = await Need.filter(id=need_id, state=from_state, deadline__lt=today).update(
            state=to_state, updated_at=clock.now()
        )
        if not updated:
            continue  # funded or changed meanwhile: nothing to do
        done += 1
        await record_event(need_id, "expire", from_state, to_state, None, reason, label="system")
        await audit.record(
            actor=None,
            action="need.expire",
            object_type="need",
            object_id=need_id,
            before={"state": from_state},
            after={"state": to_state},
        )
        await search_outbox.enqueue(need_id)
    return done


async def expire_one(need_id: int) -> None:
    """Expire one need found overdue on read (its own transaction)."""
    async with transaction():
        await _expire_ids([need_id], today_cn())


async def expire_overdue_needs(*, today: date | None = None, limit: int = EXPIRY_BATCH) -> int:
    """Expire up to ``limit`` published needs whose deadline has passed; returns how many.
    Idempotent and safe to run in several processes at once (conditional UPDATE per need)."""
    today = today or today_cn()
    ids = list(
        await Need.filter(state="published", deadline__lt=today)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    async with transaction():
        return await _expire_ids(ids, today)


async def expire_all_overdue(*, today: date | None = None) -> int:
    """Run the sweep until nothing is overdue (``fupin needs expire``)."""
    total = 0
    while True:
        done = await expire_overdue_needs(today=today)
        total += done
        if done < EXPIRY_BATCH:
            return total
