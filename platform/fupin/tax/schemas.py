"""The tax API contract: a donor's tax years, the annual statement, the deduction working paper
(enterprises) and the 30 % helper (individuals), and the request that computes a paper.

Money is integer fen. Profits may also be sent as yuan text ("1000万", "-200万元"): the text goes
through ``core.money.parse_yuan``, the one grammar of typed amounts, in ``TaxPaperRequest``; the
paper form posts the same request (its fields ``profit_<year>`` and ``taxable_income`` are the
names every problem is reported under, in the API too).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from fupin.accounts.schemas import Kind
from fupin.core.money import MAX_ABS_FEN, parse_yuan
from fupin.core.schemas import Body, Id, Out, PathParams
from fupin.errors import FieldError, InvalidInput
from fupin.i18n import _
from fupin.money.models import DONATION_KINDS, RECIPIENT_KINDS
from fupin.tax.rules.paper import LineKind

DonationKind = Literal[DONATION_KINDS]
RecipientKind = Literal[RECIPIENT_KINDS]
#: The statement's sections (``StatementLine.group``).
Group = Literal["targeted", "general", "non_qualifying"]
PaperLineKind = Literal[tuple(kind.value for kind in LineKind)]
#: Fen by origin year ("2019": 1200000): carry-forward used or lost, per donation year.
FenByOrigin = dict[str, int]

# ---- parameters and the request --------------------------------------------------------------


class TaxDonorPath(PathParams):
    pid: Id = Field(description="The donor (participant id)")


class TaxYearPath(TaxDonorPath):
    year: int = Field(description="Tax year: from 2008 (EIT Law) to the current year")


YuanText = Annotated[str, Field(max_length=40, examples=["1000万", "5,000,000.00", "-200万"])]
Fen = Annotated[int, Field(ge=-MAX_ABS_FEN, le=MAX_ABS_FEN)]


def _years_as_keys(value: dict[str, object] | None) -> dict[str, object] | None:
    for key in value or {}:
        if not (key.isascii() and key.isdigit() and len(key) == 4):
            raise PydanticCustomError("not_a_year", _("年度应为四位数字：%(k)s", k=key[:8]))
    return value


class TaxPaperRequest(Body):
    """Enterprises: the annual total profit of each year (``profits`` as yuan text, or
    ``profit_fen_by_year`` as integer fen; a negative profit is a loss). Individuals: the
    taxable income of the year (``taxable_income`` as yuan text, or ``taxable_income_fen``)."""

    profits: dict[str, YuanText] | None = Field(
        None,
        min_length=1,
        max_length=60,
        description="Profit per year as yuan text (元 or 万); a loss is negative",
        examples=[{"2019": "1000万", "2020": "500万", "2021": "-200万"}],
    )
    profit_fen_by_year: dict[str, Fen] | None = Field(
        None, min_length=1, max_length=60, description="Profit per year in fen"
    )
    taxable_income: YuanText | None = Field(
        None, description="Individuals: taxable income before the donation, yuan text"
    )
    taxable_income_fen: int | None = Field(
        None, ge=0, le=MAX_ABS_FEN, description="Individuals: taxable income in fen"
    )

    check_years = field_validator("profits", "profit_fen_by_year")(_years_as_keys)

    def fen_by_year(self) -> dict[int, int]:
        """The profits in fen by year. Text goes through ``parse_yuan`` (a loss may be
        negative); each problem names the field ``profit_<year>``, as on the paper form."""
        if (self.profits is None) == (self.profit_fen_by_year is None):
            raise InvalidInput(
                _("请提供 profits（文本金额）或 profit_fen_by_year（以分为单位的整数）之一。"),
                field="profits",
                code="required",
            )
        if self.profit_fen_by_year is not None:
            return {int(year): fen for year, fen in self.profit_fen_by_year.items()}
        result: dict[int, int] = {}
        errors: list[FieldError] = []
        for year, text in (self.profits or {}).items():
            try:
                result[int(year)] = parse_yuan(text, field=f"profit_{year}", allow_negative=True)
            except InvalidInput as exc:
                errors.extend(exc.errors)
        if errors:
            raise InvalidInput(errors=errors, code=errors[0].code)
        return result

    def income_fen(self) -> int:
        """The taxable income in fen (``taxable_income_fen`` wins if both are given)."""
        if self.taxable_income_fen is not None:
            return self.taxable_income_fen
        if self.taxable_income is None:
            raise InvalidInput(_("请填写应纳税所得额。"), field="taxable_income", code="required")
        return parse_yuan(self.taxable_income, field="taxable_income")


# ---- responses -------------------------------------------------------------------------------


class TaxParticipant(Out):
    id: int
    name: str
    kind: Kind


class TaxYears(Out):
    """The donor and the tax years with confirmed donations (newest first), plus this year."""

    participant: TaxParticipant
    years: list[int]


class TaxDonor(Out):
    """The donor on a statement or paper: the USCC, or an individual's masked ID number."""

    id: int
    name: str
    identifier: str


class TaxStatementDonor(Out):
    id: int
    name: str
    kind: Kind
    identifier: str


class TaxDonationItem(Out):
    name: str
    quantity: int
    unit: str
    unit_value_fen: int


class TaxRecipient(Out):
    id: int
    name: str
    kind: RecipientKind
    uscc: str
    qualifies: bool = Field(description="A qualifying channel for deduction on the day received")
    qualification_reason: str


class TaxStatementLine(Out):
    """One receipted donation (docs/rules.md §3): the platform receipt, the official 票据代码 / 号码 /
    校验码 (without them the receipt is not a tax voucher), the recipient's qualification."""

    donation_id: int
    received_on: date
    amount_fen: int
    kind: DonationKind
    valuation_basis: str
    items: list[TaxDonationItem]
    receipt_number: str
    receipt_issued_on: date
    official_receipt_code: str
    official_receipt_number: str
    official_check_code: str
    is_tax_voucher: bool
    recipient: TaxRecipient
    group: Group
    targeted: bool
    targeted_basis: str
    area_text: str
    need_id: int
    need_title: str
    county_code: str
    ledger_seq: int | None
    ledger_hash: str


class TaxUnreceiptedLine(Out):
    """A confirmed donation without a live receipt: listed apart, not yet receipted."""

    donation_id: int
    received_on: date
    amount_fen: int
    kind: DonationKind
    recipient: str
    need_title: str


class TaxStatementTotals(Out):
    total_fen: int
    voucher_fen: int
    pending_voucher_fen: int
    unreceipted_fen: int
    targeted_cash_fen: int
    targeted_in_kind_fen: int
    general_cash_fen: int
    general_in_kind_fen: int
    non_qualifying_cash_fen: int
    non_qualifying_in_kind_fen: int


class TaxStatement(Out):
    """The annual statement of a donor's receipted donations."""

    participant: TaxStatementDonor
    year: int
    lines: list[TaxStatementLine]
    unreceipted: list[TaxUnreceiptedLine]
    totals: TaxStatementTotals


class TaxLineSource(Out):
    """The part of one donation a paper line accounts for, with its receipts."""

    donation_id: int
    receipt_number: str
    official_receipt: str = Field(description="票据代码/号码/校验码, empty if none")
    received_on: date
    amount_fen: int


class TaxPaperLine(Out):
    """One line of a paper: the amount, the rule that applied (reason and citation) and the
    donations it derives from."""

    kind: PaperLineKind
    amount_fen: int
    origin_year: int | None
    last_usable_year: int | None
    reason_code: str
    reason: str
    citation: str
    sources: list[TaxLineSource]


class TaxPaperYearSummary(Out):
    """One row of the docs/rules.md §1.4 table, in fen."""

    year: int
    profit_fen: int
    general_fen: int
    targeted_fen: int
    non_qualifying_fen: int
    cap_fen: int
    brought_forward_used: FenByOrigin
    brought_forward_used_fen: int
    targeted_deducted_fen: int
    legacy_targeted_deducted_fen: int
    current_general_deducted_fen: int
    carried_forward_fen: int
    expired: FenByOrigin
    expired_fen: int
    deducted_fen: int
    booked_fen: int
    adjustment_fen: int
    opening_balance_fen: int
    closing_balance_fen: int


class TaxPaperYear(TaxPaperYearSummary):
    lines: list[TaxPaperLine]


class TaxPaperTotals(Out):
    booked_fen: int
    deducted_fen: int
    expired_fen: int
    non_deductible_fen: int
    still_carried_fen: int


class TaxPaper(Out):
    """The enterprise deduction working paper (docs/rules.md §1.4), computed, never stored."""

    participant: TaxDonor
    year: int
    required_years: list[int] = Field(description="Years whose profit an exact paper needs")
    optional_years: list[int] = Field(description="Earlier years with donations, may be entered")
    years: list[TaxPaperYear]
    totals: TaxPaperTotals
    pending_official_receipt: list[TaxStatementLine] = Field(
        description="Receipted donations without official numbers: not in the paper"
    )


class TaxIndividualHelper(Out):
    """The 30 % helper of an individual (docs/rules.md §2): no carry-forward, no full deduction."""

    participant: TaxDonor
    year: int
    taxable_income_fen: int
    cap_fen: int
    cap_reason: str
    booked_fen: int
    deductible_fen: int
    excess_fen: int
    non_deductible_fen: int
    lines: list[TaxPaperLine]
    pending_official_receipt: list[TaxStatementLine]
