"""Tax API (docs/domain.md §3.8): a donor's tax years, annual statement and working paper.

A donor's member sees only its own participant; auditors any (policy ``tax.view``). The paper is
computed from the profits in the request body and never stored (a POST so that profit figures do
not end up in URLs and logs).
"""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import Actor
from fupin.tax.schemas import (
    TaxDonorPath,
    TaxIndividualHelper,
    TaxPaper,
    TaxPaperRequest,
    TaxStatement,
    TaxYearPath,
    TaxYears,
)
from fupin.tax.service import donors, papers, statements, views


async def tax_years(request: Request, *, actor: Actor, path: TaxDonorPath) -> TaxYears:
    participant, years = await donors.donation_years(actor=actor, participant_id=path.pid)
    return TaxYears.model_validate({"participant": participant, "years": years})


async def tax_statement(request: Request, *, actor: Actor, path: TaxYearPath) -> TaxStatement:
    result = await statements.build_statement(actor=actor, participant_id=path.pid, year=path.year)
    return views.statement(result)


async def tax_paper(
    request: Request, *, actor: Actor, path: TaxYearPath, body: TaxPaperRequest
) -> TaxPaper | TaxIndividualHelper:
    participant, _years = await donors.donation_years(actor=actor, participant_id=path.pid)
    if donors.is_individual(participant):
        helper = await papers.build_individual_helper(
            actor=actor,
            participant_id=path.pid,
            year=path.year,
            taxable_income_fen=body.income_fen(),
        )
        return views.individual(helper)
    paper = await papers.build_working_paper(
        actor=actor, participant_id=path.pid, year=path.year, profit_fen_by_year=body.fen_by_year()
    )
    return views.paper(paper)


endpoints = [
    Endpoint(
        "GET",
        "/tax/{pid}/years",
        tax_years,
        "Tax years with donations (the donor's own, or any for auditors)",
        params=TaxDonorPath,
        auth="required",
        response=TaxYears,
        errors=(403, 404),
        action="tax.view",
    ),
    Endpoint(
        "GET",
        "/tax/{pid}/statements/{year}",
        tax_statement,
        "Annual statement of receipted donations",
        params=TaxYearPath,
        auth="required",
        response=TaxStatement,
        errors=(403, 404),
        action="tax.view",
    ),
    Endpoint(
        "POST",
        "/tax/{pid}/papers/{year}",
        tax_paper,
        "Deduction working paper (enterprises) or the 30% helper (individuals)",
        params=TaxYearPath,
        body=TaxPaperRequest,
        auth="required",
        response=TaxPaper | TaxIndividualHelper,
        errors=(403, 404),
        action="tax.view",
    ),
]
