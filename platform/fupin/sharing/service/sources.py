"""What the sharing platform publishes, one entry per kind of record: each source reads the
owning area's records and gives Atom entries (``FEEDS``) and webhook events (``EVENT_SOURCES``).
Open-data files have their own list (``sharing.service.opendata.DATASETS``).

Adding a kind of record (e.g. disclosures) is one ``FeedSource`` here, one ``EventSource`` with
its type in ``sharing.rules.events.EVENT_TYPES``, and one ``Dataset``: the routes, the worker and
the walk tests pick them up from these lists.

Sources read only what is already public: published needs, public commendation rounds, the
ledger's head hashes, published notices (公告公示, personal data masked when published) and the
public summaries of concluded complaints — never a complainant, never a tracking code (it is the
complainant's key to their case). None of them reads a donor, so no feed or event can name an
anonymous one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from fupin.commendation.models import CommendationRound
from fupin.core.categories import CATEGORIES, category_label
from fupin.core.money import format_yuan
from fupin.disclosure.models import Complaint, Disclosure
from fupin.disclosure.rules.complaints import OUTCOMES, SUBJECTS
from fupin.disclosure.rules.notices import KINDS as NOTICE_KINDS
from fupin.disclosure.rules.notices import LEVELS as NOTICE_LEVELS
from fupin.i18n import N_, _
from fupin.ledger import service as ledger
from fupin.ledger.models import LedgerEntry
from fupin.needs.models import PUBLIC_STATES, Need, NeedEvent
from fupin.sharing.rules.events import EventPlace
from fupin.sharing.rules.feeds import FEED_LENGTH, FeedEntry


@dataclass(frozen=True)
class FeedFilter:
    """The place and category a reader narrowed a feed to ("" = all)."""

    province: str = ""
    county: str = ""
    category: str = ""

    def needs_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.province:
            q &= Q(**{prefix + "province_code": self.province})
        if self.county:
            q &= Q(**{prefix + "county_code": self.county})
        if self.category:
            q &= Q(**{prefix + "category": self.category})
        return q


Entries = Callable[[FeedFilter, str], Awaitable[list[FeedEntry]]]


@dataclass(frozen=True)
class FeedSource:
    name: str  # the feed is /feeds/<name>.atom
    title: str  # N_() text
    subtitle: str  # N_() text
    html_path: str  # the page the feed follows
    entries: Entries
    #: whether ?province= ?county= ?category= narrow it
    filtered: bool = False


def _place_name(need: Need) -> str:
    region = need.region
    return str(region.full_name or region.name)


def _need_summary(need: Need) -> str:
    parts = [
        _("类别：%(c)s", c=category_label(need.category)),
        _("地点：%(p)s", p=_place_name(need)),
        _("目标：%(a)s", a=format_yuan(need.target_fen)),
        _("截止：%(d)s", d=need.deadline.isoformat()),
    ]
    if need.beneficiary_people:
        parts.append(_("受益 %(n)s 人", n=need.beneficiary_people))
    return "；".join(parts)


def _need_categories(need: Need) -> tuple[tuple[str, str], ...]:
    return ((need.category, category_label(need.category)),)


async def new_need_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    needs = (
        await Need.filter(where.needs_q(), state__in=PUBLIC_STATES, published_at__isnull=False)
        .order_by("-published_at", "-id")
        .limit(FEED_LENGTH)
        .prefetch_related("region")
    )
    return [
        FeedEntry(
            id=f"{base}/needs/{n.id}",
            title=f"{_place_name(n)}：{n.title}",
            updated=n.published_at,
            published=n.published_at,
            link=f"{base}/needs/{n.id}",
            summary=_need_summary(n),
            categories=_need_categories(n),
        )
        for n in needs
        if n.published_at is not None
    ]


async def funded_need_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    events = (
        await NeedEvent.filter(where.needs_q("need__"), to_state="funded")
        .order_by("-id")
        .limit(FEED_LENGTH)
        .prefetch_related("need__region")
    )
    return [
        FeedEntry(
            id=f"{base}/needs/{e.need.id}#funded-{e.id}",
            title=_("已筹满：%(p)s：%(t)s", p=_place_name(e.need), t=e.need.title),
            updated=e.at,
            published=e.at,
            link=f"{base}/needs/{e.need.id}",
            summary=_need_summary(e.need),
            categories=_need_categories(e.need),
        )
        for e in events
    ]


def _public_rounds() -> Q:
    return Q(notice_published_at__isnull=False)


async def commendation_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    rounds = (
        await CommendationRound.filter(_public_rounds())
        .order_by("-notice_published_at")
        .limit(FEED_LENGTH)
    )
    entries: list[FeedEntry] = []
    for r in rounds:
        link = f"{base}/commendation/{r.id}"
        if r.notice_published_at is not None:
            entries.append(
                FeedEntry(
                    id=f"{link}#notice",
                    title=_("表彰名单公示：%(t)s", t=r.title),
                    updated=r.notice_published_at,
                    published=r.notice_published_at,
                    link=link,
                    summary=_(
                        "公示期 %(s)s 至 %(e)s，期间可提出异议。",
                        s=r.notice_start.isoformat() if r.notice_start else "",
                        e=r.notice_end.isoformat() if r.notice_end else "",
                    ),
                )
            )
        if r.final_published_at is not None:
            entries.append(
                FeedEntry(
                    id=f"{link}#final",
                    title=_("表彰名单公布：%(t)s", t=r.title),
                    updated=r.final_published_at,
                    published=r.final_published_at,
                    link=link,
                    summary=_("最终表彰名单已公布。"),
                )
            )
    entries.sort(key=lambda e: e.updated, reverse=True)
    return entries[:FEED_LENGTH]


def ledger_instant(at: str) -> datetime:
    """A ledger entry's ``at`` (YYYY-MM-DDTHH:MM:SSZ) as an instant."""
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


async def ledger_head_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    heads = await ledger.daily_head_hashes(limit=FEED_LENGTH)
    ats = {e.seq: e.at for e in await LedgerEntry.filter(seq__in=[seq for _day, seq, _h in heads])}
    return [
        FeedEntry(
            id=f"{base}/ledger#head-{day}",
            title=_("账本 %(d)s（UTC）末条：第 %(s)s 条", d=day, s=seq),
            updated=ledger_instant(ats[seq]),
            link=f"{base}/ledger?seq={seq}",
            summary=_(
                "当日末条哈希 %(h)s。用它核对下载的账本：python3 verify_ledger.py export.jsonl --head %(h)s",
                h=digest,
            ),
        )
        for day, seq, digest in heads
    ]


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _notice_summary(notice: Disclosure) -> str:
    parts = [
        _("类别：%(k)s", k=_(NOTICE_KINDS.get(notice.kind, notice.kind))),
        _("层级：%(l)s", l=_(NOTICE_LEVELS.get(notice.level, notice.level))),
        _("发布：%(p)s", p=notice.publisher_label),
    ]
    if notice.state == "taken_down":
        parts.append(_("已撤下"))
    return "；".join(parts) + "。" + _excerpt(notice.body)


async def disclosure_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    query = Disclosure.filter(FeedFilter(where.province, where.county).needs_q())
    if where.category:  # a need's notices carry its category
        query = query.filter(need__category=where.category)
    notices = await query.order_by("-published_at", "-id").limit(FEED_LENGTH)
    return [
        FeedEntry(
            id=f"{base}/disclosures/{n.id}",
            title=n.title,
            updated=n.taken_down_at or n.published_at,
            published=n.published_at,
            link=f"{base}/disclosures/{n.id}",
            summary=_notice_summary(n),
            categories=((n.kind, _(NOTICE_KINDS.get(n.kind, n.kind))),),
        )
        for n in notices
    ]


def _complaint_summary(complaint: Complaint) -> str:
    return _(
        "关于%(s)s的举报已办结，结论：%(o)s。%(t)s",
        s=_(SUBJECTS.get(complaint.subject, complaint.subject)),
        o=_(OUTCOMES.get(complaint.outcome, complaint.outcome)),
        t=complaint.public_summary,
    )


async def concluded_complaint_entries(where: FeedFilter, base: str) -> list[FeedEntry]:
    rows = (
        await Complaint.filter(
            FeedFilter(where.province, where.county).needs_q(),
            state="concluded",
            concluded_at__isnull=False,
        )
        .order_by("-concluded_at", "-id")
        .limit(FEED_LENGTH)
    )
    return [
        FeedEntry(
            # Not the tracking code: that is the complainant's key to the case.
            id=f"{base}/complaints/statistics#concluded-{c.id}",
            title=_(
                "举报办结：%(s)s（%(o)s）",
                s=_(SUBJECTS.get(c.subject, c.subject)),
                o=_(OUTCOMES.get(c.outcome, c.outcome)),
            ),
            updated=c.concluded_at,
            published=c.concluded_at,
            link=f"{base}/complaints/statistics?county={c.county_code}",
            summary=_complaint_summary(c),
        )
        for c in rows
        if c.concluded_at is not None
    ]


FEEDS: list[FeedSource] = [
    FeedSource(
        "needs",
        N_("新发布的村级需求"),
        N_("县扶贫办发布的需求，最新的在前；可按省、县和类别筛选。"),
        "/needs",
        new_need_entries,
        filtered=True,
    ),
    FeedSource(
        "funded",
        N_("已筹满的需求"),
        N_("认捐额达到目标的需求，最新的在前；可按省、县和类别筛选。"),
        "/needs",
        funded_need_entries,
        filtered=True,
    ),
    FeedSource(
        "disclosures",
        N_("公告公示"),
        N_("县扶贫办发布的资金项目公告公示，最新的在前；可按省、县筛选。"),
        "/disclosures",
        disclosure_entries,
        filtered=True,
    ),
    FeedSource(
        "complaints",
        N_("已办结的举报"),
        N_("举报的办理结论和公开摘要（不含举报人信息），最新的在前；可按省、县筛选。"),
        "/complaints/statistics",
        concluded_complaint_entries,
        filtered=True,
    ),
    FeedSource(
        "commendation",
        N_("表彰名单公示与公布"),
        N_("五年表彰轮次的公示和最终名单。"),
        "/commendation",
        commendation_entries,
    ),
    FeedSource(
        "ledger",
        N_("公开账本每日末条哈希"),
        N_("每天（UTC）最后一条账本记录的哈希，用于核对下载的账本。"),
        "/ledger",
        ledger_head_entries,
    ),
]


def feed_source(name: str) -> FeedSource:
    for source in FEEDS:
        if source.name == name:
            return source
    raise KeyError(name)


# --- webhook events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventDraft:
    key: str  # unique per source record: the event is published once
    type: str
    occurred_at: datetime
    place: EventPlace = field(default_factory=EventPlace)
    data: dict[str, Any] = field(default_factory=dict)


#: Reads the records changed since an instant (None: from the beginning, bounded by ``limit``).
Scan = Callable[[datetime | None, str, int], Awaitable[list[EventDraft]]]


@dataclass(frozen=True)
class EventSource:
    name: str
    scan: Scan


def _need_data(need: Need, base: str) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "category": need.category,
        "region_code": need.region_id,
        "region_name": _place_name(need),
        "county_code": need.county_code,
        "province_code": need.province_code,
        "state": need.state,
        "target_fen": need.target_fen,
        "pledged_fen": need.pledged_fen,
        "received_fen": need.received_fen,
        "deadline": need.deadline.isoformat(),
        "url": f"{base}/needs/{need.id}",
    }


#: Need transitions published as events: target state → event type.
NEED_EVENT_TYPES = {
    "published": "need.published",
    "funded": "need.funded",
    "completed": "need.completed",
}


async def scan_need_events(since: datetime | None, base: str, limit: int) -> list[EventDraft]:
    query = NeedEvent.filter(to_state__in=list(NEED_EVENT_TYPES))
    if since is not None:
        query = query.filter(at__gt=since)
    rows = await query.order_by("at", "id").limit(limit).prefetch_related("need__region")
    return [
        EventDraft(
            key=f"need_event:{e.id}",
            type=NEED_EVENT_TYPES[e.to_state],
            occurred_at=e.at,
            place=EventPlace(
                e.need.province_code, e.need.county_code, e.need.region_id, e.need.category
            ),
            data={"need": _need_data(e.need, base), "transition": e.action},
        )
        for e in rows
    ]


async def scan_commendation_events(
    since: datetime | None, base: str, limit: int
) -> list[EventDraft]:
    found: list[EventDraft] = []
    for column, kind in (
        ("notice_published_at", "notice"),
        ("final_published_at", "final"),
    ):
        query = CommendationRound.filter(**{f"{column}__isnull": False})
        if since is not None:
            query = query.filter(**{f"{column}__gt": since})
        for r in await query.order_by(column).limit(limit):
            at = getattr(r, column)
            found.append(
                EventDraft(
                    key=f"commendation:{r.id}:{kind}",
                    type=f"commendation.{kind}_published",
                    occurred_at=at,
                    data={
                        "round": {
                            "id": r.id,
                            "title": r.title,
                            "state": r.state,
                            "notice_start": r.notice_start.isoformat() if r.notice_start else None,
                            "notice_end": r.notice_end.isoformat() if r.notice_end else None,
                            "url": f"{base}/commendation/{r.id}",
                        }
                    },
                )
            )
    return sorted(found, key=lambda d: d.occurred_at)[:limit]


async def scan_ledger_days(since: datetime | None, base: str, limit: int) -> list[EventDraft]:
    """A day's head is final once the day (UTC) is over: one event per finished day."""
    today = datetime.now(UTC).date().isoformat()
    drafts = []
    for day, seq, digest in sorted(await ledger.daily_head_hashes(limit=7)):
        if day >= today:
            continue
        drafts.append(
            EventDraft(
                key=f"ledger_day:{day}",
                type="ledger.daily_head",
                occurred_at=datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1),
                data={"day": day, "seq": seq, "hash": digest, "url": f"{base}/ledger?seq={seq}"},
            )
        )
    return drafts[:limit]


async def scan_disclosures(since: datetime | None, base: str, limit: int) -> list[EventDraft]:
    query = Disclosure.all()
    if since is not None:
        query = query.filter(published_at__gt=since)
    rows = await query.order_by("published_at", "id").limit(limit).prefetch_related("need")
    return [
        EventDraft(
            key=f"disclosure:{n.id}",
            type="disclosure.published",
            occurred_at=n.published_at,
            place=EventPlace(
                n.province_code, n.county_code, n.region_id, n.need.category if n.need else ""
            ),
            data={
                "disclosure": {
                    "id": n.id,
                    "title": n.title,
                    "kind": n.kind,
                    "level": n.level,
                    "stage": n.stage,
                    "region_code": n.region_id,
                    "county_code": n.county_code,
                    "province_code": n.province_code,
                    "need_id": n.need_id,
                    "publisher": n.publisher_label,
                    "display_until": n.display_until.isoformat() if n.display_until else None,
                    "corrects_id": n.corrects_id,
                    "url": f"{base}/disclosures/{n.id}",
                }
            },
        )
        for n in rows
    ]


async def scan_concluded_complaints(
    since: datetime | None, base: str, limit: int
) -> list[EventDraft]:
    query = Complaint.filter(state="concluded", concluded_at__isnull=False)
    if since is not None:
        query = query.filter(concluded_at__gt=since)
    rows = await query.order_by("concluded_at", "id").limit(limit)
    return [
        EventDraft(
            key=f"complaint:{c.id}:concluded",
            type="complaint.concluded",
            occurred_at=c.concluded_at,
            place=EventPlace(c.province_code, c.county_code, c.county_code),
            data={
                "complaint": {
                    "id": c.id,
                    "subject": c.subject,
                    "county_code": c.county_code,
                    "province_code": c.province_code,
                    "outcome": c.outcome,
                    "public_summary": c.public_summary,
                    "statistics_url": f"{base}/complaints/statistics?county={c.county_code}",
                }
            },
        )
        for c in rows
        if c.concluded_at is not None
    ]


EVENT_SOURCES: list[EventSource] = [
    EventSource("needs", scan_need_events),
    EventSource("commendation", scan_commendation_events),
    EventSource("disclosures", scan_disclosures),
    EventSource("complaints", scan_concluded_complaints),
    EventSource("ledger", scan_ledger_days),
]


def categories() -> dict[str, str]:
    return dict(CATEGORIES)
