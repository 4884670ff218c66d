"""Search wired into the app: needs made through the needs use cases (so their outbox rows are
the real ones), the app's own search service, and the real outbox drain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fupin.accounts.service.users import actor_for
from fupin.core.clock import today_cn
from fupin.needs.service import search_outbox as outbox_db
from fupin.needs.service.drafting import draft_need
from fupin.needs.service.lifecycle import transition_need
from fupin.needs.service.search import SearchService
from fupin.needs.service.search_drain import DrainReport
from tests.support.world import World

DESCRIPTION = "新建蓄水池一座，铺设入户管网两公里，解决全村群众旱季吃水难的问题，预算已经乡镇审核。"


async def make_need(
    world: World,
    title: str,
    *,
    state: str = "published",
    description: str = DESCRIPTION,
    category: str = "drinking_water",
    target_yuan: int = 120_000,
    other_county: bool = False,
    deadline_days: int = 120,
) -> int:
    """A need made the way users make it: drafted, submitted, then published / returned /
    withdrawn by the county officer (每一步写入 outbox)."""
    officer = await actor_for(
        world.users["other_county_officer" if other_county else "county_officer"]
    )
    village = world.other_village if other_county else world.village
    need = await draft_need(
        officer,
        {
            "region_code": village.code,
            "category": category,
            "title": title,
            "description": description,
            "target_yuan": str(target_yuan),
            "beneficiary_households": 40,
            "beneficiary_people": 160,
            "deadline": (today_cn() + timedelta(days=deadline_days)).isoformat(),
        },
    )
    steps: dict[str, list[tuple[str, str]]] = {
        "draft": [],
        "submitted": [("submit", "")],
        "returned": [("submit", ""), ("return", "预算需要补充明细")],
        "published": [("submit", ""), ("publish", "")],
        "withdrawn": [("submit", ""), ("withdraw", "村里已自筹解决")],
        "withdrawn_after_publication": [
            ("submit", ""),
            ("publish", ""),
            ("withdraw", "项目已由财政资金覆盖"),
        ],
    }
    for action, reason in steps[state]:
        await transition_need(officer, need.id, action, reason=reason, acknowledge_duplicates=True)
    return need.id


async def withdraw(world: World, need_id: int) -> None:
    officer = await actor_for(world.users["county_officer"])
    await transition_need(officer, need_id, "withdraw", reason="项目已由财政资金覆盖")


def service_of(app: Any) -> SearchService:
    return app.state.search


async def drain(app: Any) -> DrainReport:
    """Apply every due outbox row to the app's index, as the background worker does."""
    return await outbox_db.make_worker(service_of(app).backend).drain_until_empty()
