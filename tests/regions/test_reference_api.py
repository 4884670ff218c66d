"""Regions, participants and pairs through the JSON API: filters, pagination, errors."""

from __future__ import annotations

import pytest

from fupin.accounts.service import users as accounts
from tests.support.world import valid_uscc


@pytest.mark.both_databases
async def test_regions_filter_by_level_and_poverty_flag(client, world) -> None:
    response = await client.get(
        "/api/v1/regions",
        params={"level": "county", "province": "530000", "poverty_county": "1", "per_page": 100},
    )
    body = response.json()
    assert response.status_code == 200 and body["total"] == 88  # 云南's 88 poverty counties
    assert all(r["is_poverty_county"] and r["province_code"] == "530000" for r in body["items"])


async def test_region_children_and_unknown_level(client, world) -> None:
    children = await client.get("/api/v1/regions", params={"parent": "532600"})
    assert any(r["name"] == "广南县" for r in children.json()["items"])
    bad = await client.get("/api/v1/regions", params={"level": "galaxy"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "level"


@pytest.mark.both_databases
async def test_pairs_for_a_county_include_province_level_pairs(client, world) -> None:
    response = await client.get("/api/v1/pairs", params={"region": "530000", "per_page": 100})
    body = response.json()
    assert body["total"] >= 1
    assert all(p["helped_region"]["code"].startswith("53") for p in body["items"])


async def test_participant_created_through_api_with_token(client_as, world) -> None:
    token = await accounts.create_api_token(user=world.users["national_admin"], name="t")
    client = client_as(None)
    headers = {"Authorization": f"Bearer {token}"}
    code = valid_uscc("91530100MA6K2D8Y1")
    created = await client.post(
        "/api/v1/participants",
        json={"kind": "enterprise", "name": "接口企业", "uscc": code},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["uscc"] == code
    bad = await client.post(
        "/api/v1/participants",
        json={"kind": "enterprise", "name": "坏", "uscc": "123"},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "uscc"


async def test_participant_member_cannot_register_participants(client_as, world) -> None:
    token = await accounts.create_api_token(user=world.users["participant_member"], name="t")
    response = await client_as(None).post(
        "/api/v1/participants",
        json={"kind": "enterprise", "name": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_session_api_write_needs_the_csrf_header(client_as, world) -> None:
    client = client_as("national_admin")
    refused = await client.post("/api/v1/participants", json={"kind": "military", "name": "某部"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    from tests.support.world import CSRF

    accepted = await client.post(
        "/api/v1/participants",
        json={"kind": "military", "name": "某部"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert accepted.status_code == 201
