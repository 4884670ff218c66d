"""The journeys run on the real demo (`fupin demo`: accounts for every role, needs, money,
pairs, commendation) over the test reference subset. Building it takes about 20 s, so each
session (each xdist worker) builds one SQLite file once, with the CLI, and each journey starts
from a copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fupin.db import close_database, open_database
from fupin.settings import Settings
from tests.support.browser import FUPIN

#: Demo needs: enough for full lists, pagers and dashboards, few enough to build quickly.
DEMO_NEEDS = 60


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, subset_dir: Path) -> Path:
    """A SQLite file holding the migrated schema, the reference subset and the demo."""
    directory = tmp_path_factory.mktemp("demo")
    path = directory / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_ENV="test",
        FUPIN_DATABASE_URL=f"sqlite://{path}",
        FUPIN_DATA_DIR=str(subset_dir),
        FUPIN_VAR_DIR=str(directory / "var"),
        FUPIN_SEARCH_WORKER="false",
    )
    for command in (["migrate"], ["data", "load"], ["demo", "--needs", str(DEMO_NEEDS)]):
        subprocess.run([FUPIN, *command], env=env, check=True, capture_output=True, timeout=600)
    return path


@pytest.fixture
async def demo(settings: Settings, demo_template: Path) -> AsyncIterator[Settings]:
    """The test's own copy of the demo database, open in this process (to look rows up)."""
    shutil.copyfile(demo_template, settings.database_url.removeprefix("sqlite://"))
    shutil.copytree(demo_template.parent / "var", settings.var_dir, dirs_exist_ok=True)
    await open_database(settings)
    try:
        yield settings
    finally:
        await close_database()
