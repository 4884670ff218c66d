"""The `fupin` command: a thin shell over the services (parse, call, print).

Each area adds commands from its own module listed in COMMAND_MODULES (a ``commands`` list).

Commands import what they run inside their function, on purpose: `fupin --help`, a typo and
`fupin serve` answer without first loading every area, the search engine and the demo data
generator (the only imports inside functions in the shell; areas keep theirs at the top).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from typing import Any, TypeVar

import click

from fupin.core.cli import load_settings, run_with_db
from fupin.settings import Settings

T = TypeVar("T")

COMMAND_MODULES = [
    "fupin.accounts.cli",
    "fupin.needs.cli",
    "fupin.money.cli",
    "fupin.pairs.cli",
    "fupin.tax.cli",
    "fupin.commendation.cli",
    "fupin.sharing.cli",
    "fupin.ops.cli",
    "fupin.disclosure.cli",
]


@click.group(
    help="Fupin 扶贫社会参与平台 — command line. Configuration comes from FUPIN_* variables."
)
@click.version_option(package_name="fupin")
def main() -> None:
    pass


@main.command(help="Serve the web application (uvicorn).")
@click.option("--host", default=None, help="Address to listen on [FUPIN_HOST, 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [FUPIN_PORT, 8000].")
@click.option("--workers", default=1, show_default=True, help="Processes (PostgreSQL only).")
def serve(host: str | None, port: int | None, workers: int) -> None:
    import uvicorn

    from fupin.core import logs
    from fupin.ops import processes

    settings = load_settings()
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException(
            "several workers need PostgreSQL; the SQLite default is single-process"
        )
    options: dict[str, Any] = {
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers,
        # X-Forwarded-For is believed only from the configured reverse proxies (the per-address
        # limits of login and public forms rely on the real client address)
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None,
        "log_level": "info",
        # JSON lines with the request id; the app writes the access line itself, without the
        # client address or the path (docs/operations.md "Logs")
        "log_config": logs.config(),
        "access_log": False,
        # on SIGTERM: stop accepting, let requests in flight finish (at most this long), then
        # the lifespan's shutdown (background loops hand back their claimed work)
        "timeout_graceful_shutdown": 30,
    }
    if workers > 1 and processes.reuse_port_supported():
        # one listening socket per process, so the kernel spreads connections over them
        # (fupin/ops/processes.py says why uvicorn's shared socket does not)
        processes.run(uvicorn.Config("fupin.app:asgi", **options))
    else:
        uvicorn.run("fupin.app:asgi", **options)


@main.command(help="Apply database migrations (creates the schema on a new database).")
def migrate() -> None:

    settings = load_settings()

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            click.echo(f"  applied {app_label}.{name}")

    asyncio.run(_migrate(settings, progress))
    click.echo("database is up to date")


async def _migrate(settings: Settings, progress: Any) -> None:
    from fupin.db import run_migrations

    await run_migrations(settings, progress=progress)


@main.command(
    help="Run the background workers (search outbox, webhooks, open data, need expiry, pledge lapse) until stopped."
)
def worker() -> None:
    import signal

    from fupin import background
    from fupin.core import logs
    from fupin.db import database

    settings = load_settings()
    logs.configure()

    async def run() -> None:
        async with database(settings):
            tasks = await background.start(None, settings)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            click.echo(f"worker running {len(tasks)} loop(s); stop with Ctrl-C", err=True)
            await stop.wait()
            # each loop finishes the item in hand and gives the rest of its claim back
            await background.stop(None, tasks)
            click.echo("worker stopped", err=True)

    asyncio.run(run())


@main.group(help="Reference data (regions, poverty counties, cooperation pairs).")
def data() -> None:
    pass


@data.command("load", help="Load data/ into the database (idempotent); prints the counts.")
def data_load() -> None:
    from fupin.accounts.service.reference import load_all

    settings = load_settings()
    # 44,565 regions down to townships, then the 620,573 villages of data/villages.csv.gz
    with click.progressbar(length=44565 + 620573, label="regions") as bar:

        def tick(stage: str, n: int) -> None:
            bar.update(n)

        counts = run_with_db(settings, lambda: load_all(settings.data_dir, tick))
    click.echo(
        f"provinces {counts.provinces}, prefectures {counts.prefectures}, "
        f"counties {counts.counties} (2,845 GB/T 2260 + 1 NBS-coded unit), townships {counts.townships}"
    )
    click.echo(
        f"poverty counties: {counts.poverty_county_rows} listed, {counts.poverty_counties} distinct codes "
        f"(two listed units merged into 茫崖市 632803); special-area counties {counts.special_area_counties}"
    )
    click.echo(
        f"pairs: {counts.pairs_east_west} east–west, {counts.pairs_designated} designated; "
        f"new regions {counts.regions_created}, new helper participants {counts.participants_created}"
    )
    click.echo(
        f"villages {counts.villages} in the file ({counts.villages_in_poverty_counties} villages in"
        f" the poverty counties), {counts.villages_created} new"
    )
    if counts.differences_total:
        click.echo(
            f"{counts.differences_total} village(s) differ from the file and were left as they are"
            " (a county's edit or a newer edition; decide by hand):"
        )
        for line in counts.differences:
            click.echo(f"  {line}")
        if counts.differences_total > len(counts.differences):
            click.echo(f"  … and {counts.differences_total - len(counts.differences)} more")


def print_logins(result: Any) -> None:
    from fupin.demo.service.accounts import DEMO_PASSWORD

    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login in result.logins:
        click.echo(f"  {login.role:<20} {login.username:<10} {login.scope}")


@main.command(help="Load demo participants, one login per role, and demo needs (idempotent).")
@click.option("--needs", "needs", default=2000, show_default=True, help="Number of demo needs.")
def demo(needs: int) -> None:
    from fupin.demo.service.accounts import load_demo

    settings = load_settings()
    try:
        result = run_with_db(settings, lambda: load_demo(settings, needs=needs))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"participants created {result.participants_created}, users created {result.users_created}"
    )
    for key, value in result.extra.items():
        click.echo(f"{key}: {value}")
    print_logins(result)


@main.command(help="First run: migrate, load reference and demo data, then serve.")
@click.option("--needs", "needs", default=2000, show_default=True)
@click.pass_context
def quickstart(ctx: click.Context, needs: int) -> None:
    ctx.invoke(migrate)
    ctx.invoke(data_load)
    ctx.invoke(demo, needs=needs)
    settings = load_settings()
    click.echo(f"\nFupin is starting at http://{settings.host}:{settings.port}/")
    ctx.invoke(serve)


@main.group(help="Translation catalogues (Chinese source, English catalogue).")
def i18n() -> None:
    pass


@i18n.command("update", help="Extract strings from code and templates into the English .po file.")
def i18n_update() -> None:
    from fupin import i18n_tools

    catalog = i18n_tools.update("en")
    click.echo(f"{len(catalog)} messages; untranslated: {len(i18n_tools.missing('en'))}")


@i18n.command("compile", help="Compile the .po catalogue to the .mo file the app loads.")
def i18n_compile() -> None:
    from fupin import i18n_tools

    i18n_tools.compile_catalog("en")
    click.echo("compiled")


@i18n.command("check", help="Fail when a string has no English translation.")
def i18n_check() -> None:
    from fupin import i18n_tools

    missing = i18n_tools.missing("en")
    for message in missing[:50]:
        click.echo(f"untranslated: {message}")
    if missing:
        raise click.ClickException(f"{len(missing)} untranslated strings")
    click.echo("all strings translated")


def _register_area_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that area has no commands yet
            raise
        for command in getattr(module, "commands", []):
            main.add_command(command)


_register_area_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
