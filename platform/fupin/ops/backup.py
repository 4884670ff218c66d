"""Backups that restore (docs/operations.md "Backups").

``backup`` copies a live database without stopping it: SQLite through its online backup API
(one step, so the copy is one consistent state while writers go on in WAL mode), PostgreSQL
through ``pg_dump`` in custom format (one snapshot by MVCC). ``restore`` refuses a database
that is not empty, loads the backup (the backup API again, or ``pg_restore``), applies any
migrations newer than the backup, and then proves what it restored: the ledger's hash chain
and every money record against it, the dashboards' rollups against the records, and a fresh
search index built from the restored needs.

Not in the backup: the search index (rebuilt on restore) and the attachments directory
(``FUPIN_VAR_DIR/attachments``: plain files, copied by the operator's file backup).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from fupin.db import database, run_migrations
from fupin.money.service import ledger_check
from fupin.money.service import rollups as money_rollups
from fupin.needs.service import search_outbox
from fupin.needs.service.search import SearchService, rebuild_index
from fupin.settings import Settings, child_environment


class BackupError(RuntimeError):
    """Why a backup or restore cannot be done; the message says what to do."""


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite://").split("?", 1)[0])


def pg_connection(settings: Settings) -> tuple[str, dict[str, str]]:
    """The libpq URL without its password, and the environment carrying the password (so it
    never shows in the process list)."""
    parts = urlsplit(settings.database_url)
    env = child_environment(**({"PGPASSWORD": unquote(parts.password)} if parts.password else {}))
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client programs of the server's "
            f"major version (Debian: apt-get install postgresql-client) and put {name} on PATH"
        )
    return found


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    kind: str


def backup(settings: Settings, target: Path) -> BackupInfo:
    """Write a backup of the live database to ``target`` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        source = sqlite_path(settings)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)  # one step: one consistent state
        finally:
            dst.close()
            src.close()
        kind = "sqlite"
    else:
        url, env = pg_connection(settings)
        done = subprocess.run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-acl",
                f"--file={target}",
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        kind = "postgresql custom format (pg_dump -Fc)"
    return BackupInfo(target, target.stat().st_size, kind)


def _sqlite_tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
    finally:
        conn.close()


def _pg_tables(settings: Settings) -> int:
    url, env = pg_connection(settings)
    done = subprocess.run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--command=SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"cannot read the target database: {done.stderr.strip()}")
    return int(done.stdout.strip() or 0)


def load(settings: Settings, source: Path) -> None:
    """Put the backup into the (empty) database of ``settings``."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if settings.is_sqlite:
        target = sqlite_path(settings)
        if target.exists() and _sqlite_tables(target):
            raise BackupError(f"{target} is not empty: restore goes into a new, empty database")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is damaged (PRAGMA quick_check)")
            target.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(target)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            src.close()
        return
    if _pg_tables(settings):
        raise BackupError("the target database is not empty: restore goes into a new, empty one")
    url, env = pg_connection(settings)
    done = subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={url}",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


@dataclass
class RestoreReport:
    ledger_ok: bool = False
    ledger_entries: int = 0
    ledger_detail: list[str] = field(default_factory=list)
    rollup_differences: list[str] = field(default_factory=list)
    indexed: int = 0

    @property
    def ok(self) -> bool:
        return self.ledger_ok and not self.rollup_differences


async def check_restored(settings: Settings) -> RestoreReport:
    """Migrate the restored database to this code's schema, then what `fupin ledger verify`,
    `fupin rollups verify` and `fupin reindex` do."""
    await run_migrations(settings)
    report = RestoreReport()
    async with database(settings):
        ledger = await ledger_check.verify_database()
        report.ledger_ok = ledger.ok
        report.ledger_entries = ledger.counts.get("entries", 0)
        report.ledger_detail = [f.detail for f in ledger.findings[:20]]
        if not ledger.chain.ok:
            report.ledger_detail.insert(
                0, f"chain: {ledger.chain.reason} at {ledger.chain.first_bad_seq}"
            )
        report.rollup_differences = [d.describe() for d in await money_rollups.verify()][:50]
        service = SearchService.from_settings(settings)
        await service.backend.open()
        try:
            rebuilt = await rebuild_index(service)
            await search_outbox.make_worker(service.backend).drain_until_empty()
            report.indexed = rebuilt.indexed
        finally:
            await service.close()
    return report
