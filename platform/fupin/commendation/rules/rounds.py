"""The lifecycle of a commendation round as a table (``core.states``), and what people must type
to run one (docs/rules.md §5.1; docs/domain.md §3.9).

A round moves draft → nominations (ranked, may be re-ranked) → notice (公示, objections) → final
→ closed; ``ROUND_MACHINE`` says which action is allowed in which state, by whom, and the guards
of publishing the final list (the notice is over, every objection resolved).

No round can be stuck: its categories are frozen once ranked, but before the notice it can be
re-opened for editing (nominations → draft) and ranked again, and until the final list it can be
cancelled with a written reason (→ cancelled), which frees its years for another round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fupin.core.states import Guard, StateMachine, Transition
from fupin.i18n import N_

ROUND_STATES = ("draft", "nominations", "notice", "final", "closed", "cancelled")
#: The policy text is of end 2013 (published January 2014): no window starts earlier.
EARLIEST_WINDOW_YEAR = 2014
LATEST_WINDOW_YEAR = 2100
MAX_NOTICE_WORKING_DAYS = 30
STATE_LABELS: dict[str, str] = {
    "draft": N_("草稿"),
    "nominations": N_("已生成推荐名单"),
    "notice": N_("公示中"),
    "final": N_("已公布表彰名单"),
    "closed": N_("已结束"),
    "cancelled": N_("已取消"),
}
#: Most characters of a cancellation reason.
CANCEL_REASON_MAX = 2000


@dataclass(frozen=True)
class RoundFacts:
    today: date | None = None
    notice_end: date | None = None
    open_objections: int = 0


_NOTICE_OVER = Guard[RoundFacts](
    "notice_not_over",
    N_("公示期至 %(end)s 结束，公示期满后方可公布表彰名单。"),
    lambda f: f.notice_end is not None and f.today is not None and f.today > f.notice_end,
    lambda f: {"end": f.notice_end.isoformat() if f.notice_end else ""},
)
_OBJECTIONS_RESOLVED = Guard[RoundFacts](
    "objections_open",
    N_("还有 %(n)s 件异议未处理。"),
    lambda f: f.open_objections == 0,
    lambda f: {"n": f.open_objections},
)

ROUND_MACHINE: StateMachine[RoundFacts] = StateMachine(
    "commendation_round",
    ROUND_STATES,
    [
        Transition("draft", "edit_categories", "draft", "commendation.manage"),
        Transition("draft", "rank", "nominations", "commendation.manage"),
        Transition("nominations", "rank", "nominations", "commendation.manage"),
        Transition("nominations", "publish_notice", "notice", "commendation.manage"),
        # back to editing before anything is public: the ranking is dropped
        Transition("nominations", "reopen", "draft", "commendation.manage"),
        # a round that cannot or should not go on ends, with a reason, and frees its window
        Transition("draft", "cancel", "cancelled", "commendation.manage"),
        Transition("nominations", "cancel", "cancelled", "commendation.manage"),
        Transition("notice", "cancel", "cancelled", "commendation.manage"),
        # the public objects during the notice; the office resolves each objection
        Transition("notice", "object", "notice"),
        Transition("notice", "resolve_objection", "notice", "commendation.manage"),
        Transition(
            "notice",
            "publish_final",
            "final",
            "commendation.manage",
            guards=(_NOTICE_OVER, _OBJECTIONS_RESOLVED),
        ),
        Transition("final", "close", "closed", "commendation.manage"),
    ],
    state_labels=STATE_LABELS,
    refusal=N_("表彰轮次当前状态为“%(state)s”，不能执行此操作。"),
)


# --- what people must type ---------------------------------------------------------------------
#
# Said the same by the service (any caller) and by the schemas (the API and the forms, when the
# field is missing).

TITLE_REQUIRED = N_("请填写表彰轮次名称（不超过 120 字）。")
NOMINATION_REQUIRED = N_("请选择异议针对的推荐对象。")
#: Objections are real-name (docs/rules.md §5.1): a name and a way to reply are required.
OBJECTOR_NAME_REQUIRED = N_("请填写您的真实姓名（实名提出异议，不超过 64 字）。")
OBJECTOR_CONTACT_REQUIRED = N_("请填写联系电话或地址，便于核实回复（不超过 128 字）。")
OBJECTION_CONTENT_REQUIRED = N_("请具体说明异议的事实和理由（10 至 5000 字）。")
DECISION_REQUIRED = N_("请选择异议是否成立。")
RESOLUTION_REQUIRED = N_("请填写核实情况和处理意见（不超过 5000 字）。")
CANCEL_REASON_REQUIRED = N_("请填写取消本轮表彰的原因（不超过 2000 字）。")
