"""Search commands for operators: ``fupin reindex``, ``fupin search``, ``fupin search-status``.

Thin: each parses its options, calls fupin.search.service / outbox_db, prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from fupin.cli import load_settings, run_with_db
from fupin.settings import Settings

if TYPE_CHECKING:
    from fupin.search.outbox_db import OutboxStatus
    from fupin.search.service import NeedSearchPage


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
    from fupin.errors import FupinError
    from fupin.search import outbox_db
    from fupin.search.service import SearchService, rebuild_index

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
        from fupin.errors import FupinError
        from fupin.search.service import open_service

        service = await open_service(settings)
        try:
            return await service.search_needs(query, filters=filters, sort=sort, per_page=limit)
        except FupinError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise click.ClickException(f"{where}{exc.message}") from exc
        finally:
            await service.close()

    from fupin.web.templating import yuan

    result = run_with_db(settings, job)
    click.echo(f"{result.total} needs")
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
        from fupin.search import outbox_db
        from fupin.search.service import open_service

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


commands = [reindex, search, search_status]
