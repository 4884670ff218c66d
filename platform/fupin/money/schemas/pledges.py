"""The pledges contract: a pledge as the public, its donor and the offices see it, its schedule
and history, what is due, a need's public money, honour rates; pledging and amending through
the API (fen) and through the forms (yuan text)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AliasPath, BeforeValidator, Field, computed_field
from pydantic_core import PydanticCustomError

from fupin.core.money import parse_yuan
from fupin.core.schemas import Body, Id, Out, Page, PageQuery, PathParams, Query
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.money.models import DONATION_KINDS
from fupin.money.rules.schedules import MAX_INSTALMENTS, InstalmentSpec
from fupin.money.rules.states import OPEN_PLEDGE_STATES, PLEDGE_STATES
from fupin.money.schemas.common import Donor, Fen, FenOut, FormKey, IsoDateTime, Yuan

PledgeState = Literal[PLEDGE_STATES]  # the tuple spreads: Literal["pledged", …]
PledgeKind = Literal[DONATION_KINDS]  # a pledge promises cash or goods, like a donation


# --- responses ----------------------------------------------------------------------------------


class Pledge(Out):
    """A pledge as anyone may see it. Built from a pledge as one reader sees it
    (``money.service.readers``): ``donor`` is the participant, or the anonymous placeholder."""

    id: int
    need_id: int
    amount_fen: FenOut
    state: PledgeState
    anonymous: bool
    donor: Donor
    pair_id: int | None = Field(description="The cooperation pair that mobilised it")
    recipient_id: int | None = Field(description="The channel; null: the county government")
    due_date: date
    created_at: IsoDateTime | None


class PledgePrivate(Pledge):
    """What the donor's members and the offices see: also what has been paid."""

    paid_fen: FenOut
    committed_fen: FenOut = Field(description="What the pledge holds of the need's amount")
    kind: PledgeKind

    @computed_field(description="What is still to be paid on an open pledge; 0 once closed")
    @property
    def unpaid_fen(self) -> int:
        if self.state not in OPEN_PLEDGE_STATES:
            return 0
        return max(self.amount_fen - self.paid_fen, 0)


class Instalment(Out):
    number: int
    due_date: date
    amount_fen: FenOut


class PledgeEvent(Out):
    """One event of a pledge's history (made, amended, paid, withdrawn, lapsed …)."""

    action: str
    from_state: str
    to_state: str
    amount_before_fen: FenOut
    amount_after_fen: FenOut
    paid_after_fen: FenOut
    reason: str
    ledger_seq: int | None
    at: IsoDateTime | None


class PledgeDetail(PledgePrivate):
    """One pledge with its schedule and history."""

    instalments: list[Instalment]
    events: list[PledgeEvent]


class NeedPledges(Page[Pledge]):
    """A public need's money and one page of its pledges (anonymous donors not named)."""

    target_fen: FenOut
    pledged_fen: FenOut
    received_fen: FenOut
    open_fen: FenOut = Field(description="What may still be pledged")


class DueItem(Out):
    """An unpaid instalment, or the unpaid part of a pledge without a schedule."""

    pledge_id: int = Field(validation_alias=AliasPath("pledge", "id"))
    need_id: int = Field(validation_alias=AliasPath("pledge", "need_id"))
    need_title: str = Field(validation_alias=AliasPath("pledge", "need", "title"))
    instalment: int | None = Field(
        validation_alias="number", description="The instalment's number; null without a schedule"
    )
    due_date: date
    due_fen: FenOut
    overdue: bool


class DuePledges(Out):
    items: list[DueItem]


def _rate(name: str, description: str | None = None) -> Any:
    """A figure of the rate: read from a ``HonourRate``, or from the ``rate`` of a row."""
    return Field(
        validation_alias=AliasChoices(name, AliasPath("rate", name)), description=description
    )


class HonourRateFigures(Out):
    """The honour rate (``money.rules.honour``): pledges come due, how many were honoured, and
    the money promised and paid on them."""

    due_count: int = _rate("due_count")
    honoured_count: int = _rate("honoured_count")
    rate_percent: int | None = _rate(
        "rate_percent", "honoured / due, whole percent, rounded down; null when none came due"
    )
    due_fen: FenOut = _rate("due_fen")
    paid_fen: FenOut = _rate("paid_fen")
    amount_rate_percent: int | None = _rate(
        "amount_rate_percent", "paid / promised on the pledges come due, whole percent"
    )


class HonourRateOf(HonourRateFigures):
    """The rate overall, of one participant or of the pledges one pair mobilised."""

    participant_id: int | None
    pair_id: int | None


class ParticipantHonourRate(HonourRateFigures):
    participant_id: int
    name: str
    kind: str


# --- requests -----------------------------------------------------------------------------------


class InstalmentCreate(Body):
    due_date: date
    amount_fen: Fen


def instalment_specs(instalments: list[InstalmentCreate] | None) -> list[InstalmentSpec] | None:
    """A schedule as the pledges service takes it (None: none given)."""
    if instalments is None:
        return None
    return [InstalmentSpec(i.due_date, i.amount_fen) for i in instalments]


class PledgeCreate(Body):
    need_id: Id
    amount_fen: Fen
    due_date: date | None = Field(None, description="Required unless instalments are given")
    instalments: list[InstalmentCreate] | None = Field(
        None, max_length=MAX_INSTALMENTS, description="Amounts adding up to the pledge"
    )
    anonymous: bool = False
    commendation_consent: bool | None = Field(
        None,
        description="Asked of an anonymous donor: true, it may still be recommended and named "
        "in a commendation notice; false, anonymity applies to commendation too; absent: its "
        "earlier answer stands. Ignored for a named pledge",
    )
    pair_id: Id | None = Field(None, description="The cooperation pair that mobilised it")
    recipient_id: Id | None = Field(None, description="The channel; default: the county government")
    kind: PledgeKind = "cash"


class PledgeAmend(Body):
    amount_fen: Fen
    due_date: date | None = None
    instalments: list[InstalmentCreate] | None = Field(None, max_length=MAX_INSTALMENTS)
    reason: str = Field("", max_length=500)


class PledgePath(PathParams):
    pledge_id: Id


class NeedPledgesPath(PathParams):
    need_id: Id


class PledgeQuery(PageQuery):
    state: PledgeState | None = None


class HonourQuery(Query):
    participant_id: Id | None = Field(None, description="Of one participant")
    pair_id: Id | None = Field(None, description="Of the pledges one pair mobilised")


# --- the forms (amounts typed in yuan) --------------------------------------------------------


def _schedule_lines(value: Any) -> Any:
    """Instalments typed one per line, ``2026-03-01 20000`` (a date, yuan as ``parse_yuan``
    reads them), as the instalments of the API; a mistake names the line."""
    if not isinstance(value, str):
        return value
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if not lines:
        return None
    instalments = []
    for number, line in enumerate(lines, start=1):
        parts = line.replace("，", " ").replace(",", " ", 1).split()
        if len(parts) != 2:
            raise PydanticCustomError(
                "bad_format", _("第 %(n)s 行应为“日期 金额”，例如 2026-03-01 20000。", n=number)
            )
        try:
            due = date.fromisoformat(parts[0])
        except ValueError:
            raise PydanticCustomError("bad_date", _("日期格式应为 YYYY-MM-DD。")) from None
        try:
            amount = parse_yuan(parts[1], field="instalments")
        except InvalidInput as exc:
            raise PydanticCustomError(exc.code, exc.message) from None
        instalments.append({"due_date": due, "amount_fen": amount})
    return instalments


#: A pledge form's schedule: a text area, one instalment per line.
ScheduleText = Annotated[
    Annotated[list[InstalmentCreate], Field(max_length=MAX_INSTALMENTS)] | None,
    BeforeValidator(_schedule_lines),
]


class PledgeTarget(Body):
    """The need a pledge form is for (the form is shown again for it when refused)."""

    need_id: Id


class PledgeForm(PledgeTarget):
    """The pledge form: ``PledgeCreate`` with the amounts in yuan."""

    amount: Yuan
    due_date: date | None = None
    instalments: ScheduleText = None
    anonymous: bool = False
    commendation_consent: bool | None = None
    pair_id: Id | None = None
    recipient_id: Id | None = None
    idempotency_key: FormKey | None = None


class PledgeAmendForm(Body):
    """The amend form of the pledge page: ``PledgeAmend`` with the amounts in yuan."""

    amount: Yuan
    due_date: date | None = None
    instalments: ScheduleText = None
    reason: str = Field("", max_length=500)
    idempotency_key: FormKey | None = None
