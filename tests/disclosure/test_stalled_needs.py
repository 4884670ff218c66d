"""The stalled-needs alert (docs/domain.md §3.10) on both databases: the list filters its dates in
SQL — it reads only the rows it shows, at most ``LIST_LIMIT``, not every funded need of the
country to drop the active ones in Python — and its rows, their order, their last step and its
total agree with a recomputation from the raw events and files, and with the dashboards' count.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fupin.core.clock import now
from fupin.disclosure.rules.alerts import ALERTS
from fupin.disclosure.service import alerts
from fupin.needs.models import Attachment, Need, NeedEvent
from tests.disclosure.support import last_steps
from tests.money.support import make_need

pytestmark = pytest.mark.both_databases


async def _expected(area: alerts.Area, days: int) -> list[tuple[int, Any]]:
    """(need id, last step) of every stalled need in the area, by id: from the raw rows."""
    cutoff = now() - timedelta(days=days)
    needs = Need.filter(state__in=["funded", "in_progress"])
    if area.level == "province":
        needs = needs.filter(province_code=area.code)
    out = []
    for need in await needs.order_by("id"):
        stamps = [e.at for e in await NeedEvent.filter(need_id=need.id)]
        stamps += [a.created_at for a in await Attachment.filter(need_id=need.id)]
        last = max(stamps) if stamps else None
        if last is None or last < cutoff:
            out.append((need.id, last))
    return out


async def test_the_stalled_list_reads_only_its_rows_and_agrees_with_its_count(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_ago = now() - timedelta(days=400)
    recent = now() - timedelta(days=2)
    just_past = now() - timedelta(days=ALERTS["stalled_needs"].threshold, hours=1)
    steps = [
        (long_ago, None),  # stalled
        (recent, None),  # a recent step: active
        (long_ago, recent),  # a recent file: active
        (long_ago, long_ago),  # stalled
        (None, None),  # never a step: stalled
        (just_past, None),  # an hour past the threshold: stalled
        (long_ago, just_past),  # the file an hour past the threshold: stalled
        (None, recent),  # only a recent file: active
    ]
    needs = [
        await make_need(world.village, state="funded" if i % 2 else "in_progress", title=f"需求{i}")
        for i in range(len(steps))
    ]
    needs.append(await make_need(world.other_village, state="funded", title="外省需求"))
    steps.append((long_ago, None))
    await make_need(world.village, state="published", title="未认捐满额")  # not listed
    for need, (event_at, file_at) in zip(needs, steps, strict=True):
        await last_steps(need, event_at, file_at)

    read: list[int] = []
    original = alerts.sql_rows

    async def counting(sql: str, params: Any = ()) -> list[dict[str, Any]]:
        found = await original(sql, params)
        if "FROM need n" in sql and "COUNT(" not in sql:
            read.append(len(found))
        return found

    monkeypatch.setattr(alerts, "sql_rows", counting)
    monkeypatch.setattr(alerts, "LIST_LIMIT", 3)
    days = ALERTS["stalled_needs"].threshold
    for area in (
        alerts.Area("national"),
        alerts.Area("province", world.village.province_code or ""),
    ):
        expected = await _expected(area, days)
        assert len(expected) > 3, area  # more than the list shows
        read.clear()
        found = await alerts.stalled_needs(area, days)
        assert read == [3], area  # the listed rows only, not every funded need
        assert [r["need_id"] for r in found.rows] == [i for i, _ in expected[:3]], area
        for row, (_, last) in zip(found.rows, expected, strict=False):
            assert row["last_progress"] == last, area
            assert row["idle_days"] == ((now() - last).days if last else None), area
        assert found.total == len(expected), area
        assert found.total == await alerts.stalled_needs_count(area, days), area
