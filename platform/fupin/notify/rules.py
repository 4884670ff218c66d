"""What each kind of notification says, who may choose what, and when a failed e-mail is
tried again. Pure: no database, no clock of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from fupin.core.clock import CHINA_TZ
from fupin.i18n import N_

#: What a user may choose for each kind: in-app only, in-app and e-mail, nothing.
CHANNEL_CHOICES = ("in_app", "email", "off")
CHANNEL_LABELS = {"in_app": N_("仅站内"), "email": N_("站内和邮件"), "off": N_("不通知")}


@dataclass(frozen=True)
class Kind:
    label: str
    title: str
    body: str
    #: What a user who never chose gets.
    default: str = "email"


#: Every kind of notification. ``title`` and ``body`` are gettext templates over the
#: notification's ``params``; a sender passes every name its templates use.
KINDS: dict[str, Kind] = {
    "pledge_due": Kind(
        N_("认捐到期提醒"),
        N_("认捐将于 %(due_date)s 到期"),
        N_("您对「%(need_title)s」的认捐 %(amount)s 尚有 %(unpaid)s 未到账，%(days)s 天后到期。"),
    ),
    "pledge_overdue": Kind(
        N_("认捐逾期"),
        N_("认捐已过兑现日期"),
        N_(
            "您对「%(need_title)s」的认捐 %(amount)s 在兑现日期 %(due_date)s 前未足额到账，"
            "已按规则失效，未到账部分重新开放给其他参与方。"
        ),
    ),
    "donation_confirmed": Kind(
        N_("捐赠确认到账"),
        N_("捐赠 %(amount)s 已确认到账"),
        N_("%(recipient)s 已确认收到您给「%(need_title)s」的捐赠 %(amount)s，并记入公开账本。"),
    ),
    "receipt_issued": Kind(
        N_("捐赠收据开具"),
        N_("捐赠收据 %(number)s 已开具"),
        N_("%(recipient)s 为您的捐赠 %(amount)s 开具了收据 %(number)s，可用于税前扣除。"),
    ),
    "invitation": Kind(
        N_("关注邀请"),
        N_("%(office)s邀请您关注一个需求"),
        N_("「%(need_title)s」仍有资金缺口。%(message)s"),
    ),
    "commendation_notice": Kind(
        N_("表彰公示"),
        N_("%(participant)s 已列入表彰推荐名单公示"),
        N_("「%(round)s」推荐名单公示期为 %(notice_start)s 至 %(notice_end)s。"),
    ),
    "need_progress": Kind(
        N_("关注需求的进展"),
        N_("您关注的需求有新进展"),
        N_("「%(need_title)s」：%(summary)s"),
        default="in_app",
    ),
    "webhook_disabled": Kind(
        N_("数据推送地址停用"),
        N_("数据推送地址已被停用"),
        N_("接收地址 %(url)s %(reason)s"),
    ),
    "complaint_status": Kind(
        N_("投诉处理进展"),
        N_("您的投诉有新进展"),
        N_("投诉「%(subject)s」的状态已变为：%(status)s。"),
    ),
}


#: The inbox's filters: each gathers kinds a participant thinks of together, so the one inbox
#: answers "what happened to my money", "what became of the needs I support", "who invited
#: us". Every kind is in exactly one filter; a filter's key is also accepted as its only kind's
#: name where it has one kind (``?kind=need_progress`` is the old update inbox's address).
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "need_progress": (N_("项目进展"), ("need_progress",)),
    "invitation": (N_("邀请"), ("invitation",)),
    "money": (
        N_("认捐与捐赠"),
        ("pledge_due", "pledge_overdue", "donation_confirmed", "receipt_issued"),
    ),
    "other": (N_("其他"), ("commendation_notice", "webhook_disabled", "complaint_status")),
}


def filter_kinds(key: str | None) -> tuple[str, ...] | None:
    """The kinds a filter shows; None for no filter (an unknown key is no filter either: an old
    or mistyped link still opens the inbox)."""
    if not key or key not in FILTERS:
        return None
    return FILTERS[key][1]


def filter_of(kind: str) -> str:
    """The filter a kind is listed under."""
    for key, (_label, kinds) in FILTERS.items():
        if kind in kinds:
            return key
    return "other"


class _Params(dict[str, object]):
    """A missing parameter reads as empty text rather than failing the whole inbox page."""

    def __missing__(self, key: str) -> object:
        return ""


def render(
    kind: str, params: Mapping[str, object], gettext: Callable[[str], str]
) -> tuple[str, str]:
    """The notification's title and body in the current language (``gettext`` unformatted)."""
    found = KINDS.get(kind)
    if found is None:
        return kind, ""
    values = _Params(params)
    return gettext(found.title) % values, gettext(found.body) % values


def channel_for(kind: str, chosen: Mapping[str, object]) -> str:
    value = chosen.get(kind)
    if isinstance(value, str) and value in CHANNEL_CHOICES:
        return value
    return KINDS[kind].default


#: Failed e-mail is tried again after 1, 2, 4 … minutes, at most 6 hours apart, and given up
#: after MAX_ATTEMPTS attempts (about a day and a half): the in-app copy stays either way.
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
MAX_ATTEMPTS = 12


def backoff_seconds(attempts: int) -> float:
    """The wait before the next try after ``attempts`` failed ones (≥ 1)."""
    return min(BACKOFF_BASE_SECONDS * float(2 ** max(attempts - 1, 0)), BACKOFF_CAP_SECONDS)


#: The daily digest goes out at this hour, China time.
DIGEST_HOUR = 8


def next_digest_at(now: datetime) -> datetime:
    """The next digest time after ``now`` (an aware instant), as an aware instant."""
    local = now.astimezone(CHINA_TZ)
    at = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=CHINA_TZ)
    if at <= local:
        at += timedelta(days=1)
    return at


#: Days before a pledge's due date on which its donor is reminded (each once).
REMINDER_DAYS = (7, 1)


def looks_like_email(address: str) -> bool:
    """A shape check only (one @, a dot in the domain, no spaces): the mail server decides."""
    local, at, domain = address.partition("@")
    return (
        bool(at)
        and bool(local)
        and "." in domain.strip(".")
        and "@" not in domain
        and not any(c.isspace() for c in address)
        and len(address) <= 254
    )
