"""The public complaint statistics per county, counted by the database, equal a plain recount of
the complaints: complaints in every state, in two counties of two provinces, some handled on
time, some closed late, some open past their deadline — for the country, a province and a
county."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from tortoise import connections

from fupin.core.clock import today_cn
from fupin.disclosure.models import Complaint
from fupin.disclosure.rules.complaints import OPEN_STATES
from fupin.disclosure.service import complaints
from fupin.regions.models import Region
from tests.disclosure.support import scene
from tests.support.world import COUNTY, OTHER_COUNTY


def _recount(rows: list[Complaint], today: date) -> dict[str, dict[str, int]]:
    """What each county's figures mean, complaint by complaint."""
    by: dict[str, dict[str, int]] = {}
    for c in rows:
        figures = by.setdefault(
            c.county_code,
            dict.fromkeys(
                ("received", "open", "concluded", "not_accepted", "concluded_on_time", "overdue"),
                0,
            ),
        )
        figures["received"] += 1
        if c.state in OPEN_STATES:
            figures["open"] += 1
            figures["overdue"] += today > c.due_on
            continue
        if c.state == "concluded":
            figures["concluded"] += 1
            figures["concluded_on_time"] += c.closed_on is not None and c.closed_on <= c.due_on
        else:
            figures["not_accepted"] += 1
        figures["overdue"] += c.closed_on is not None and c.closed_on > c.due_on
    return by


def _figures(found: list[complaints.CountyStatistics]) -> dict[str, dict[str, int]]:
    return {
        s.county_code: {
            "received": s.received,
            "open": s.open,
            "concluded": s.concluded,
            "not_accepted": s.not_accepted,
            "concluded_on_time": s.concluded_on_time,
            "overdue": s.overdue,
        }
        for s in found
    }


class Queries:
    """Counts the statements sent to the database (each is still run, as it comes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = 0
        conn = connections.get("default")
        for name in ("execute_query", "execute_query_dict"):
            monkeypatch.setattr(conn, name, self.counting(getattr(conn, name)))

    def counting(self, run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.sent += 1
            return await run(*args, **kwargs)

        return counted

    async def of(self, work: Awaitable[Any]) -> tuple[Any, int]:
        before = self.sent
        result = await work
        return result, self.sent - before


@pytest.mark.both_databases
async def test_the_statistics_are_the_recount_of_every_state(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await scene(world)
    filed: list[Complaint] = []
    for i in range(12):
        filed.append(
            await complaints.file_complaint(
                subject="need",
                target_id=s.need.id,
                content=f"村道第 {i} 段只铺了一半，施工方已经撤场。",
                anonymous=i % 2 == 0,
                name="" if i % 2 == 0 else "王五",
                contact="" if i % 2 == 0 else f"1371234{i:04d}",
                source=f"sender-{i}",
            )
        )
    for i in range(3):
        filed.append(
            await complaints.file_complaint(
                subject="county",
                county_code=OTHER_COUNTY,
                content=f"县里对第 {i} 件举报不予答复，已经超过一个月。",
                anonymous=True,
                source=f"other-{i}",
            )
        )
    # received: 0, 1; accepted: 2, 3; investigating: 4, 5; not accepted: 6, 7;
    # concluded: 8–11; the other county's three stay received.
    for c in filed[2:6]:
        await complaints.handle(s.officer, c.id, "accept")
    for c in filed[4:6]:
        await complaints.handle(s.officer, c.id, "investigate")
    for c in filed[6:8]:
        await complaints.handle(s.officer, c.id, "refuse", reason="不属于举报受理范围。")
    for c in filed[8:12]:
        await complaints.handle(s.officer, c.id, "accept")
        await complaints.handle(
            s.officer,
            c.id,
            "conclude",
            outcome="upheld",
            measures="责令复工",
            public_summary="经核查属实，已责令复工。",
        )
    # Some were handled late, some are open past their deadline: their first deadline lies
    # before the day they closed, or before today.
    today = today_cn()
    late = [filed[0].id, filed[2].id, filed[6].id, filed[8].id, filed[9].id, filed[12].id]
    await Complaint.filter(id__in=late).update(due_on=today - timedelta(days=3))
    await Complaint.filter(id=filed[10].id).update(due_on=today, closed_on=today)
    rows = list(await Complaint.all())
    assert {c.state for c in rows} == {*OPEN_STATES, "not_accepted", "concluded"}
    province = (await Region.get(code=OTHER_COUNTY)).province_code
    queries = Queries(monkeypatch)
    for when in (today, today + timedelta(days=60)):
        expected = _recount(rows, when)
        assert expected[COUNTY]["overdue"] > 0 and expected[COUNTY]["concluded_on_time"] > 0
        # One aggregate query per scope, the county names with it.
        everywhere, sent = await queries.of(complaints.statistics(today=when))
        assert _figures(everywhere) == expected and sent == 1
        one_province, sent = await queries.of(
            complaints.statistics(province_code=province, today=when)
        )
        assert _figures(one_province) == {OTHER_COUNTY: expected[OTHER_COUNTY]} and sent == 1
        county, sent = await queries.of(complaints.statistics(county_code=COUNTY, today=when))
        assert _figures(county) == {COUNTY: expected[COUNTY]} and sent == 1
        assert county[0].county_name == "广南县"
        assert {s.county_name for s in everywhere} == {"广南县", "昭觉县"}
    nothing = await complaints.statistics(county_code="532628")
    assert [(n.county_code, n.received, n.overdue) for n in nothing] == [("532628", 0, 0)]
