"""`fupin demo` leaves notices and complaints: the showcase county published the notice before
implementation and after completion (drafted from the need's records) on its funded and
delivered needs and corrected one; the public sent complaints that reached every state, named
and anonymous, one left overdue and moved up a level — all through the services (audited), so
the county page shows the notices and non-zero complaint figures. A second run adds nothing."""

from __future__ import annotations

import httpx
import pytest

from fupin.accounts.service.reference import load_all
from fupin.core.models import AuditLog
from fupin.demo.service.accounts import load_demo_accounts
from fupin.demo.service.disclosure import COMPLAINTS, load_demo_disclosure
from fupin.demo.service.money import load_demo_money
from fupin.demo.service.needs import DEMO_COUNTY, load_demo_needs
from fupin.demo.service.progress import load_demo_progress
from fupin.disclosure.models import Complaint, Disclosure
from fupin.disclosure.service import complaints

pytestmark = pytest.mark.both_databases


async def test_demo_notices_and_complaints_show_on_the_county_page(db, subset_dir, app) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    for step in (load_demo_needs, load_demo_money, load_demo_progress, load_demo_disclosure):
        await step(db, result, 60)

    found = await Disclosure.filter(county_code=DEMO_COUNTY).prefetch_related("need")
    before = [d for d in found if d.stage == "before"]
    after = [d for d in found if d.stage == "after" and d.corrects_id is None]
    assert before and after and len([d for d in found if d.corrects_id]) == 1
    assert all(d.need.state in ("completed", "closed") for d in after)
    assert all("一、到账资金" in d.body and "三、实施、交付与验收" in d.body for d in after)
    assert "12317" in found[0].complaint_channel
    owed = await Disclosure.filter(county_code=DEMO_COUNTY).count()
    assert await AuditLog.filter(action="disclosure.publish").count() == owed

    filed = await Complaint.filter(county_code=DEMO_COUNTY)
    assert len(filed) == len(COMPLAINTS)
    assert {c.state for c in filed} == {
        "received",
        "accepted",
        "not_accepted",
        "investigating",
        "concluded",
    }
    assert {c.anonymous for c in filed} == {True, False}
    (escalated,) = [c for c in filed if c.escalations]
    assert escalated.handler_level == "national" and escalated.state == "received"
    assert all(c.public_summary for c in filed if c.state == "concluded")
    assert all(c.not_accepted_reason for c in filed if c.state == "not_accepted")
    assert await AuditLog.filter(action="complaint.escalate").count() == 1
    (stats,) = await complaints.statistics(county_code=DEMO_COUNTY)
    assert stats.received == len(COMPLAINTS) and stats.concluded_on_time == 2
    assert stats.overdue == 1

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
    ) as public:
        page = await public.get(f"/regions/{DEMO_COUNTY}")
    assert page.status_code == 200
    assert f"/disclosures/{after[0].id}" in page.text or f"/disclosures/{before[0].id}" in page.text
    assert f"举报：收到 {len(COMPLAINTS)} 件，按期办结 2 件，逾期 1 件。" in page.text

    # A second run adds nothing.
    await load_demo_disclosure(db, result, 60)
    assert await Disclosure.all().count() == len(found)
    assert await Complaint.all().count() == len(COMPLAINTS)
