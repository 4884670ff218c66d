"""A test run may straddle midnight China time (16:00 UTC): pytest imports every test module
first and runs the tests afterwards, so a date a test module or support reads from the clock at
import is the day before by the time a test after midnight uses it, while the code under test
reads the clock when it is called (fupin/core/clock.py). A donation the test records as received
"today" is then dated before the pledge it pays. Test-side dates are therefore read when used,
and this file holds both to that: one money test collected at 23:59:59 and run at 00:00:01, and
a check that no module under tests/ or bench/ reads the clock at import."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from tortoise import timezone as orm_timezone

from fupin.core import clock
from fupin.core.clock import CHINA_TZ
from tests.support.world import World

ROOT = Path(__file__).resolve().parent.parent
#: The supports' dates and everything derived from them (``DUE``) are computed from here.
SUPPORTS = ("tests.money.support", "tests.matching.support")
#: Calls that read the wall clock: the platform's clock, the standard library's, and the
#: supports' helpers built on them.
CLOCK_READERS = frozenset({"today_cn", "now", "utcnow", "today", "due", "days"})


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the instant both clocks the code reads give: the platform's (``today_cn``, and every
    ``clock.now()``) and the ORM's, which stamps ``created_at`` (the donation rule compares
    ``received_on`` with the pledge's creation day)."""
    instant = [datetime.now(UTC)]
    monkeypatch.setattr(clock, "now", lambda: instant[0])
    monkeypatch.setattr(orm_timezone, "now", lambda: instant[0])

    def move_to(at: datetime) -> None:
        instant[0] = at.astimezone(UTC)

    return move_to


def _collect(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Imports a test module as collection does — its supports imported afresh with it — under a
    private name, leaving the modules pytest already holds as they were after the test."""
    for name in SUPPORTS:
        monkeypatch.delitem(sys.modules, name, raising=False)
    for name in SUPPORTS:
        importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(f"_collected_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_money_test_collected_before_midnight_passes_when_run_after_it(
    world: World, wall_clock: Callable[[datetime], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    wall_clock(datetime(2026, 5, 14, 23, 59, 59, tzinfo=CHINA_TZ))
    donations_test = _collect(ROOT / "tests/money/test_donations_receipts.py", monkeypatch)
    wall_clock(datetime(2026, 5, 15, 0, 0, 1, tzinfo=CHINA_TZ))
    # A pledge due on the support's due date, paid by a donation received on the support's today.
    await donations_test.test_recording_counts_nothing_until_the_recipient_confirms(world)


class _ImportTimeClockReads(ast.NodeVisitor):
    """The clock reads a module makes when it is imported: module and class bodies, decorators
    (``parametrize`` lists) and default arguments — not function bodies or lambdas, which run
    when a test calls them."""

    def __init__(self) -> None:
        self.lines: list[int] = []

    def _run_at_definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _run_at_definition

    def visit_Call(self, node: ast.Call) -> None:
        called = node.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", None)
        if name in CLOCK_READERS:
            self.lines.append(node.lineno)
        self.generic_visit(node)


def test_no_test_module_reads_the_clock_when_it_is_imported() -> None:
    found = []
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        reads = _ImportTimeClockReads()
        reads.visit(ast.parse(path.read_text(encoding="utf-8")))
        found += [f"{path.relative_to(ROOT)}:{line}" for line in reads.lines]
    assert not found, "dates read from the clock at import (read them when used):\n" + "\n".join(
        found
    )
