"""Logging in through the form, the language switch, and error pages in the site's style."""

from __future__ import annotations

import re

import pytest

from tests.support.world import TEST_PASSWORD


async def _csrf(client) -> str:
    page = await client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.mark.both_databases
async def test_county_officer_logs_in_and_sees_their_county(client_as, world) -> None:
    client = client_as(None)
    token = await _csrf(client)
    response = await client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "county_officer",
            "password": TEST_PASSWORD,
            "next": "/regions/532627",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/regions/532627"
    page = await client.get("/regions/532627")
    assert "广南县" in page.text and "退出" in page.text


async def test_wrong_password_is_refused_without_saying_which_part(client_as, world) -> None:
    client = client_as(None)
    token = await _csrf(client)
    response = await client.post(
        "/login", data={"csrf_token": token, "username": "county_officer", "password": "nope"}
    )
    assert response.status_code == 401 and "用户名或密码不正确" in response.text


@pytest.mark.parametrize(
    "target",
    # browsers read a backslash as a slash and drop tabs and line breaks before they look
    ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://evil.example/"],
)
async def test_login_redirect_never_leaves_the_site(client_as, world, target) -> None:
    client = client_as(None)
    token = await _csrf(client)
    response = await client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "auditor",
            "password": TEST_PASSWORD,
            "next": target,
        },
    )
    assert response.headers["location"] == "/ledger"  # the auditor's home, never the other site


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("county_officer", "/workspace"),
        ("village_worker", "/workspace"),
        ("participant_member", "/me/recommendations"),
        ("province_office", "/dashboards"),
    ],
)
async def test_each_role_lands_on_its_own_work_after_login(
    client_as, world, username, home
) -> None:
    client = client_as(None)
    token = await _csrf(client)
    response = await client.post(
        "/login", data={"csrf_token": token, "username": username, "password": TEST_PASSWORD}
    )
    assert response.headers["location"] == home
    page = await client.get(home, follow_redirects=True)
    assert page.status_code == 200


async def test_english_switch_translates_the_layout(client_as) -> None:
    client = client_as(None)
    switched = await client.get("/lang/en?next=/regions")
    assert switched.status_code == 303
    page = await client.get("/regions")  # the switch set the language cookie
    assert "Regions" in page.text and 'lang="en"' in page.text


async def test_api_errors_use_the_one_json_shape(client_as) -> None:
    response = await client_as(None).get("/api/v1/regions/999999")
    assert response.status_code == 404
    body = response.json()
    assert (
        set(body["error"]) >= {"code", "message", "field"} and body["error"]["code"] == "not_found"
    )
    bad = await client_as(None).get("/api/v1/regions?per_page=1000")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "per_page"
    unauth = await client_as(None).post("/api/v1/participants", json={"kind": "enterprise"})
    assert unauth.status_code == 401 and unauth.json()["error"]["code"] == "not_authenticated"
