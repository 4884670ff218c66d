"""`fupin commendation rank`: compute and store a round's ranked nomination list (docs/domain.md §3.9).

Thin: parse, call the commendation service as the system, print."""

from __future__ import annotations

import json
from typing import Any

import click

from fupin.commendation.service import ranking, rounds
from fupin.core.cli import fail, load_settings, run_with_db
from fupin.core.money import format_yuan
from fupin.errors import FupinError


@click.group(help="Five-year commendation rounds (docs/rules.md §5).")
def commendation() -> None:
    pass


@commendation.command("rank", help="Compute and store the ranked nomination list of a round.")
@click.option("--round", "round_id", required=True, type=int, help="Round id.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rank_command(round_id: int, fmt: str) -> None:
    async def job() -> Any:
        await ranking.rank(actor=None, round_id=round_id, system=True)
        found = await rounds.get_round(round_id)
        return found, await ranking.nominations_of(round_id)

    try:
        found, nominations = run_with_db(load_settings(), job)
    except FupinError as exc:
        raise fail(exc) from exc
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "round": {
                        "id": found.id,
                        "title": found.title,
                        "state": found.state,
                        "first_year": found.first_year,
                        "last_year": found.last_year,
                    },
                    "nominations": [
                        {
                            "id": n.id,
                            "category": f"{n.category.award_type}_{n.category.scope}",
                            "participant_id": n.participant_id,
                            "name": n.public_name,
                            "status": n.status,
                            "rank": n.rank,
                            "figures": n.figures,
                            "reasons": [r.get("code") for r in n.reasons or []],
                        }
                        for n in nominations
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"{found.title} ({found.first_year}–{found.last_year}): {found.state}")
    for n in nominations:
        if n.status == "excluded":
            continue
        total = int((n.figures or {}).get("total_confirmed_fen", 0))
        click.echo(
            f"  {n.category.award_type}_{n.category.scope:<10} #{n.rank:<3} {n.status:<8} "
            f"{n.public_name}  {format_yuan(total, grouping=False)}"
        )
    excluded = sum(1 for n in nominations if n.status == "excluded")
    click.echo(f"excluded: {excluded}")


commands = [commendation]
