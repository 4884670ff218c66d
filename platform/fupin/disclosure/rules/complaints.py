"""Complaints (举报): routing, the handling deadline, escalation, the lifecycle table and what a
complaint's text may hold (docs/domain.md §3.10).

Routing follows "whoever allocates or uses the money discloses" (docs/rules.md §7) upwards: a
complaint about a need, its notice or a donation goes to the county office of the place; one about
the county's own handling goes to the province office, which supervises the county. An office
that lets the deadline pass loses the complaint to the next level (county → province →
national), with a new deadline of its own; the statistics keep counting it against the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fupin.core.states import Guard, StateMachine, Transition
from fupin.errors import InvalidInput
from fupin.i18n import N_

SUBJECTS: dict[str, str] = {
    "need": N_("需求（项目）"),
    "disclosure": N_("公告公示"),
    "donation": N_("捐赠"),
    "county": N_("县级办理情况"),
}

#: Handling deadline in working days from receipt (PRC holiday table of the commendation
#: calendar). The 2017 disclosure guidance sets no time limit; 15 working days is the platform's
#: own default (docs/domain.md §3.10): about three calendar weeks, so a report about a notice is
#: answered while the notice is still up or just after.
HANDLING_WORKING_DAYS = 15

#: The offices in escalation order, and the office role that handles at each level.
LEVELS = ("county", "province", "national")
LEVEL_LABELS: dict[str, str] = {
    "county": N_("县扶贫办"),
    "province": N_("省扶贫办"),
    "national": N_("国家扶贫办"),
}
HANDLER_ROLE: dict[str, str] = {
    "county": "county_officer",
    "province": "province_office",
    "national": "national_admin",
}


def first_level(subject: str) -> str:
    """The office a new complaint goes to: the province for the county's own handling."""
    return "province" if subject == "county" else "county"


def next_level(level: str) -> str | None:
    """The office above ``level``, or None at the top."""
    at = LEVELS.index(level)
    return LEVELS[at + 1] if at + 1 < len(LEVELS) else None


OUTCOMES: dict[str, str] = {
    "upheld": N_("情况属实"),
    "partly_upheld": N_("部分属实"),
    "not_upheld": N_("情况不属实"),
}

STATES = ("received", "accepted", "not_accepted", "investigating", "concluded")
STATE_LABELS: dict[str, str] = {
    "received": N_("已收到"),
    "accepted": N_("已受理"),
    "not_accepted": N_("不予受理"),
    "investigating": N_("调查核实中"),
    "concluded": N_("已办结"),
}
ACTION_LABELS: dict[str, str] = {
    "accept": N_("受理"),
    "refuse": N_("不予受理"),
    "investigate": N_("开始调查"),
    "conclude": N_("办结"),
    "escalate": N_("逾期升级"),
}
#: States in which a complaint is still being handled (the deadline runs).
OPEN_STATES = ("received", "accepted", "investigating")
#: States that end it.
CLOSED_STATES = ("not_accepted", "concluded")


@dataclass(frozen=True)
class Conclusion:
    """What concluding a complaint must carry."""

    outcome: str
    measures: str
    public_summary: str


def _has_outcome(facts: Conclusion | None) -> bool:
    return facts is not None and facts.outcome in OUTCOMES


def _has_summary(facts: Conclusion | None) -> bool:
    return facts is not None and bool(facts.public_summary.strip())


MACHINE: StateMachine[Conclusion | None] = StateMachine(
    "complaint",
    STATES,
    [
        Transition("received", "accept", "accepted", "complaint.handle"),
        Transition("received", "refuse", "not_accepted", "complaint.handle", reason_required=True),
        Transition("accepted", "investigate", "investigating", "complaint.handle"),
        *(
            Transition(
                state,
                "conclude",
                "concluded",
                "complaint.handle",
                guards=(
                    Guard(
                        "outcome_required",
                        N_("请选择核查结论。"),
                        _has_outcome,
                        field="outcome",
                        error=InvalidInput,
                    ),
                    Guard(
                        "summary_required",
                        N_("请填写可公开的办理结果摘要。"),
                        _has_summary,
                        field="public_summary",
                        error=InvalidInput,
                    ),
                ),
            )
            for state in ("accepted", "investigating")
        ),
        # Escalation is the sweep's, never a person's: the state stays, the office changes.
        *(Transition(state, "escalate", state) for state in OPEN_STATES),
    ],
    state_labels=STATE_LABELS,
    action_labels=ACTION_LABELS,
    refusal=N_("举报当前状态为“%(state)s”，不能%(action)s。"),
)

#: An HTML tag or anything a browser would run: refused in a complaint's text (it is shown
#: escaped anyway; refusing keeps the office's queue free of injected markup).
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_markup(text: str) -> bool:
    return bool(_MARKUP.search(text))


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


#: Abuse limits, as for commendation objections: one sender (address or contact) files at most
#: SENDER_LIMIT complaints in SENDER_WINDOW_HOURS, and one target (need, notice, donation or
#: county) receives at most TARGET_LIMIT from everyone in that window — enough for every genuine
#: report, too few to bury an office's queue.
SENDER_LIMIT = 5
TARGET_LIMIT = 30
WINDOW_HOURS = 24
#: Files one complaint may carry, and the largest (the site-wide upload limit applies too).
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
