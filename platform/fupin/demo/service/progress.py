"""Demo progress after funding: what the county reported on the demo needs being built,
delivered or closed — posted through the progress service, so the donors' notifications
fill as they would (docs/domain.md §3.13). Once: a later run changes nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from fupin.accounts.models import User
from fupin.accounts.service import users as accounts
from fupin.core.clock import now
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.demo.rules.texts import PROGRESS_TEXTS
from fupin.demo.service.accounts import DemoResult
from fupin.needs.models import Need
from fupin.notify.models import Notification
from fupin.progress import service as progress
from fupin.progress.models import NeedUpdate
from fupin.settings import Settings

SEED = 20150101
#: The updates each state tells: a need being built has started, a completed one was
#: delivered, a closed one was also accepted.
STEPS = {
    "in_progress": ("started",),
    "completed": ("started", "delivered"),
    "closed": ("started", "delivered", "accepted"),
}
#: At most this many needs get updates (the rest show how a page looks without).
NEEDS_WITH_UPDATES = 120


async def load_demo_progress(settings: Settings, result: DemoResult, needs_count: int) -> None:
    """The demo step after the demo money (demo/service/accounts.py DEMO_STEPS)."""
    if await NeedUpdate.filter(need__is_demo=True).exists():
        return
    rng = random.Random(SEED)
    officers: dict[str, Actor] = {}
    for user in await User.filter(role="county_officer", is_active=True).order_by("id"):
        if user.region_id:
            officers.setdefault(user.region_id, await accounts.actor_for(user))
    needs = [
        n
        for n in await Need.filter(is_demo=True, state__in=list(STEPS)).order_by("id")
        if n.county_code in officers
    ][:NEEDS_WITH_UPDATES]
    posted = 0
    async with transaction():
        for need in needs:
            steps = STEPS[need.state]
            days = sorted(rng.sample(range(1, 90), len(steps)), reverse=True)
            for kind, ago in zip(steps, days, strict=True):
                update = await progress.post_update(
                    officers[need.county_code],
                    need.id,
                    kind=kind,
                    text=rng.choice(PROGRESS_TEXTS[kind]),
                    attachments_dir=settings.attachments_dir,
                    max_bytes=settings.max_upload_bytes,
                )
                at = now() - timedelta(days=ago)
                await NeedUpdate.filter(id=update.id).update(created_at=at)
                # the donors' notifications of it dated with it, as if told then
                await Notification.filter(dedupe_key=progress.dedupe_key(update.id)).update(
                    created_at=at
                )
                posted += 1
    result.extra["demo progress updates"] = posted
