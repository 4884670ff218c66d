"""Demo notices and complaints (docs/domain.md "Disclosure and supervision in the code"): what a
county office publishes on its funded needs and what the public sends it — all through the
disclosure services, so the audit log, the masking, the routing and the deadlines hold as they
would. Only counties with a demo county officer publish (the showcase county 广南县). Once: a
later run changes nothing; the same seed gives the same notices and complaints."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from fupin.accounts.models import User
from fupin.accounts.service import users as accounts
from fupin.core.clock import now, today_cn
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.demo.service.accounts import DemoResult
from fupin.disclosure.models import Complaint, Disclosure
from fupin.disclosure.service import complaints, notices
from fupin.needs.models import Need
from fupin.regions.models import Region
from fupin.settings import Settings

SEED = 20160901
#: The needs whose money came in get the notice before implementation, the delivered ones
#: also the notice after completion — not all: a demo county still owes a few
#: (``/disclosures/missing``).
BEFORE_SHARE = 0.75
AFTER_SHARE = 0.6
BEFORE_STATES = ("funded", "in_progress", "completed", "closed")
AFTER_STATES = ("completed", "closed")
#: At most this many needs per county get notices.
NEEDS_PER_COUNTY = 40


@dataclass(frozen=True)
class DemoComplaint:
    """One demo complaint: what it says, who sends it, and how far its office took it."""

    content: str
    ending: str  # received | accepted | not_accepted | investigating | concluded | overdue
    name: str = ""
    contact: str = ""
    reason: str = ""
    outcome: str = ""
    measures: str = ""
    public_summary: str = ""
    about_county: bool = False


COMPLAINTS = (
    DemoComplaint("村道硬化只铺了一半，施工队已经撤场半个月，剩下的路段没人管。", "received"),
    DemoComplaint(
        "公示的受益户名单里有两户早已搬到县城居住，请核实。",
        "accepted",
        name="李某某",
        contact="13987600001",
    ),
    DemoComplaint(
        "想咨询明年的产业扶持项目怎么申请，公示里没写清楚。",
        "not_accepted",
        reason="属于政策咨询，不属于举报受理范围，已转县扶贫办咨询窗口答复。",
    ),
    DemoComplaint(
        "饮水工程的水管埋得太浅，冬天已经冻裂两次，怀疑没按设计施工。",
        "investigating",
        name="王某",
        contact="13987600002",
    ),
    DemoComplaint(
        "捐赠的化肥发放时少了三袋，签收单上的数量和实际不一致。",
        "concluded",
        outcome="upheld",
        measures="责令村委会补发化肥并重新张榜公示发放清单；对经办人进行约谈。",
        public_summary="经核查情况属实：发放时漏发 3 袋，已补发到户，发放清单已重新公示。",
    ),
    DemoComplaint(
        "听说产业项目的合作社分红没有发到贫困户手里。",
        "concluded",
        name="张某某",
        contact="13987600003",
        outcome="not_upheld",
        measures="调取合作社分红台账和银行流水，走访 12 户受益户。",
        public_summary="经核查，分红已按协议于当月足额打入受益户一卡通账户，举报情况不属实。",
    ),
    DemoComplaint(
        "县里对上个月的举报一直没有答复，也查不到办理进展。",
        "overdue",
        about_county=True,
    ),
)
#: The overdue complaint was received this many days ago (past its 15 working days).
OVERDUE_AGE_DAYS = 40
CHANNEL = "县扶贫办 电话 0876-5012345"


async def _officers() -> dict[str, Actor]:
    found: dict[str, Actor] = {}
    for user in await User.filter(role="county_officer", is_active=True).order_by("id"):
        if user.region_id:
            found.setdefault(user.region_id, await accounts.actor_for(user))
    return found


async def _handler(level: str, county_code: str, officer: Actor) -> Actor | None:
    """The office a complaint is routed to: the county's own, or its province's."""
    if level == "county":
        return officer
    county = await Region.get(code=county_code)
    user = (
        await User.filter(role="province_office", is_active=True, region_id=county.province_code)
        .order_by("id")
        .first()
    )
    return await accounts.actor_for(user) if user else None


async def _publish_notices(
    settings: Settings, officer: Actor, county: str, rng: random.Random
) -> int:
    """The county's notices: before implementation on a share of the needs with money, after
    completion (drafted from the need's records, as the form starts) on a share of the
    delivered ones, and a correction of one notice."""
    needs = await Need.filter(
        is_demo=True, county_code=county, state__in=list(BEFORE_STATES)
    ).order_by("id")
    published: list[Disclosure] = []
    for need in needs[:NEEDS_PER_COUNTY]:
        stages = []
        if rng.random() < BEFORE_SHARE:
            stages.append("before")
        if need.state in AFTER_STATES and rng.random() < AFTER_SHARE:
            stages.append("after")
        for stage in stages:
            draft = await notices.completion_draft(officer, need.id, stage=stage)
            published.append(
                await notices.publish(
                    officer,
                    level=draft.level,
                    kind=draft.kind,
                    title=draft.title,
                    body=draft.body,
                    complaint_channel=CHANNEL,
                    need_id=need.id,
                    stage=stage,
                    need_photo_ids=[p.id for p in draft.photos],
                    attachments_dir=settings.attachments_dir,
                    max_bytes=settings.max_upload_bytes,
                )
            )
    if published:
        original = published[0]
        await notices.publish(
            officer,
            level=original.level,
            kind=original.kind,
            title=f"更正：{original.title}"[:120],
            body=original.body + "\n\n更正说明：受益户数以村委会复核后的名册为准，原公示有误。",
            complaint_channel=CHANNEL,
            need_id=original.need_id,
            stage=original.stage,
            corrects_id=original.id,
        )
        return len(published) + 1
    return 0


async def _file_complaints(officer: Actor, county: str, rng: random.Random, today: date) -> int:
    """One complaint of each ending, about the county's public needs or its handling."""
    needs = await Need.filter(
        is_demo=True, county_code=county, state__in=["published", *BEFORE_STATES]
    ).order_by("id")
    if not needs:
        return 0
    filed = 0
    for index, plan in enumerate(COMPLAINTS):
        named = bool(plan.name)
        received_on = today - timedelta(days=OVERDUE_AGE_DAYS if plan.ending == "overdue" else 0)
        found = await complaints.file_complaint(
            subject="county" if plan.about_county else "need",
            county_code=county if plan.about_county else None,
            target_id=None if plan.about_county else rng.choice(needs).id,
            content=plan.content,
            anonymous=not named,
            name=plan.name,
            contact=plan.contact,
            source=f"demo-complaint-{county}-{index}",
            today=received_on,
        )
        filed += 1
        if received_on != today:  # it came in then (the services stamp the moment they run)
            await Complaint.filter(id=found.id).update(
                received_at=now() - timedelta(days=(today - received_on).days)
            )
        handler = await _handler(found.handler_level, county, officer)
        if handler is None or plan.ending in ("received", "overdue"):
            continue
        if plan.ending == "not_accepted":
            await complaints.handle(handler, found.id, "refuse", reason=plan.reason)
            continue
        await complaints.handle(handler, found.id, "accept")
        if plan.ending in ("investigating", "concluded"):
            await complaints.handle(handler, found.id, "investigate")
        if plan.ending == "concluded":
            await complaints.handle(
                handler,
                found.id,
                "conclude",
                outcome=plan.outcome,
                measures=plan.measures,
                public_summary=plan.public_summary,
            )
    # The office let the old one pass its deadline: the sweep moves it up a level, as the
    # hourly worker would.
    await complaints.escalate_overdue(today=today)
    return filed


async def load_demo_disclosure(settings: Settings, result: DemoResult, needs_count: int) -> None:
    """The demo step after the demo progress (demo/service/accounts.py DEMO_STEPS)."""
    if (
        await Disclosure.filter(need__is_demo=True).exists()
        or await Complaint.filter(need__is_demo=True).exists()
    ):
        return
    today = today_cn()
    published = filed = 0
    for county, officer in sorted((await _officers()).items()):
        rng = random.Random(f"{SEED}:{county}")
        async with transaction():
            published += await _publish_notices(settings, officer, county, rng)
            filed += await _file_complaints(officer, county, rng, today)
    result.extra["demo notices"] = published
    result.extra["demo complaints"] = filed
