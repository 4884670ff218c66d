"""Statements and papers as the tax schemas show them (``tax/schemas.py``): the JSON of the API
and of ``fupin tax … --format json``, and the docs/rules.md §1.4 table the paper page and the exports
read. The figures are the rules' (``tax.rules``); here they are only arranged.
"""

from __future__ import annotations

from collections.abc import Mapping

from fupin.i18n import N_
from fupin.tax.rules.paper import LineKind, PaperLine, YearPaper
from fupin.tax.schemas import (
    TaxDonationItem,
    TaxDonor,
    TaxIndividualHelper,
    TaxLineSource,
    TaxPaper,
    TaxPaperLine,
    TaxPaperTotals,
    TaxPaperYear,
    TaxPaperYearSummary,
    TaxRecipient,
    TaxStatement,
    TaxStatementDonor,
    TaxStatementLine,
    TaxStatementTotals,
    TaxUnreceiptedLine,
)
from fupin.tax.service.papers import IndividualResult, PaperResult
from fupin.tax.service.statements import GROUPS, Statement, StatementLine

LINE_KIND_LABELS = {
    LineKind.BOOKED: N_("账载捐赠支出"),
    LineKind.NON_DEDUCTIBLE: N_("不得扣除"),
    LineKind.TARGETED_FULL: N_("扶贫捐赠全额扣除"),
    LineKind.LEGACY_TARGETED: N_("以前年度扶贫捐赠扣除"),
    LineKind.BROUGHT_FORWARD: N_("扣除以前年度结转"),
    LineKind.CURRENT_GENERAL: N_("扣除当年一般捐赠"),
    LineKind.CARRIED_FORWARD: N_("结转以后年度"),
    LineKind.EXPIRED: N_("过期不得扣除"),
    LineKind.BALANCE: N_("年末结转余额"),
}


# --- the docs/rules.md §1.4 table ------------------------------------------------------------------


def brought_forward_by_origin(paper: YearPaper) -> dict[int, int]:
    used: dict[int, int] = {}
    for line in paper.deductions:
        if line.kind is LineKind.BROUGHT_FORWARD and line.origin_year is not None:
            used[line.origin_year] = used.get(line.origin_year, 0) + line.amount_fen
    return dict(sorted(used.items()))


def expired_by_origin(paper: YearPaper) -> dict[int, int]:
    lost: dict[int, int] = {}
    for line in paper.expired:
        origin = line.origin_year if line.origin_year is not None else paper.year
        lost[origin] = lost.get(origin, 0) + line.amount_fen
    return dict(sorted(lost.items()))


def booked_split(paper: YearPaper) -> dict[str, int]:
    """G (general, incl. targeted treated as general), T (targeted in full), N (non-qualifying)."""
    split = {"general_fen": 0, "targeted_fen": 0, "non_qualifying_fen": 0}
    for line in paper.booked:
        if line.reason.code == "booked_targeted_full":
            split["targeted_fen"] += line.amount_fen
        elif line.reason.code == "booked_non_qualifying":
            split["non_qualifying_fen"] += line.amount_fen
        else:
            split["general_fen"] += line.amount_fen
    return split


def _summary_fields(paper: YearPaper) -> dict[str, object]:
    return {
        "year": paper.year,
        "profit_fen": paper.profit_fen,
        **booked_split(paper),
        "cap_fen": paper.cap_fen,
        "brought_forward_used": {str(k): v for k, v in brought_forward_by_origin(paper).items()},
        "brought_forward_used_fen": paper.brought_forward_used_fen,
        "targeted_deducted_fen": paper.targeted_deducted_fen,
        "legacy_targeted_deducted_fen": paper.legacy_targeted_deducted_fen,
        "current_general_deducted_fen": paper.current_general_deducted_fen,
        "carried_forward_fen": paper.carried_forward_fen,
        "expired": {str(k): v for k, v in expired_by_origin(paper).items()},
        "expired_fen": paper.expired_fen,
        "deducted_fen": paper.deducted_fen,
        "booked_fen": paper.booked_fen,
        "adjustment_fen": paper.adjustment_fen,
        "opening_balance_fen": paper.opening_balance_fen,
        "closing_balance_fen": paper.closing_balance_fen,
    }


def year_summary(paper: YearPaper) -> TaxPaperYearSummary:
    """One row of the docs/rules.md §1.4 table, in fen."""
    return TaxPaperYearSummary.model_validate(_summary_fields(paper))


# --- lines, receipts --------------------------------------------------------------------------


def official_receipt(line: StatementLine | None) -> str:
    """票据代码/号码/校验码 of a voucher, or empty."""
    if line is None or not line.has_official_numbers:
        return ""
    return f"{line.official_code}/{line.official_number}/{line.official_check_code}"


def paper_line(line: PaperLine, receipts: Mapping[int, StatementLine]) -> TaxPaperLine:
    return TaxPaperLine(
        kind=line.kind.value,
        amount_fen=line.amount_fen,
        origin_year=line.origin_year,
        last_usable_year=line.last_usable_year,
        reason_code=line.reason.code,
        reason=line.reason.message,
        citation=line.reason.citation,
        sources=[
            TaxLineSource(
                donation_id=int(share.donation_id),
                receipt_number=share.receipt_number,
                official_receipt=official_receipt(receipts.get(int(share.donation_id))),
                received_on=share.donated_on,
                amount_fen=share.amount_fen,
            )
            for share in line.sources
        ],
    )


def statement_line(line: StatementLine) -> TaxStatementLine:
    return TaxStatementLine(
        donation_id=line.donation_id,
        received_on=line.received_on,
        amount_fen=line.amount_fen,
        kind=line.kind,
        valuation_basis=line.valuation_basis,
        items=[TaxDonationItem.model_validate(item) for item in line.items],
        receipt_number=line.receipt_number,
        receipt_issued_on=line.receipt_issued_on,
        official_receipt_code=line.official_code,
        official_receipt_number=line.official_number,
        official_check_code=line.official_check_code,
        is_tax_voucher=line.is_tax_voucher,
        recipient=TaxRecipient(
            id=line.recipient_id,
            name=line.recipient_name,
            kind=line.recipient_kind,
            uscc=line.recipient_uscc,
            qualifies=line.qualifies,
            qualification_reason=line.qualification.reason.message,
        ),
        group=line.group,
        targeted=line.targeted,
        targeted_basis=line.targeted_basis,
        area_text=line.area_text,
        need_id=line.need_id,
        need_title=line.need_title,
        county_code=line.county_code,
        ledger_seq=line.ledger_seq,
        ledger_hash=line.ledger_hash,
    )


# --- the documents ----------------------------------------------------------------------------


def statement(result: Statement) -> TaxStatement:
    return TaxStatement(
        participant=TaxStatementDonor(
            id=result.participant_id,
            name=result.participant_name,
            kind=result.participant_kind,
            identifier=result.identifier,
        ),
        year=result.year,
        lines=[statement_line(line) for line in result.lines],
        unreceipted=[
            TaxUnreceiptedLine(
                donation_id=u.donation_id,
                received_on=u.received_on,
                amount_fen=u.amount_fen,
                kind=u.kind,
                recipient=u.recipient_name,
                need_title=u.need_title,
            )
            for u in result.unreceipted
        ],
        totals=TaxStatementTotals.model_validate(
            {
                "total_fen": result.total_fen,
                "voucher_fen": result.voucher_fen,
                "pending_voucher_fen": result.pending_voucher_fen,
                "unreceipted_fen": result.unreceipted_fen,
                **{
                    f"{group}_{kind}_fen": result.total(group=group, kind=kind)
                    for group in GROUPS
                    for kind in ("cash", "in_kind")
                },
            }
        ),
    )


def paper(result: PaperResult) -> TaxPaper:
    working = result.paper
    return TaxPaper(
        participant=TaxDonor(
            id=result.participant_id, name=result.participant_name, identifier=result.identifier
        ),
        year=result.year,
        required_years=list(result.years.required),
        optional_years=list(result.years.optional),
        years=[
            TaxPaperYear.model_validate(
                {
                    **_summary_fields(year),
                    "lines": [paper_line(line, result.receipts) for line in year.lines()],
                }
            )
            for year in working.years
        ],
        totals=TaxPaperTotals(
            booked_fen=working.total_booked_fen,
            deducted_fen=working.total_deducted_fen,
            expired_fen=working.total_expired_fen,
            non_deductible_fen=working.total_non_deductible_fen,
            still_carried_fen=working.still_carried_fen,
        ),
        pending_official_receipt=[statement_line(line) for line in result.pending],
    )


def individual_lines(result: IndividualResult) -> tuple[PaperLine, ...]:
    """The helper's lines in the order shown: booked, non-deductible, deductible, excess."""
    helper = result.helper
    return (*helper.booked, *helper.non_deductible, *helper.deductible, *helper.excess)


def individual(result: IndividualResult) -> TaxIndividualHelper:
    helper = result.helper
    return TaxIndividualHelper(
        participant=TaxDonor(
            id=result.participant_id, name=result.participant_name, identifier=result.identifier
        ),
        year=result.year,
        taxable_income_fen=helper.taxable_income_fen,
        cap_fen=helper.cap_fen,
        cap_reason=helper.cap_reason.message,
        booked_fen=helper.booked_fen,
        deductible_fen=helper.deductible_fen,
        excess_fen=helper.excess_fen,
        non_deductible_fen=helper.non_deductible_fen,
        lines=[paper_line(line, result.receipts) for line in individual_lines(result)],
        pending_official_receipt=[statement_line(line) for line in result.pending],
    )
