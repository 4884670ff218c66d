"""What every area's `fupin …` command needs: the settings from the environment, and one
database session around one async job. The shell (`fupin/cli.py`) collects the areas' commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from fupin.db import SchemaBehind, check_migrated, database
from fupin.errors import FupinError
from fupin.settings import Settings, SettingsError

T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def run_with_db(settings: Settings, func: Callable[[], Awaitable[T]]) -> T:
    """Open the database, run one async job, close it again. A database whose schema is behind
    the code is refused with the command that fixes it, not a "no such table" trace."""

    async def main() -> T:
        async with database(settings):
            try:
                await check_migrated(settings)
            except SchemaBehind as exc:
                raise click.ClickException(str(exc)) from exc
            return await func()

    return asyncio.run(main())


def fail(exc: FupinError) -> click.ClickException:
    """A domain error as the command's error message, naming the field(s) at fault."""
    errors = getattr(exc, "errors", None) or []
    if len(errors) > 1:
        text = "; ".join(f"{e.field}: {e.message}" for e in errors)
    else:
        text = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return click.ClickException(text)
