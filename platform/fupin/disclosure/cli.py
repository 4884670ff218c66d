"""`fupin complaints escalate|statistics`: the escalation sweep by hand, and the public
statistics per county (docs/domain.md §3.10). Thin: parse, call the service, print."""

from __future__ import annotations

import json
from typing import Any

import click

from fupin.core.cli import load_settings, run_with_db
from fupin.disclosure.service import complaints as complaint_service


@click.group(help="Complaints (举报): escalation and statistics (docs/domain.md §3.10).")
def complaints() -> None:
    pass


@complaints.command(
    "escalate", help="Move complaints past their office's deadline to the next level now."
)
def escalate_command() -> None:
    moved = run_with_db(load_settings(), complaint_service.escalate_overdue)
    click.echo(f"escalated {moved} overdue complaints")


@complaints.command("statistics", help="Received, concluded on time and overdue, per county.")
@click.option("--county", default=None, help="One county's code.")
@click.option("--province", default=None, help="The counties of one province.")
def statistics_command(county: str | None, province: str | None) -> None:
    async def job() -> Any:
        return await complaint_service.statistics(county_code=county, province_code=province)

    for row in run_with_db(load_settings(), job):
        click.echo(json.dumps(row.__dict__, ensure_ascii=False))


commands = [complaints]
