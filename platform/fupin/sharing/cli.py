"""`fupin open-data snapshot` and `fupin webhooks …`: the day's open-data files, and the webhook
queue by hand (docs/open-data.md, docs/webhooks.md). Thin: parse, call the service, print."""

from __future__ import annotations

from datetime import date

import click

from fupin.core.cli import load_settings, run_with_db
from fupin.sharing.service import deliveries, opendata


@click.group("open-data", help="The daily open-data snapshot (docs/open-data.md).")
def open_data() -> None:
    pass


@open_data.command("snapshot", help="Write today's snapshot (China's date) unless it exists.")
@click.option("--date", "day", default=None, help="YYYY-MM-DD instead of today.")
def snapshot_command(day: str | None) -> None:
    settings = load_settings()
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD", param_hint="--date") from None

    async def job() -> tuple[object, bool]:
        return await opendata.generate(settings.open_data_dir, settings.base_url, day=when)

    path, written = run_with_db(settings, job)
    click.echo(f"{'wrote' if written else 'already there:'} {path}")


@click.group(help="Webhooks for partner systems (docs/webhooks.md).")
def webhooks() -> None:
    pass


@webhooks.command("send", help="Publish new events and send what is due now, once.")
def send_command() -> None:
    settings = load_settings()

    async def job() -> tuple[int, int]:
        events = await deliveries.scan_events(settings.base_url)
        sent = await deliveries.deliver_due(
            timeout=settings.webhook_timeout_seconds,
            allow_loopback=settings.webhook_allow_loopback,
        )
        return events, sent

    events, sent = run_with_db(settings, job)
    click.echo(f"{events} new events, {sent} deliveries tried")


commands = [open_data, webhooks]
