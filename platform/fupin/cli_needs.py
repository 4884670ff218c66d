"""`fupin needs …`: bulk import (with a dry run and a progress bar), export, expiry sweep.

The CLI is an operator's tool on the server: it acts as the system (audit label "import"),
so ``--county`` is how an operator confines an import to one county.
"""

from __future__ import annotations

from pathlib import Path

import click

from fupin.cli import load_settings, run_with_db


@click.group(help="Village needs: import from CSV/XLSX, export, expire overdue needs.")
def needs() -> None:
    pass


def _print_report(report: object) -> None:
    errors = getattr(report, "errors", [])
    click.echo(
        f"{getattr(report, 'rows', 0)} data rows, {getattr(report, 'valid_rows', 0)} without errors, "
        f"{getattr(report, 'error_rows', 0)} with errors"
    )
    for error in errors[:200]:
        click.echo(f"  row {error.row}, column {error.column}: {error.message}")
    if len(errors) > 200:
        click.echo(f"  … and {len(errors) - 200} more")


@needs.command("import", help="Import needs from a CSV or XLSX file (all rows or none).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--county", default=None, help="Only accept rows in this county (6-digit code).")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_command(file: Path, county: str | None, dry_run: bool) -> None:
    from fupin.domain import need_import
    from fupin.errors import FupinError

    settings = load_settings()
    data = file.read_bytes()
    if len(data) > settings.max_upload_bytes * 10:
        raise click.ClickException(f"{file} is larger than {settings.max_upload_bytes * 10} bytes")

    async def check() -> need_import.ImportReport:
        return await need_import.dry_run(None, data, file.name, county=county)

    try:
        report = run_with_db(settings, check)
    except FupinError as exc:
        raise click.ClickException(f"{exc.field or 'file'}: {exc.message}") from exc
    _print_report(report)
    if report.errors:
        raise click.ClickException("nothing was imported: fix the rows above and run again")
    if dry_run:
        click.echo("dry run: nothing written")
        return
    with click.progressbar(length=report.rows, label="importing") as bar:

        async def commit() -> need_import.ImportReport:
            return await need_import.commit(
                None, data, file.name, county=county, progress=bar.update
            )

        report = run_with_db(settings, commit)
    if not report.committed:
        _print_report(report)
        raise click.ClickException("nothing was imported")
    click.echo(f"imported {len(report.created)} needs (state: submitted, awaiting review)")


@needs.command("export", help="Export needs (public ones unless --all) to CSV or XLSX.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--province", default=None)
@click.option("--county", default=None)
@click.option("--category", default=None)
@click.option("--state", default=None)
@click.option(
    "--all", "everything", is_flag=True, help="Every need in every state (private columns)."
)
def export_command(
    fmt: str,
    output: Path,
    province: str | None,
    county: str | None,
    category: str | None,
    state: str | None,
    everything: bool,
) -> None:
    from fupin.domain import exports
    from fupin.domain import needs as needs_domain
    from fupin.domain.policy import Actor
    from fupin.errors import FupinError

    settings = load_settings()
    filters = needs_domain.NeedFilters(
        province=province, county=county, category=category, state=state, sort="newest"
    )
    # The operator reads everything, as the national office would.
    operator = Actor(user_id=0, username="cli", role="national_admin") if everything else None

    async def job() -> int:
        columns = needs_domain.export_columns(private=everything)
        count = 0

        async def counted():  # type: ignore[no-untyped-def]
            nonlocal count
            async for row in needs_domain.export_rows(filters, actor=operator, private=everything):
                count += 1
                yield row

        if fmt == "csv":
            with output.open("wb") as fh:
                async for chunk in exports.iter_csv(columns, counted()):
                    fh.write(chunk)
        else:
            output.write_bytes(await exports.xlsx_bytes(columns, counted(), sheet_title="needs"))
        return count

    try:
        count = run_with_db(settings, job)
    except FupinError as exc:
        raise click.ClickException(f"{exc.field or ''}: {exc.message}") from exc
    click.echo(f"wrote {count} needs to {output}")


@needs.command(
    "expire", help="Expire published needs whose deadline has passed (also runs in the worker)."
)
def expire_command() -> None:
    from fupin.domain import needs as needs_domain

    settings = load_settings()
    count = run_with_db(settings, needs_domain.expire_all_overdue)
    click.echo(f"expired {count} needs")


commands = [needs]
