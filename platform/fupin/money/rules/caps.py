"""Pledges that block others (docs/domain.md §3.5, docs/security.md "Pledges that block others").

A pledge takes its amount off the need at once: nobody else can pledge it until it is paid,
withdrawn, lapsed or released. So an unproven promise is bounded:

* the due date may not fall after the need's deadline (the day by which it must be funded);
  the county can extend the deadline (``needs`` ``extend_deadline``), never the pledger;
* one participant's unpaid promise on one need is capped — for individuals always
  (``FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN``, default ¥50,000), and for any participant without a
  confirmed donation yet (``FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN``, default ¥1,000,000) except
  the helpers of cooperation pairs (central units, east partners, democratic parties: assigned
  by the State Council, their giving is the subject of yearly agreements, docs/domain.md §3.3).
  The cap
  counts every open pledge of the participant on the need, so splitting a promise into several
  pledges does not get round it; 0 turns a cap off.

Pure: the services read the facts (kind, history, open promises) and ask these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fupin.core.money import format_yuan
from fupin.errors import InvalidInput, RuleViolation
from fupin.i18n import _

#: ¥50,000: above the yearly giving of almost every private person, far below a village project.
DEFAULT_INDIVIDUAL_CAP_FEN = 50_000_00
#: ¥1,000,000: an organisation's first promise may be large, but not a county's whole programme.
DEFAULT_NEW_PARTICIPANT_CAP_FEN = 1_000_000_00


#: Participant kinds that help through cooperation pairs: not "new" in the sense of the cap.
PAIR_HELPER_KINDS: tuple[str, ...] = ("central_unit", "east_partner", "democratic_party")


@dataclass(frozen=True)
class PledgeCaps:
    """The two caps in fen (0: no cap), from the settings."""

    individual_fen: int = DEFAULT_INDIVIDUAL_CAP_FEN
    new_participant_fen: int = DEFAULT_NEW_PARTICIPANT_CAP_FEN


def pledge_cap(kind: str, *, has_history: bool, caps: PledgeCaps) -> int | None:
    """The most a participant of ``kind`` may have promised and unpaid on one need, or None.
    ``has_history``: it has a confirmed donation (not reversed) on the platform."""
    limits = []
    if kind == "individual" and caps.individual_fen > 0:
        limits.append(caps.individual_fen)
    if not has_history and kind not in PAIR_HELPER_KINDS and caps.new_participant_fen > 0:
        limits.append(caps.new_participant_fen)
    return min(limits) if limits else None


def check_cap(open_promise_fen: int, cap: int | None, *, individual: bool) -> None:
    """Refuse (409 ``pledge_cap``) an unpaid promise on one need above ``cap``."""
    if cap is None or open_promise_fen <= cap:
        return
    message = (
        _("个人认捐每个需求未兑现部分最多 %(cap)s；请分次兑现后再认捐。", cap=format_yuan(cap))
        if individual
        else _(
            "尚无已确认捐赠记录的参与方，每个需求未兑现的认捐最多 %(cap)s；"
            "首笔捐赠到账确认后不再受此限制。",
            cap=format_yuan(cap),
        )
    )
    raise RuleViolation(message, code="pledge_cap", field="amount_fen")


def check_due_by_deadline(due: date, deadline: date, *, previous_due: date | None = None) -> None:
    """Refuse a due date after the need's deadline (422 ``after_deadline``). An amendment may
    keep a due date it already had (the deadline could have been shortened meanwhile)."""
    if due <= deadline or (previous_due is not None and due <= previous_due):
        return
    raise InvalidInput(
        _(
            "兑现日期不能晚于需求的截止日期 %(deadline)s；如需延期，请联系县扶贫办延长截止日期。",
            deadline=deadline.isoformat(),
        ),
        field="due_date",
        code="after_deadline",
    )
