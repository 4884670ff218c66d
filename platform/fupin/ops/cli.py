"""`fupin backup` and `fupin restore` (docs/operations.md "Backups")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from fupin.core.cli import load_settings
from fupin.ops.backup import BackupError, backup, check_restored, load


@click.command(
    "backup", help="Back up the live database to FILE (SQLite backup API or pg_dump -Fc)."
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    settings = load_settings()
    try:
        info = backup(settings, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {info.path} ({info.size:,} bytes, {info.kind})")


@click.command(
    "restore",
    help="Restore FILE into an empty database, then verify the ledger and rollups and reindex.",
)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore_command(file: Path) -> None:
    settings = load_settings()
    try:
        load(settings, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {file}")
    report = asyncio.run(check_restored(settings))
    if report.ledger_ok:
        click.echo(f"ledger verify: OK ({report.ledger_entries} entries)")
    else:
        click.echo("ledger verify: FAIL")
        for line in report.ledger_detail:
            click.echo(f"  {line}")
    if report.rollup_differences:
        click.echo(f"rollups verify: FAIL ({len(report.rollup_differences)} differences)")
        for line in report.rollup_differences[:20]:
            click.echo(f"  {line}")
    else:
        click.echo("rollups verify: OK")
    click.echo(f"reindex: {report.indexed} public needs indexed")
    if not report.ok:
        raise click.ClickException("the restored database does not verify (see above)")


commands = [backup_command, restore_command]
