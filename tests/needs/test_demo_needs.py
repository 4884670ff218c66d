"""Demo needs: real poverty counties, their real villages, states with the
history they imply, consistent money, idempotent."""

from __future__ import annotations

from collections import Counter

import pytest

from fupin.accounts.service.reference import load_all
from fupin.core.clock import today_cn
from fupin.demo.service.accounts import DemoResult, load_demo_accounts
from fupin.demo.service.needs import load_demo_needs
from fupin.ledger import service as ledger
from fupin.ledger.models import LedgerEntry
from fupin.needs.models import Attachment, Need, NeedEvent
from fupin.needs.rules import PUBLIC_STATES, is_funded
from fupin.regions.models import Region

#: The events each final state implies, in order.
HISTORY = {
    "draft": ["draft"],
    "submitted": ["draft", "submit"],
    "returned": ["draft", "submit", "return"],
    "published": ["draft", "submit", "publish"],
    "expired": ["draft", "submit", "publish", "expire"],
    "funded": ["draft", "submit", "publish", "fund"],
    "in_progress": ["draft", "submit", "publish", "fund", "start"],
    "completed": ["draft", "submit", "publish", "fund", "start", "deliver"],
    "closed": ["draft", "submit", "publish", "fund", "start", "deliver", "confirm_receipt"],
}


@pytest.mark.both_databases
async def test_demo_needs_are_realistic_consistent_and_idempotent(db, subset_dir) -> None:
    await load_all(subset_dir)
    accounts = await load_demo_accounts(db)
    result = DemoResult()
    await load_demo_needs(db, result, 300)
    assert result.extra["demo needs created"] == 300
    needs = await Need.filter(is_demo=True).prefetch_related("region")
    assert len(needs) == 300
    poverty = set(
        await Region.filter(level="county", is_poverty_county=True).values_list("code", flat=True)
    )
    with_townships = set(
        await Region.filter(level="township").values_list("county_code", flat=True)
    )
    with_villages = set(await Region.filter(level="village").values_list("county_code", flat=True))
    assert {n.county_code for n in needs} <= poverty & with_townships & with_villages
    states = Counter(n.state for n in needs)
    assert set(states) == set(HISTORY) | {"withdrawn"}
    assert states["published"] > states["draft"]
    today = today_cn()
    events = {}
    for need_id, action in (
        await NeedEvent.filter(need__is_demo=True).order_by("id").values_list("need_id", "action")
    ):
        events.setdefault(need_id, []).append(action)
    for need in needs:
        region = need.region
        assert (
            region.level == "village"
            and len(region.code) == 12
            and region.code.startswith(region.parent_id)
        )
        assert region.county_code == need.county_code
        assert (
            len(need.title) <= 60
            and need.target_fen > 0
            and need.beneficiary_people >= need.beneficiary_households
        )
        if need.state == "withdrawn":
            assert events[need.id][-1] == "withdraw"
        else:
            assert events[need.id] == HISTORY[need.state], (need.id, need.state)
        if need.state == "published":
            assert need.deadline > today and not is_funded(need.target_fen, need.pledged_fen)
        if need.state in ("funded", "in_progress", "completed", "closed"):
            assert is_funded(need.target_fen, need.pledged_fen)
        if need.state in ("completed", "closed"):
            assert need.received_fen == need.target_fen
            assert await Attachment.filter(need_id=need.id, purpose="evidence").exists()
        if need.state == "expired":
            assert need.deadline < today
        assert (need.published_at is not None) == (need.state in (*PUBLIC_STATES, "expired"))
    # Real villages only, most of them without a need; consistent dates.
    assert not await Region.filter(level="village", is_generated=True).exists()
    assert all(n.region.origin == "registry" and n.region.kind == "村" for n in needs)
    villages = await Region.filter(level="village", kind="村").count()
    assert len({n.region_id for n in needs}) < villages / 2
    poor = await Region.filter(level="village", is_poor_village=True)
    assert poor and all(p.poor_identified_year == 2014 and p.poor_exited_year for p in poor)
    for need in needs:
        if need.published_at is not None:
            assert need.created_at <= need.published_at
    published = sum(1 for n in needs if n.published_at is not None)
    completed = sum(1 for n in needs if n.state in ("completed", "closed"))
    assert await LedgerEntry.filter(kind="need_published").count() == published
    assert await LedgerEntry.filter(kind="need_completed").count() == completed
    assert (await ledger.verify()).ok
    # The demo logins have something to do: the village worker's village and county.
    shimen = next(login for login in accounts.logins if login.username == "shimen")
    assert shimen is not None
    home = await Need.filter(is_demo=True, created_by_id__isnull=False).values_list(
        "state", flat=True
    )
    assert {"draft", "submitted", "completed"} <= set(home)
    # idempotent: a second run adds nothing; a larger N tops up
    again = DemoResult()
    await load_demo_needs(db, again, 300)
    assert again.extra["demo needs created"] == 0 and await Need.filter(is_demo=True).count() == 300
    more = DemoResult()
    await load_demo_needs(db, more, 320)
    assert more.extra["demo needs created"] == 20 and more.extra["demo villages flagged poor"] == 0
    assert await Need.filter(is_demo=True).count() == 320
    assert (await ledger.verify()).ok
    later = await Need.create(
        region_id=needs[0].region_id,
        county_code=needs[0].county_code,
        province_code=needs[0].province_code,
        category="roads",
        title="演示之后新建的需求",
        description="x" * 30,
        target_fen=100,
        deadline=today,
    )
    assert later.id == max(n.id for n in await Need.all()) and later.id > 320  # sequences moved on
