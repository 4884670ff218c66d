"""The recipients contract: recipient organisations with their deduction qualifications,
registering them (API and office forms alike), and a recipient's inbox."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AliasPath, BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from fupin.core.schemas import Body, Id, Out, Page, PageQuery, PathParams, RegionCode, Uscc
from fupin.i18n import _
from fupin.money.models import RECIPIENT_KINDS
from fupin.money.rules.channels import FIRST_QUALIFICATION_YEAR, LAST_QUALIFICATION_YEAR
from fupin.money.schemas.common import FenOut
from fupin.money.schemas.donations import Donation
from fupin.money.schemas.pledges import PledgePrivate

RecipientKind = Literal[RECIPIENT_KINDS]
Year = Annotated[int, Field(ge=FIRST_QUALIFICATION_YEAR, le=LAST_QUALIFICATION_YEAR)]


class Qualification(Out):
    """One published listing of the organisation's pre-tax deduction qualification."""

    start_year: int
    end_year: int
    list_reference: str


class Recipient(Out):
    """A county-level-or-higher government body or a public-welfare organisation that receives
    money and issues receipts. Built from the row with its qualifications fetched."""

    id: int
    kind: RecipientKind
    name: str
    code: str = Field(description="Issuer code in receipt numbers")
    uscc: str | None
    region_code: str | None = Field(validation_alias="region_id")
    participant_id: int | None
    qualifications: list[Qualification]

    @field_validator("qualifications", mode="before")
    @classmethod
    def _fetched(cls, value: Any) -> Any:
        """The fetched relation (in the order it was fetched) as a list."""
        return value if isinstance(value, list) else list(value)


class RecipientCreate(Body):
    kind: RecipientKind
    name: str = Field(max_length=128)
    code: str = Field("", max_length=18, description="Default: the USCC")
    uscc: Uscc = ""
    region_code: RegionCode | None = Field(
        None, description="What a government body governs (county or above)"
    )
    participant_id: Id | None = None
    note: str = Field("", max_length=2000)


class QualificationCreate(Body):
    start_year: Year
    end_year: Year
    list_reference: str = Field(max_length=255, description="The published list (文号)")


class RecipientQuery(PageQuery):
    kind: RecipientKind | None = None


class InboxQuery(PageQuery):
    """The inbox page: which of the officer's organisations (the first when not chosen)."""

    org: Id | None = None


class RecipientPath(PathParams):
    org_id: Id


class Inbox(Out):
    """A recipient's inbox: the open pledges it expects, what awaits confirmation, and one page
    of what it has received."""

    recipient_id: int = Field(validation_alias=AliasPath("org", "id"))
    expected_total_fen: FenOut
    received_total_fen: FenOut
    receipts_missing: int = Field(description="Confirmed donations without a live receipt")
    expected: list[PledgePrivate]
    awaiting_confirmation: list[Donation] = Field(validation_alias="awaiting")
    received: Page[Donation]


def _account_number(value: Any) -> Any:
    """The account number as printed on a bank card or a letter (spaces and hyphens grouping
    the digits), kept as its digits; anything else is refused next to the field."""
    if not isinstance(value, str):
        return value
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{8,34}", digits):
        raise PydanticCustomError("account_number", _("账号应为 8 至 34 位数字（可用空格分组）。"))
    return digits


class BankAccountForm(Body):
    """The account donors transfer to, as the recipient's officer enters it."""

    bank_name: str = Field(min_length=2, max_length=64, description="开户银行")
    account_name: str = Field(min_length=2, max_length=128, description="户名")
    account_number: Annotated[str, BeforeValidator(_account_number)] = Field(
        description="账号（数字）"
    )
