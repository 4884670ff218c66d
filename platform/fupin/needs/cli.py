"""`fupin needs …`: bulk import (with a dry run and a progress bar), export, expiry sweep.

The CLI is an operator's tool on the server: it acts as the system (audit label "import"),
so ``--county`` is how an operator confines an import to one county.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from fupin.core import exports
from fupin.core.cli import load_settings, run_with_db
from fupin.core.policy import Actor
from fupin.core.templating import yuan
from fupin.errors import FupinError
from fupin.needs.service import expiry, presentation, reading
from fupin.needs.service import importer as need_import
from fupin.needs.service import search_outbox as outbox_db
from fupin.needs.service.search import (
    NeedSearchPage,
    SearchService,
    open_service,
    rebuild_index,
)
from fupin.needs.service.search_outbox import OutboxStatus
from fupin.settings import Settings


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
    settings = load_settings()
    data = file.read_bytes()
    max_rows, max_bytes = settings.import_max_rows, settings.import_max_bytes

    async def check() -> need_import.ImportReport:
        return await need_import.dry_run(
            None, data, file.name, county=county, max_rows=max_rows, max_bytes=max_bytes
        )

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
                None,
                data,
                file.name,
                county=county,
                progress=bar.update,
                max_rows=max_rows,
                max_bytes=max_bytes,
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
    settings = load_settings()
    filters = reading.NeedFilters(
        province=province, county=county, category=category, state=state, sort="newest"
    )
    # The operator reads everything, as the national office would.
    operator = Actor(user_id=0, username="cli", role="national_admin") if everything else None

    async def job() -> int:
        columns = presentation.export_columns(private=everything)
        count = 0

        async def counted():  # type: ignore[no-untyped-def]
            nonlocal count
            async for row in presentation.export_rows(filters, actor=operator, private=everything):
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
    settings = load_settings()
    count = run_with_db(settings, expiry.expire_all_overdue)
    click.echo(f"expired {count} needs")


@click.command(help="Rebuild the search index from the database (readers keep searching).")
@click.option("--batch", "batch_size", default=500, show_default=True, help="Needs per batch.")
def reindex(batch_size: int) -> None:
    settings = load_settings()
    report = run_with_db(settings, lambda: _reindex(settings, batch_size))
    click.echo(f"indexed {report['indexed']} public needs ({report['backend']})")
    click.echo(
        f"{report['requeued']} needs changed during the rebuild were queued again; "
        f"outbox: {report['applied']} applied now, {report['pending']} pending"
    )


async def _reindex(settings: Settings, batch_size: int) -> dict[str, object]:
    service = SearchService.from_settings(settings)
    await service.backend.open()
    try:
        total = await outbox_db.count_public_needs()
        with click.progressbar(length=total, label="reindex") as bar:
            try:
                report = await rebuild_index(service, batch_size=batch_size, progress=bar.update)
            except FupinError as exc:
                raise click.ClickException(exc.message) from exc
        # Apply the re-queued changes now when this process can write (no other writer); if
        # another process is the writer (the web app's worker), the rows simply wait for it.
        drained = await outbox_db.make_worker(service.backend).drain_until_empty()
        status = await outbox_db.outbox_status()
        return {
            "backend": service.backend.name,
            "indexed": report.indexed,
            "requeued": report.requeued,
            "applied": drained.done,
            "pending": status.pending,
        }
    finally:
        await service.close()


@click.command("search", help="Search public needs as the site does (for operators).")
@click.argument("query", default="")
@click.option("--province", multiple=True, help="Province name or code (repeatable).")
@click.option("--county", multiple=True, help="County name or code (repeatable).")
@click.option("--category", multiple=True, help="Category code, e.g. drinking_water.")
@click.option("--state", multiple=True, help="Need state, e.g. published.")
@click.option(
    "--sort",
    default="relevance",
    show_default=True,
    type=click.Choice(["relevance", "deadline", "open_amount", "newest"]),
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
def search(
    query: str,
    province: tuple[str, ...],
    county: tuple[str, ...],
    category: tuple[str, ...],
    state: tuple[str, ...],
    sort: str,
    limit: int,
) -> None:
    settings = load_settings()
    filters = {
        k: v
        for k, v in {
            "province": province,
            "county": county,
            "category": category,
            "state": state,
        }.items()
        if v
    }

    async def job() -> NeedSearchPage:
        service = await open_service(settings)
        try:
            return await service.search_needs(query, filters=filters, sort=sort, per_page=limit)
        except FupinError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise click.ClickException(f"{where}{exc.message}") from exc
        finally:
            await service.close()

    result = run_with_db(settings, job)
    click.echo(f"{result.total} needs")
    if result.note:
        click.echo(result.note)
    for item in result.items:
        click.echo(
            f"{item['id']:>8}  {item['title']}  ·  {item['county']} {item['village']}  ·  "
            f"{item['state']}  ·  open {yuan(item['open_fen'])}"
        )
    for facet, counts in result.facets.items():
        top = ", ".join(f"{value} {n}" for value, n in list(counts.items())[:5])
        if top:
            click.echo(f"  {facet}: {top}")


@dataclass(frozen=True)
class _Status:
    backend: str
    indexed: int | None  # None: the engine did not answer
    public: int
    outbox: OutboxStatus


@click.command("search-status", help="Outbox counts and index size (is search up to date?).")
def search_status() -> None:
    settings = load_settings()

    async def job() -> _Status:
        outbox = await outbox_db.outbox_status()
        public = await outbox_db.count_public_needs()
        service = await open_service(settings)
        try:
            try:
                indexed: int | None = await service.backend.count()
            except Exception:
                indexed = None
            return _Status(service.backend.name, indexed, public, outbox)
        finally:
            await service.close()

    info = run_with_db(settings, job)
    box = info.outbox
    indexed = "unavailable" if info.indexed is None else str(info.indexed)
    click.echo(f"backend: {info.backend}")
    click.echo(f"indexed needs: {indexed} (public needs in the database: {info.public})")
    click.echo(f"outbox pending: {box.pending}")
    click.echo(f"outbox failed (waiting to retry): {box.failed}")
    click.echo(f"outbox due now: {box.due}")
    click.echo(f"applied in the last 7 days: {box.done_recently}")
    if box.oldest_pending_at:
        click.echo(f"oldest pending change: {box.oldest_pending_at:%Y-%m-%d %H:%M:%S} UTC")
    if box.last_error:
        click.echo(f"last error: {box.last_error}")


commands = [needs, reindex, search, search_status]
