"""The receipts contract: a platform receipt (the register's entry and what it prints), a printed
copy, the official 票据代码 / 票据号码 / 校验码; the short references a donation carries."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AliasPath, ConfigDict, Field, computed_field

from fupin.core.schemas import Body, Id, Out, PathParams
from fupin.money.rules import receipt_numbers
from fupin.money.rules.states import RECEIPT_STATES
from fupin.money.schemas.common import FenOut

ReceiptState = Literal[RECEIPT_STATES]


class ReceiptItem(Out):
    """An in-kind item as the receipt prints it."""

    name: str
    quantity: int
    unit: str
    unit_value_fen: FenOut
    amount_fen: FenOut


def _official(name: str) -> Any:
    """The official numbers are entered on the donation the receipt acknowledges."""
    return Field(validation_alias=AliasPath("donation", name))


class Receipt(Out):
    """A platform receipt. Built from the receipt row with its donation fetched."""

    id: int
    number: str = Field(description="<issuer code>-<year>-<serial>")
    issuer_id: int
    year: int
    serial: int
    donation_id: int
    state: ReceiptState
    amount_fen: FenOut
    payer_name: str
    payer_identifier: str = Field(description="USCC, or the masked ID number of an individual")
    project_code: str
    project_name: str
    area_text: str
    items: list[ReceiptItem]
    remarks: str
    issued_on: date
    void_reason: str
    reissue_of: int | None = Field(validation_alias="reissue_of_id")
    print_count: int
    official_receipt_code: str = _official("official_receipt_code")
    official_receipt_number: str = _official("official_receipt_number")
    official_check_code: str = _official("official_check_code")

    @computed_field(description="人民币大写, as printed")
    @property
    def amount_in_words(self) -> str:
        return receipt_numbers.amount_in_words(self.amount_fen)

    @computed_field(description="False until the official numbers are entered")
    @property
    def is_tax_voucher(self) -> bool:
        return receipt_numbers.has_official_numbers(
            self.official_receipt_code, self.official_receipt_number, self.official_check_code
        )

    @computed_field(description="The marks shown with it: voided, not a tax voucher")
    @property
    def labels(self) -> list[str]:
        return receipt_numbers.receipt_status_label(
            has_official_numbers=self.is_tax_voucher,
            voided=self.state == "voided",
            duplicate_copy=False,
        )


class ReceiptPrint(Receipt):
    """A receipt as printed: the copy's number; every copy after the first is a duplicate."""

    # ``copy`` is a method of every pydantic model, so the field has another name in Python.
    model_config = ConfigDict(serialize_by_alias=True)

    copy_number: int = Field(validation_alias="copy", serialization_alias="copy")

    @computed_field
    @property
    def duplicate(self) -> bool:
        return self.copy_number > 1


class DonationReceipt(Out):
    """A receipt of a donation, as the donation lists them."""

    id: int
    number: str
    state: ReceiptState


class LiveReceipt(Out):
    """The donation's live (not voided) receipt."""

    id: int
    number: str


class OfficialNumbers(Body):
    """The official 公益事业捐赠票据 the recipient's finance system issued (docs/rules.md §3)."""

    receipt_code: str = Field(max_length=20, description="票据代码")
    receipt_number: str = Field(max_length=20, description="票据号码")
    check_code: str = Field(max_length=32, description="校验码")


class ReceiptPath(PathParams):
    receipt_id: Id
