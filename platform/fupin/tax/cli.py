"""`fupin tax statement|paper` (docs/domain.md §3.8).

Thin: parse, call the domain services (as the system: whoever runs the CLI has the database),
print. Amounts are printed in fen in JSON and as exact yuan text in CSV.

Profits for the working paper:
  --profits "2019=1000万,2020=500万,2021=-200万"   one value per year (万 = 10,000 yuan), or
  --profit 1000万 --profit 500万                      values for the years ending at --year
A negative profit is a loss (docs/rules.md §1.1: the cap is then 0); write it as --profit=-200万 or
inside --profits. Individuals enter their taxable income with --income.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from pydantic import BaseModel

from fupin.core.cli import fail, load_settings, run_with_db
from fupin.core.money import parse_yuan
from fupin.errors import FupinError, InvalidInput
from fupin.tax.service import donors, papers, statements, tables, views


def _echo_csv(table: tables.Table) -> None:
    sys.stdout.write(tables.csv_plain(table))


def _echo_json(document: BaseModel) -> None:
    click.echo(json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2))


@click.group(help="Tax statements and deduction working papers (docs/rules.md §1–§3).")
def tax() -> None:
    pass


@tax.command("statement", help="The annual statement of one donor's receipted donations.")
@click.option("--participant", "participant_ref", required=True, help="Participant id or USCC.")
@click.option("--year", required=True, help="Tax year (YYYY).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def statement_command(participant_ref: str, year: str, fmt: str) -> None:
    async def job() -> Any:
        participant = await donors.find_participant(participant_ref)
        return await statements.build_statement(
            actor=None, participant_id=participant.id, year=year, system=True
        )

    try:
        statement = run_with_db(load_settings(), job)
    except FupinError as exc:
        raise fail(exc) from exc
    if fmt == "json":
        _echo_json(views.statement(statement))
    else:
        _echo_csv(tables.statement_rows(statement))


def _profits(year: str, profit: tuple[str, ...], profits: str | None) -> dict[int, int]:
    if profits and profit:
        raise InvalidInput("--profit and --profits: use one of them", field="profit")
    if profits:
        return donors.parse_profits(profits)
    if not profit:
        raise InvalidInput(
            "enter the annual total profit: --profit AMOUNT or --profits YYYY=AMOUNT,...",
            field="profit",
            code="required",
        )
    last = donors.check_year(year)
    first = last - len(profit) + 1
    result: dict[int, int] = {}
    for offset, text in enumerate(profit):
        fen = parse_yuan(text, field=f"profit_{first + offset}", allow_negative=True)
        assert fen is not None
        result[first + offset] = fen
    return result


@tax.command(
    "paper", help="The deduction working paper (enterprises) or the 30% helper (individuals)."
)
@click.option("--participant", "participant_ref", required=True, help="Participant id or USCC.")
@click.option("--year", required=True, help="Tax year of the paper (YYYY).")
@click.option(
    "--profit",
    multiple=True,
    help="Annual total profit, yuan or 万; repeat for the years ending at --year.",
)
@click.option("--profits", default=None, help='Profits by year: "2019=1000万,2020=500万".')
@click.option("--income", default=None, help="Individuals: taxable income of the year (yuan).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option(
    "--lines",
    "detail",
    is_flag=True,
    help="CSV: every line with its receipts instead of the yearly table.",
)
def paper_command(
    participant_ref: str,
    year: str,
    profit: tuple[str, ...],
    profits: str | None,
    income: str | None,
    fmt: str,
    detail: bool,
) -> None:
    async def job() -> Any:
        participant = await donors.find_participant(participant_ref)
        if donors.is_individual(participant):
            if profit or profits:
                raise InvalidInput(
                    "individuals: enter the taxable income with --income", field="income"
                )
            fen = parse_yuan(income, field="taxable_income")
            return await papers.build_individual_helper(
                actor=None,
                participant_id=participant.id,
                year=year,
                taxable_income_fen=fen,
                system=True,
            )
        if income is not None:
            raise InvalidInput(
                "--income is for individuals; enterprises enter --profit", field="income"
            )
        return await papers.build_working_paper(
            actor=None,
            participant_id=participant.id,
            year=year,
            profit_fen_by_year=_profits(year, profit, profits),
            system=True,
        )

    try:
        result = run_with_db(load_settings(), job)
    except FupinError as exc:
        raise fail(exc) from exc
    if isinstance(result, papers.IndividualResult):
        if fmt == "json":
            _echo_json(views.individual(result))
        else:
            _echo_csv(tables.individual_rows(result))
        return
    if fmt == "json":
        _echo_json(views.paper(result))
    elif detail:
        _echo_csv(tables.paper_line_rows(result))
    else:
        _echo_csv(tables.paper_summary_rows(result))


commands = [tax]
