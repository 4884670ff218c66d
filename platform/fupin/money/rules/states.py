"""The lifecycles of money records as tables (docs/domain.md §3.5, §3.6): pledges, donations and
receipts. Pure: the services lock the row, build the facts, ask ``MACHINE.check`` for the row and
apply its ``to`` — no state is decided anywhere else.

Pledge: ``pledged → partially_paid → honoured`` by the money paid against it, ``withdrawn`` by the
donor, ``lapsed`` when the due date passes unpaid. A payment or an amendment leads to the state
the amounts call for, so those actions have one row per possible target, told apart by guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fupin.core.money import format_yuan
from fupin.core.states import Guard, Refusal, StateMachine, Transition
from fupin.i18n import N_

PLEDGE_STATES = ("pledged", "partially_paid", "honoured", "withdrawn", "lapsed")
#: Pledges that commit their whole amount on the need.
ACTIVE_PLEDGE_STATES = ("pledged", "partially_paid", "honoured")
#: Money is still expected.
OPEN_PLEDGE_STATES = ("pledged", "partially_paid")

PLEDGE_STATE_LABELS = {
    "pledged": N_("已认捐"),
    "partially_paid": N_("部分到账"),
    "honoured": N_("已兑现"),
    "withdrawn": N_("已撤回"),
    "lapsed": N_("已逾期失效"),
}
PLEDGE_ACTION_LABELS = {
    "amend": N_("修改认捐"),
    "withdraw": N_("撤回认捐"),
    "lapse": N_("逾期失效"),
    "pay": N_("登记到账"),
    "reverse_payment": N_("冲正到账"),
    "release": N_("释放认捐"),
}


@dataclass(frozen=True)
class PledgeFacts:
    """What the guards read: the promised amount and what is paid once the action is applied."""

    amount_fen: int
    #: paid once the action is applied
    paid_fen: int
    #: paid before it (a payment's message names what was still unpaid)
    paid_before_fen: int = 0
    due_date: date | None = None
    today: date | None = None
    #: the need still takes pledges (published or funded): only then does a pledge block it
    need_collecting: bool = True


def state_for(amount_fen: int, paid_fen: int) -> str:
    """The active state the amounts call for."""
    if paid_fen <= 0:
        return "pledged"
    if paid_fen < amount_fen:
        return "partially_paid"
    return "honoured"


def _calls_for(state: str) -> Guard[PledgeFacts]:
    return Guard(
        f"amounts_call_for_{state}", "", lambda f: state_for(f.amount_fen, f.paid_fen) == state
    )


_NOT_BELOW_PAID = Guard[PledgeFacts](
    "below_paid",
    N_("认捐金额不能低于已到账的 %(paid)s。"),
    lambda f: f.amount_fen >= f.paid_fen,
    lambda f: {"paid": format_yuan(f.paid_fen)},
    field="amount_fen",
)
_WITHIN_PROMISE = Guard[PledgeFacts](
    "over_pledge_payment",
    N_("到账金额超过该认捐尚未兑现的 %(unpaid)s；请先修改认捐金额。"),
    lambda f: f.paid_fen <= f.amount_fen,
    lambda f: {"unpaid": format_yuan(f.amount_fen - f.paid_before_fen)},
    field="amount_fen",
)
_PAST_DUE = Guard[PledgeFacts](
    "not_due_yet",
    N_("认捐尚未到兑现日期。"),
    lambda f: f.due_date is not None and f.today is not None and f.due_date < f.today,
)


_BLOCKS_NEED = Guard[PledgeFacts](
    "need_not_collecting",
    N_("该需求已不再募集认捐，认捐不占用他人的认捐额度，不能释放。"),
    lambda f: f.need_collecting,
)


def _active_rows(
    action: str, froms: tuple[str, ...], guards: tuple[Guard[PledgeFacts], ...]
) -> list[Transition[PledgeFacts]]:
    """``action`` from each of ``froms`` to whichever active state the amounts call for."""
    return [
        Transition(s, action, to, None, guards=(*guards, _calls_for(to)))
        for s in froms
        for to in ACTIVE_PLEDGE_STATES
    ]


PLEDGE_MACHINE: StateMachine[PledgeFacts] = StateMachine(
    "pledge",
    PLEDGE_STATES,
    [
        # the donor changes the amount or schedule; never below what was paid
        *_active_rows("amend", ACTIVE_PLEDGE_STATES, (_NOT_BELOW_PAID,)),
        # money received against it; never more than promised
        *_active_rows("pay", OPEN_PLEDGE_STATES, (_WITHIN_PROMISE,)),
        # a confirmed donation reversed: back to what the amounts call for …
        *_active_rows("reverse_payment", ("partially_paid", "honoured"), ()),
        # … while a closed pledge stays closed (it now commits only what remains paid)
        Transition("withdrawn", "reverse_payment", "withdrawn"),
        Transition("lapsed", "reverse_payment", "lapsed"),
        # the donor withdraws the unpaid part; the sweep lapses it once the due date has passed
        Transition("pledged", "withdraw", "withdrawn"),
        Transition("partially_paid", "withdraw", "withdrawn"),
        Transition("pledged", "lapse", "lapsed", guards=(_PAST_DUE,)),
        Transition("partially_paid", "lapse", "lapsed", guards=(_PAST_DUE,)),
        # the county of the need frees the unpaid part of a pledge that blocks it (a promise
        # nobody expects to be kept), with a reason; the pledger sees it in the history
        Transition(
            "pledged",
            "release",
            "withdrawn",
            "pledge.release",
            reason_required=True,
            guards=(_BLOCKS_NEED,),
        ),
        Transition(
            "partially_paid",
            "release",
            "withdrawn",
            "pledge.release",
            reason_required=True,
            guards=(_BLOCKS_NEED,),
        ),
    ],
    state_labels=PLEDGE_STATE_LABELS,
    action_labels=PLEDGE_ACTION_LABELS,
    refusal=N_("认捐当前状态为“%(state)s”，不能%(action)s。"),
)


# --- donations ------------------------------------------------------------------------------------
#
# A donation is recorded by the recipient, then confirmed (counted, locked, in the ledger) or
# cancelled if entered in error. A confirmed donation is never edited: a mistake is corrected by
# a reversing donation (docs/domain.md §3.6).

DONATION_STATES = ("recorded", "confirmed", "cancelled")


@dataclass(frozen=True)
class DonationFacts:
    is_reversal: bool = False
    already_reversed: bool = False


_NOT_A_REVERSAL = Guard[DonationFacts](
    "is_reversal", N_("冲正记录本身不能再冲正。"), lambda f: not f.is_reversal
)
_NOT_REVERSED_YET = Guard[DonationFacts](
    "already_reversed", N_("这笔捐赠已经冲正过了。"), lambda f: not f.already_reversed
)
_LOCKED = N_("已确认的捐赠已锁定，不能修改或删除；如有错误请登记冲正。")
_ONLY_CONFIRMED_OFFICIAL = N_("只有已确认的捐赠可以登记正式票据。")

DONATION_MACHINE: StateMachine[DonationFacts] = StateMachine(
    "donation",
    DONATION_STATES,
    [
        Transition("recorded", "edit", "recorded", "donation.record"),
        Transition("recorded", "cancel", "cancelled", "donation.record"),
        Transition("recorded", "confirm", "confirmed", "donation.confirm"),
        Transition(
            "confirmed",
            "reverse",
            "confirmed",
            "donation.reverse",
            reason_required=True,
            guards=(_NOT_A_REVERSAL, _NOT_REVERSED_YET),
        ),
        # the official voucher numbers from the recipient's finance system (docs/rules.md §3)
        Transition(
            "confirmed",
            "enter_official",
            "confirmed",
            "receipt.issue",
            guards=(Guard("not_confirmed", _ONLY_CONFIRMED_OFFICIAL, lambda f: not f.is_reversal),),
        ),
    ],
    refusals=[
        Refusal("confirmed", "edit", _LOCKED, "donation_locked"),
        Refusal("confirmed", "cancel", _LOCKED, "donation_locked"),
        Refusal("cancelled", "edit", N_("已取消的捐赠记录不能修改。")),
        Refusal("cancelled", "cancel", N_("该捐赠记录已取消。")),
        Refusal("confirmed", "confirm", N_("这笔捐赠已经确认过了。"), "already_confirmed"),
        Refusal("cancelled", "confirm", N_("已取消的捐赠记录不能确认。")),
        Refusal("recorded", "reverse", N_("只有已确认的捐赠可以冲正。")),
        Refusal("cancelled", "reverse", N_("只有已确认的捐赠可以冲正。")),
        Refusal("recorded", "enter_official", _ONLY_CONFIRMED_OFFICIAL, "not_confirmed"),
        Refusal("cancelled", "enter_official", _ONLY_CONFIRMED_OFFICIAL, "not_confirmed"),
    ],
)


# --- receipts ---------------------------------------------------------------------------------------
#
# A receipt is issued with the next gapless serial of its issuer and year; a void keeps its number
# and says why; a re-issue is a new receipt pointing to the voided one (docs/domain.md §3.6).

RECEIPT_STATES = ("issued", "voided")

RECEIPT_MACHINE: StateMachine[None] = StateMachine(
    "receipt",
    RECEIPT_STATES,
    [Transition("issued", "void", "voided", "receipt.void", reason_required=True)],
    refusals=[Refusal("voided", "void", N_("这张收据已经作废。"))],
)
