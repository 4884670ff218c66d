"""The dashboards, alerts, pair management and pair-year figures through the JSON API."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service.users import actor_for, create_api_token
from fupin.core.models import AuditLog
from fupin.pairs.models import PairFigure
from fupin.pairs.service import dashboards
from fupin.pairs.service import figures as pair_figures
from tests.pairs.data import TODAY, build
from tests.support.world import CSRF


async def _token(world, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_api_token(user=world.users[key])}"}


@pytest.mark.both_databases
async def test_national_dashboard_json_equals_the_domain_figures(world, client) -> None:
    await build(world)
    headers = await _token(world, "national_admin")
    response = await client.get("/api/v1/dashboards/national?year=2025", headers=headers)
    assert response.status_code == 200
    body = response.json()
    d = await dashboards.region_dashboard(
        actor=await actor_for(world.users["national_admin"]), level="national", year=2025
    )
    assert (
        body["received_fen"] == d.money.received_fen and body["pledged_fen"] == d.money.pledged_fen
    )
    assert body["honour"]["due_count"] == d.money.honour.due_count
    assert body["tables"]["regions"]["rows"] == d.tables["regions"].as_dict()["rows"]
    assert all(not k.startswith("_") for row in body["tables"]["regions"]["rows"] for k in row)
    county = await client.get("/api/v1/dashboards/counties/532627?year=all", headers=headers)
    assert county.status_code == 200 and county.json()["level"] == "county"
    assert (
        await client.get("/api/v1/dashboards/national?year=1999", headers=headers)
    ).status_code == 422
    assert (
        await client.get("/api/v1/dashboards/provinces/999999", headers=headers)
    ).status_code == 404
    assert (
        await client.get("/api/v1/dashboards/provinces/532627", headers=headers)
    ).status_code == 404


async def test_dashboards_need_a_login_and_the_right_scope(world, client) -> None:
    assert (await client.get("/api/v1/dashboards/national")).status_code == 401
    office = await _token(world, "province_office")
    assert (await client.get("/api/v1/dashboards/national", headers=office)).status_code == 403
    assert (
        await client.get("/api/v1/dashboards/provinces/530000", headers=office)
    ).status_code == 200
    other = await _token(world, "other_province_office")
    assert (
        await client.get("/api/v1/dashboards/provinces/530000", headers=other)
    ).status_code == 403
    public = await client.get("/api/v1/dashboards/indicators")
    assert (
        public.status_code == 200 and public.json()["schedule_pct_by_completed_quarters"]["3"] == 50
    )


@pytest.mark.both_databases
async def test_pair_year_figures_through_the_api_in_fen(world, client) -> None:
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    headers = await _token(world, "province_office")
    url = f"/api/v1/pairs/{pair.id}/years/2025"
    ok = await client.put(
        url, headers=headers, json={"targets": {"social_funds": 300_000_000_00}, "grade": "good"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["targets"]["social_funds"] == 300_000_000_00
    assert (await client.get(url, headers=headers)).json()["grade"] == "good"
    before = (await PairFigure.all().count(), await AuditLog.filter(action="pair.figures").count())
    for body, field in (
        ({"targets": {"social_funds": -1}}, "target.social_funds"),
        ({"targets": {"social_funds": "100"}}, "target.social_funds"),
        ({"reported": {"labour_placed": 1.5}}, "reported.labour_placed"),
        ({"targets": {"bogus": 1}}, "target.bogus"),
        ({"targets": []}, "targets"),
        ({"grade": 3}, "grade"),
    ):
        bad = await client.put(url, headers=headers, json=body)
        assert bad.status_code == 422, body
        assert field in [
            bad.json()["error"]["field"],
            *(e["field"] for e in bad.json()["error"].get("errors", [])),
        ]
    outside = await client.put(
        f"/api/v1/pairs/{pair.id}/years/2019",
        headers=headers,
        json={"targets": {"social_funds": 1}},
    )
    assert outside.status_code == 422 and outside.json()["error"]["field"] == "year"
    assert (
        await PairFigure.all().count(),
        await AuditLog.filter(action="pair.figures").count(),
    ) == before
    other = await _token(world, "other_province_office")
    assert (
        await client.put(url, headers=other, json={"targets": {"social_funds": 1}})
    ).status_code == 403
    report = await client.get(f"/api/v1/pairs/{pair.id}/years/2025/report", headers=headers)
    assert report.status_code == 200 and report.json()["pair_id"] == pair.id


@pytest.mark.both_databases
async def test_pairs_are_added_and_redrawn_through_the_api_with_clear_errors(
    world, client, client_as
) -> None:
    headers = await _token(world, "national_admin")
    helper = await Participant.get(name="上海市", kind="east_partner")
    body = {
        "kind": "east_west",
        "helper_id": helper.id,
        "helped_region_code": "532627",
        "start_year": 2022,
    }
    created = await client.post("/api/v1/pairs", headers=headers, json=body)
    assert created.status_code == 201
    pair_id = created.json()["id"]
    dup = await client.post("/api/v1/pairs", headers=headers, json=body)
    assert dup.status_code == 422 and dup.json()["error"]["code"] == "overlap"
    overlap = await client.post(
        f"/api/v1/pairs/{pair_id}/redraw", headers=headers, json={"start_year": 2021}
    )
    assert overlap.status_code == 422 and overlap.json()["error"]["field"] == "start_year"
    redrawn = await client.post(
        f"/api/v1/pairs/{pair_id}/redraw", headers=headers, json={"start_year": 2025}
    )
    assert redrawn.status_code == 201 and redrawn.json()["replaces_id"] == pair_id
    history = await client.get(f"/api/v1/pairs/{redrawn.json()['id']}/history", headers=headers)
    assert {e["action"] for e in history.json()["events"]} >= {"add", "replaced", "redraw"}
    ended = await client.post(
        f"/api/v1/pairs/{redrawn.json()['id']}/end", headers=headers, json={"end_year": 2026}
    )
    assert ended.status_code == 200 and ended.json()["end_year"] == 2026
    bad = await client.post("/api/v1/pairs", headers=headers, content=b"not json")
    assert bad.status_code == 422
    # a browser session needs the CSRF header for writes
    session = client_as("national_admin")
    assert (await session.post("/api/v1/pairs", json=body)).status_code == 403
    with_header = await session.post(
        "/api/v1/pairs", json={**body, "start_year": 2030}, headers={"X-CSRF-Token": CSRF}
    )
    assert with_header.status_code == 201


@pytest.mark.both_databases
async def test_alerts_list_lagging_pairs_and_unfunded_needs(world, client) -> None:
    data = await build(world)
    actor = await actor_for(world.users["national_admin"])
    await pair_figures.save_figures(
        actor=actor,
        pair_id=data.east_west.id,
        year=2025,
        targets={"cadres_exchanged": 100},
        reported={"cadres_exchanged": 1},
        today=TODAY,
    )
    headers = await _token(world, "province_office")
    response = await client.get(
        "/api/v1/dashboards/alerts?year=2025&region=530000&days=30", headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert any(
        a["pair_id"] == data.east_west.id and a["indicator_code"] == "cadres_exchanged"
        for a in body["lagging"]
    )
    assert body["unfunded_total"] >= len(body["unfunded"]) > 0
    assert (
        await client.get("/api/v1/dashboards/alerts?days=0", headers=headers)
    ).status_code == 422
    overview = await client.get("/api/v1/dashboards/pairs?year=2025", headers=headers)
    assert overview.status_code == 200 and overview.json()["region"] == "530000"
