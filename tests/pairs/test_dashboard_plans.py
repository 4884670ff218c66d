"""The first national dashboard after a write reads the needs in its group order (SQLite).

A national dashboard recomputes after every write anywhere (``fupin.core.cache``). Its
aggregates over the need table — the needs by province × category × state, the villages that
asked, the 832 counties and poor villages that asked, and the supervision counts beside it —
each once sorted every public need in a temporary B-tree (100k needs: 60–110 ms each). The
indexes of migration 0020 hold them in their group order; this test reads SQLite's plan of
every such statement the dashboard sends, so a rewrite that loses the order (or an index
dropped) fails here rather than in a benchmark. SQLite only: PostgreSQL hashes its groups.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest
from tortoise.backends.sqlite import client as sqlite_client

from fupin.core.clock import today_cn
from fupin.disclosure.service import alerts as supervision
from fupin.pairs.service import dashboards
from tests.money.support import make_need
from tests.pairs.test_dashboard_figures import ADMIN

#: A statement over the need table (alias ``n``) that groups or de-duplicates needs.
OVER_NEEDS = re.compile(r"\bFROM need n\b")
GROUPING = re.compile(r"\b(GROUP BY|DISTINCT)\b")


def _plan(path: str, sql: str, params: list[Any]) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        conn.close()


async def test_the_national_dashboard_groups_needs_in_index_order(
    world, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    for state in ("published", "funded", "in_progress", "completed"):
        await make_need(world.village, state=state, title=f"需求 {state}")
    await make_need(world.other_village, state="published", title="外省需求")
    sent: list[tuple[str, list[Any]]] = []
    original = sqlite_client.SqliteClient.execute_query_dict

    async def recording(self: Any, query: str, values: list[Any] | None = None) -> Any:
        sent.append((query, list(values or [])))
        return await original(self, query, values)

    monkeypatch.setattr(sqlite_client.SqliteClient, "execute_query_dict", recording)
    dashboards.CACHE.clear()
    supervision.COUNTS.clear()
    today = today_cn()
    for year in (today.year, None):
        await dashboards.region_dashboard(actor=ADMIN, level="national", year=year, today=today)
    await supervision.dashboard_counts(supervision.Area("national"))

    path = db.database_url.removeprefix("sqlite://")
    checked = [
        (sql, params) for sql, params in sent if OVER_NEEDS.search(sql) and GROUPING.search(sql)
    ]
    # the needs by place × category × state, and the villages that asked with the poor ones
    # among them (each for two years); the asking villages by county (the concentration alert)
    assert len(checked) >= 5, [sql[:60] for sql, _ in checked]
    plans = {sql: _plan(path, sql, params) for sql, params in checked}
    sorted_in_memory = {
        sql: plan for sql, plan in plans.items() if any("TEMP B-TREE" in s for s in plan)
    }
    assert not sorted_in_memory, sorted_in_memory
