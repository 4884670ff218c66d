"""`fupin backup` of a live database while money is being written, `fupin restore` into an
empty database elsewhere: every write acknowledged before the backup began is there, the
ledger and the rollups verify, the search index is rebuilt — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import pytest

from fupin import REPO_ROOT
from fupin.money.service import pledges
from tests.conftest import POSTGRES_ADMIN_URL
from tests.money.support import build_money, due

pytestmark = pytest.mark.both_databases

FUPIN = str(Path(sys.executable).parent / "fupin")


def env_for(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=database_url,
        FUPIN_SECRET_KEY="backup-test-secret-key-0123456789-abcdefghijkl",
        FUPIN_VAR_DIR=str(var_dir),
    )
    return env


async def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `fupin` command in a thread, so this test's writer keeps writing meanwhile."""
    return await asyncio.to_thread(
        subprocess.run,
        [FUPIN, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def pledge_ids_in(url: str) -> set[int]:
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            return {r[0] for r in conn.execute("SELECT id FROM pledge")}
        finally:
            conn.close()
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        return {r[0] for r in await conn.fetch("SELECT id FROM pledge")}
    finally:
        await conn.close()


async def test_a_backup_taken_during_writes_restores_and_verifies(db, world, tmp_path) -> None:
    m = await build_money(world)
    acknowledged: list[tuple[int, float]] = []  # pledge id, when the service returned
    writing = True

    async def writer() -> None:
        while writing:
            pledge = await pledges.make_pledge(
                actor=m.donor, need_id=m.need.id, amount_fen=100, due_date=due()
            )
            acknowledged.append((pledge.id, time.monotonic()))

    task = asyncio.create_task(writer())
    try:
        while len(acknowledged) < 20:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        backup_file = tmp_path / "fupin.backup"
        made = await run(["backup", str(backup_file)], env_for(db.database_url, db.var_dir))
        assert made.returncode == 0, made.stderr
        assert "wrote" in made.stdout
        while len(acknowledged) < 40 or acknowledged[-1][1] < time.monotonic() - 0.5:
            await asyncio.sleep(0.05)  # writes went on after the backup too
    finally:
        writing = False
        await task
    before = {pid for pid, at in acknowledged if at < started}
    assert len(before) >= 20

    # restore elsewhere: a new SQLite file, or a new PostgreSQL database
    admin_db = None
    if db.is_sqlite:
        target = f"sqlite://{tmp_path / 'restored' / 'fupin.sqlite3'}"
    else:
        admin_db = f"fupin_restore_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{admin_db}"')
        await admin.close()
        target = db.database_url.rsplit("/", 1)[0] + f"/{admin_db}"
    try:
        env = env_for(target, tmp_path / "restored-var")
        restored = await run(["restore", str(backup_file)], env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "ledger verify: OK" in restored.stdout
        assert "rollups verify: OK" in restored.stdout
        assert "public needs indexed" in restored.stdout
        found = await pledge_ids_in(target)
        assert before <= found  # every acknowledged write
        # the restored copy serves: the search index has the public need
        searched = await run(["search", m.need.title[:4]], env)
        assert searched.returncode == 0 and m.need.title in searched.stdout
        # and a second restore into it is refused: it is not empty any more
        again = await run(["restore", str(backup_file)], env)
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        if admin_db:
            admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
            await admin.execute(f'DROP DATABASE IF EXISTS "{admin_db}" WITH (FORCE)')
            await admin.close()


async def test_backup_says_what_is_missing(db, tmp_path) -> None:
    env = env_for(db.database_url, db.var_dir)
    if not db.is_sqlite:
        env["PATH"] = str(Path(sys.executable).parent)  # no pg_dump on it
    (tmp_path / "exists").write_text("x")
    taken = await run(["backup", str(tmp_path / "exists")], env)
    assert taken.returncode != 0 and "exists already" in taken.stderr
    if not db.is_sqlite:
        missing = await run(["backup", str(tmp_path / "new.backup")], env)
        assert missing.returncode != 0 and "pg_dump was not found" in missing.stderr
