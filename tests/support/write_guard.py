"""The guard that every write our code makes runs in ``fupin.db.transaction()``.

The dashboards' cache (``fupin.core.cache``) is keyed by the data generation, which only
``transaction()`` bumps: a write made on the plain (autocommit) connection would leave a cached
dashboard behind it for up to five minutes. Rather than list the write services by hand (a new
one would be missed), the guard watches the connections themselves: while it is on, every
INSERT, UPDATE or DELETE sent on a connection that is not in a transaction is recorded with the
code that sent it, and a statement whose sender is our code (``platform/fupin``) is a violation.
A statement sent by a test itself (setting up rows, back-dating them) is not: the test is not a
use case. The sender is the outermost frame of our code under the test's own frames: the use
case the test (or the request) called.

``tests/conftest.py`` turns it on for every test of the areas whose writes the dashboards
show (``GUARDED_AREAS``); a test fails at teardown with the statements and their senders.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient

#: The test directories whose tests run under the guard: the areas whose writes the region
#: dashboards and their supervision counts show.
GUARDED_AREAS = ("needs", "money", "pairs", "disclosure", "progress", "commendation")

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_OURS = f"{os.sep}{Path('platform', 'fupin')}{os.sep}"
_TESTS = f"{os.sep}tests{os.sep}"
#: Frames of our code that are not a use case: the connection and migration plumbing.
_PLUMBING = (str(Path("platform", "fupin", "db.py")), str(Path("platform", "fupin", "migrations")))
_METHODS = ("execute_insert", "execute_many", "execute_query", "execute_query_dict")
#: Our code that writes outside a transaction, rows no dashboard shows: the login sessions
#: (started, and "last seen" moved on every request) and an API token's "last used" — a bump
#: there would empty the dashboards' cache on every page or call anyone makes —, the login
#: attempts' outcome, a reader marking notifications read, and the purges of expired
#: idempotency records and of applied search outbox rows.
#: (module, function); an empty function: the whole module.
NOT_SHOWN = (
    (f"{Path('accounts', 'service', 'sessions.py')}", ""),
    (f"{Path('accounts', 'service', 'users.py')}", "user_for_token"),
    (f"{Path('notify', 'service', 'inbox.py')}", "mark_read"),
    (f"{Path('notify', 'service', 'inbox.py')}", "mark_all_read"),
    (f"{Path('accounts', 'service', 'users.py')}", "_checked"),
    (f"{Path('money', 'service', 'idempotency.py')}", "purge_expired"),
    (f"{Path('needs', 'service', 'search_outbox.py')}", "purge_done"),
)


@dataclass
class Watch:
    violations: list[str] = field(default_factory=list)


_current: list[Watch] = []


def _sender() -> str | None:
    """Where our code sent the statement from (the outermost and innermost frames of ours under
    the test's own frames), or None when a test sent it itself or it is plumbing."""
    frames = traceback.extract_stack()
    if any(p in f.filename for f in frames for p in _PLUMBING):
        return None
    last_test = max(
        (
            i
            for i, f in enumerate(frames)
            if _TESTS in f.filename and _OURS not in f.filename and f.filename != __file__
        ),
        default=-1,
    )
    called = [f for f in frames[last_test + 1 :] if _OURS in f.filename]
    if not called or any(
        called[-1].filename.endswith(module) and function in ("", called[-1].name)
        for module, function in NOT_SHOWN
    ):
        return None
    return " → ".join(
        f"{f.filename.split(_OURS)[-1]}:{f.lineno} {f.name}" for f in (called[0], called[-1])
    )


def _wrap(cls: type, name: str) -> None:
    original = getattr(cls, name)
    if getattr(original, "_write_guard", False):
        return

    async def guarded(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            _current
            and not isinstance(self, TransactionalDBClient)
            and isinstance(query, str)
            and _WRITE.match(query)
        ):
            sender = _sender()
            if sender is not None:
                _current[-1].violations.append(f"{sender}: {query[:120]}")
        return await original(self, query, *args, **kwargs)

    guarded._write_guard = True  # type: ignore[attr-defined]
    setattr(cls, name, guarded)


def install() -> None:
    for cls in (SqliteClient, AsyncpgDBClient):
        for name in _METHODS:
            if name in vars(cls):
                _wrap(cls, name)


@contextmanager
def watching() -> Iterator[Watch]:
    """Record the writes our code sends outside a transaction while the block runs."""
    install()
    watch = Watch()
    _current.append(watch)
    try:
        yield watch
    finally:
        _current.remove(watch)
