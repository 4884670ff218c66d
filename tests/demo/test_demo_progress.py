"""The demo's progress updates: posted through the progress service on the demo needs being
built, delivered or closed, reaching their donors as notifications; a second run adds nothing."""

from __future__ import annotations

from fupin.accounts.service.reference import load_all
from fupin.demo.service.accounts import load_demo_accounts
from fupin.demo.service.money import load_demo_money
from fupin.demo.service.needs import load_demo_needs
from fupin.demo.service.progress import STEPS, load_demo_progress
from fupin.notify.models import Notification
from fupin.progress.models import NeedUpdate


async def test_demo_progress_tells_each_built_need_s_steps_once(db, subset_dir) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    await load_demo_needs(db, result, 60)
    await load_demo_money(db, result, 60)
    await load_demo_progress(db, result, 60)
    updates = await NeedUpdate.all().prefetch_related("need")
    assert updates, "the demo has needs being built, delivered or closed"
    for update in updates:
        assert update.kind in STEPS[update.need.state]
        assert update.author_role == "county_officer"
    # the demo donors of those needs were told, when the update was posted
    told = await Notification.filter(kind="need_progress").values_list("dedupe_key", "created_at")
    assert told
    posted_at = {f"need_update:{u.id}": u.created_at for u in updates}
    assert all(at == posted_at[key] for key, at in told)
    count = len(updates)
    await load_demo_progress(db, result, 60)
    assert await NeedUpdate.all().count() == count
