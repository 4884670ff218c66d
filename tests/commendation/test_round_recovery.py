"""No dead round (docs/domain.md §3.9): a ranked round's categories are frozen; with no
qualifying candidate it cannot go on notice (409 ``no_nominees``), but it can be re-opened for
editing before notice and ranked again, or cancelled with a reason — audited, its window freed
for another round, the round still listed as cancelled."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.commendation.models import CommendationRound, CommendationRoundYear, Nomination
from fupin.commendation.service.notice import publish_notice
from fupin.commendation.service.ranking import rank
from fupin.commendation.service.rounds import CategoryInput, create_round
from fupin.core.models import AuditLog
from tests.support.world import CSRF
from tests.tax.builders import WAN, seed_round_world

HEADERS = {"X-CSRF-Token": CSRF}
UNREACHABLE = CategoryInput(
    award_type="dedication", scope="collective", quota=2, min_confirmed_money_fen=10**13
)


async def _dead_round() -> CommendationRound:
    """Ranked with criteria nobody meets: every candidate excluded, no nominee."""
    created = await create_round(
        actor=None,
        title="2021–2025 社会扶贫表彰",
        first_year=2021,
        last_year=2025,
        categories=[UNREACHABLE],
        system=True,
    )
    await rank(actor=None, round_id=created.id, system=True, today=date(2026, 11, 29))
    assert not await Nomination.exists(round_id=created.id, status="nominee")
    return created


@pytest.mark.both_databases
async def test_a_round_without_nominees_is_reopened_edited_and_reranked(client_as, world) -> None:
    await seed_round_world(world)
    dead = await _dead_round()
    admin = client_as("national_admin")
    base = f"/api/v1/commendation/rounds/{dead.id}"

    refused = await admin.post(f"{base}/notice", json={}, headers=HEADERS)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_nominees"
    frozen = await admin.post(
        f"{base}/categories",
        json={"award_type": "dedication", "scope": "collective", "quota": 2},
        headers=HEADERS,
    )
    assert frozen.status_code == 409  # ranked: its categories cannot change

    reopened = await admin.post(f"{base}/reopen", headers=HEADERS)
    assert reopened.status_code == 200 and reopened.json()["state"] == "draft"
    assert not await Nomination.exists(round_id=dead.id)
    assert await AuditLog.exists(action="commendation.round.reopen", object_id=str(dead.id))
    edited = await admin.post(
        f"{base}/categories",
        json={
            "award_type": "dedication",
            "scope": "collective",
            "quota": 2,
            "min_confirmed_money_fen": 10 * WAN,
        },
        headers=HEADERS,
    )
    assert edited.status_code == 200
    ranked = await admin.post(f"{base}/rank", headers=HEADERS)
    assert ranked.status_code == 200
    assert await Nomination.exists(round_id=dead.id, status="nominee")
    noticed = await admin.post(f"{base}/notice", json={}, headers=HEADERS)
    assert noticed.status_code == 200 and noticed.json()["state"] == "notice"
    # once public, no going back to editing
    late = await admin.post(f"{base}/reopen", headers=HEADERS)
    assert late.status_code == 409


@pytest.mark.both_databases
async def test_a_cancelled_round_frees_its_window_and_stays_listed(client_as, world) -> None:
    await seed_round_world(world)
    dead = await _dead_round()
    admin = client_as("national_admin")
    base = f"/api/v1/commendation/rounds/{dead.id}"
    overlapping = {
        "title": "2022–2026 社会扶贫表彰",
        "first_year": 2022,
        "last_year": 2026,
        "categories": [{"award_type": "dedication", "scope": "collective", "quota": 3}],
    }
    blocked = await admin.post("/api/v1/commendation/rounds", json=overlapping, headers=HEADERS)
    assert blocked.status_code == 422
    assert blocked.json()["error"]["code"] == "window_overlaps"

    no_reason = await admin.post(f"{base}/cancel", json={"reason": ""}, headers=HEADERS)
    assert no_reason.status_code == 422
    cancelled = await admin.post(
        f"{base}/cancel", json={"reason": "条件设置过高，无人符合，改设新一轮。"}, headers=HEADERS
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "条件设置过高，无人符合，改设新一轮。"
    logged = await AuditLog.get(action="commendation.round.cancel", object_id=str(dead.id))
    assert logged.after["reason"] == "条件设置过高，无人符合，改设新一轮。"
    assert logged.after["freed_years"] == [2021, 2022, 2023, 2024, 2025]
    assert not await CommendationRoundYear.exists(round_id=dead.id)

    created = await admin.post("/api/v1/commendation/rounds", json=overlapping, headers=HEADERS)
    assert created.status_code == 201, created.text

    listing = (await admin.get("/api/v1/commendation/rounds")).json()["items"]
    assert {r["id"]: r["state"] for r in listing}[dead.id] == "cancelled"
    page = await admin.get(f"/commendation/office/{dead.id}")
    assert "已取消" in page.text and "条件设置过高" in page.text
    # never on notice: the public never saw it and does not now
    assert (await client_as(None).get(f"/commendation/{dead.id}")).status_code == 404
    again = await admin.post(f"{base}/cancel", json={"reason": "再次"}, headers=HEADERS)
    assert again.status_code == 409


async def test_a_round_cancelled_during_its_notice_stays_public_as_cancelled(
    client_as, world
) -> None:
    await seed_round_world(world)
    created = await create_round(
        actor=None,
        title="2021–2025 社会扶贫表彰",
        first_year=2021,
        last_year=2025,
        categories=[CategoryInput(award_type="dedication", scope="collective", quota=2)],
        system=True,
    )
    await rank(actor=None, round_id=created.id, system=True, today=date(2026, 11, 29))
    await publish_notice(actor=None, round_id=created.id, system=True)
    admin = client_as("national_admin")
    answer = await admin.post(
        f"/commendation/office/{created.id}/cancel",
        data={"csrf_token": CSRF, "reason": "推荐程序有误，重新组织。"},
    )
    assert answer.status_code == 303
    public = await client_as(None).get(f"/commendation/{created.id}")
    assert public.status_code == 200
    assert "本轮表彰已取消：推荐程序有误，重新组织。" in public.text
    assert 'id="objection"' not in public.text
