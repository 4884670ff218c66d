"""The donations contract: a donation as its donor, its recipient and the offices see it (with its
items, receipts and reversal), recording and correcting one through the API (fen) and through
the recipient's form (yuan text)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from fupin.core.schemas import Body, Id, Out, PathParams
from fupin.money.models import DONATION_KINDS, VALUATION_BASES
from fupin.money.rules.states import DONATION_STATES
from fupin.money.schemas.common import Donor, Fen, FenOut, FormKey, IsoDateTime, Yuan
from fupin.money.schemas.receipts import DonationReceipt, LiveReceipt

DonationKind = Literal[DONATION_KINDS]
DonationState = Literal[DONATION_STATES]
#: How an in-kind gift was valued; empty for cash (and to clear it when a gift becomes cash).
ValuationBasis = Literal[("", *VALUATION_BASES)]

TARGETED = "Targeted poverty donation (2019 No. 49): derived from the place and the channel"


# --- responses ----------------------------------------------------------------------------------


class Donation(Out):
    """A donation as those allowed to read it see it: its donor, its recipient's officers and the
    offices over the need. Built from the row (``donor`` fetched) or from the donation as one
    reader sees it (``money.service.readers``: an anonymous donor named only to who may know)."""

    id: int
    need_id: int
    pledge_id: int | None
    recipient_id: int
    amount_fen: FenOut = Field(description="Negative for a reversing entry")
    kind: DonationKind
    state: DonationState
    received_on: date = Field(description="The day the money arrived")
    anonymous: bool
    donor: Donor
    reverses: int | None = Field(
        validation_alias="reverses_id", description="The donation a reversing entry corrects"
    )
    targeted: bool = Field(description=TARGETED)
    targeted_basis: str
    channel_qualifies: bool
    payment_reference: str
    valuation_basis: ValuationBasis
    fair_value_evidence: str
    target_area_text: str
    note: str
    official_receipt_code: str
    official_receipt_number: str
    official_check_code: str
    confirmed_at: IsoDateTime | None
    ledger_seq: int | None
    historical: bool = Field(
        default=False,
        description="Entered by the national office's historical-records import: the received "
        "date may precede the need's drafting or the pledge",
    )


class MyDonation(Donation):
    """One of my participant's donations, with its live receipt."""

    receipt: LiveReceipt | None = Field(validation_alias="live_receipt_row")


class DonationItem(Out):
    """An in-kind item: name, quantity, unit, unit value."""

    name: str
    quantity: int
    unit: str
    unit_value_fen: FenOut


class DonationDetail(Donation):
    """One donation with its items, its receipts and the entry that reversed it."""

    items: list[DonationItem]
    receipts: list[DonationReceipt]
    reversed_by: int | None


# --- requests -----------------------------------------------------------------------------------


class DonationItemSpec(Body):
    """An in-kind item as recorded; quantity × unit value adds up to the donation."""

    name: str = Field("", max_length=64)
    quantity: int
    unit: str = Field("", max_length=16)
    unit_value_fen: int


class DonationRecord(Body):
    """Money the recipient received (its officers record it)."""

    recipient_id: Id
    amount_fen: Fen
    received_on: date = Field(description="The day the money arrived; may be in an earlier year")
    need_id: Id | None = Field(None, description="Required without pledge_id")
    pledge_id: Id | None = None
    donor_id: Id | None = Field(None, description="Required without pledge_id")
    anonymous: bool | None = Field(None, description="Default: the pledge's, else false")
    kind: DonationKind = "cash"
    payment_reference: str = Field("", max_length=64)
    valuation_basis: ValuationBasis = ""
    fair_value_evidence: str = Field("", max_length=2000)
    items: list[DonationItemSpec] = Field([], max_length=100)
    note: str = Field("", max_length=2000)
    confirm: bool = Field(False, description="Record and confirm in one step")


def _unchanged(**constraints: Any) -> Any:
    """A field of a correction: absent means unchanged, and null is no value. (A default factory
    rather than a default: the document then shows no ``default: null`` for a field that is
    never null, and a field left out is not among those set.)"""
    return Field(default_factory=lambda: None, **constraints)


class DonationEdit(Body):
    """A correction of a recorded (unconfirmed) donation: only the fields sent change.
    Confirmed donations are locked (409): correct them with a reversing entry."""

    amount_fen: Fen = _unchanged()
    received_on: date = _unchanged()
    payment_reference: str = _unchanged(max_length=64)
    note: str = _unchanged(max_length=2000)
    kind: DonationKind = _unchanged()
    valuation_basis: ValuationBasis = _unchanged()
    fair_value_evidence: str = _unchanged(max_length=2000)
    anonymous: bool = _unchanged()


class DonationPath(PathParams):
    donation_id: Id


# --- the recipient's form (the amount typed in yuan) ------------------------------------------


class DonationTarget(Body):
    """Whose donation form it is: the recipient ``org`` (one of those the officer works for;
    the first when not chosen) and the pledge or need it is for."""

    org: Id | None = None
    pledge_id: Id | None = None
    need_id: Id | None = None


class DonationForm(DonationTarget):
    """The donation form: ``DonationRecord`` with the amount in yuan."""

    donor_id: Id | None = None
    amount: Yuan
    received_on: date
    kind: DonationKind = "cash"
    valuation_basis: ValuationBasis = ""
    fair_value_evidence: str = Field("", max_length=2000)
    payment_reference: str = Field("", max_length=64)
    anonymous: bool = False
    note: str = Field("", max_length=2000)
    confirm: bool = False
    idempotency_key: FormKey | None = None
