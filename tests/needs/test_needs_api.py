"""/api/v1/needs: create, read, edit, transitions, history; the one error shape; tokens."""

from __future__ import annotations

import pytest

from fupin.accounts.service import users as accounts
from fupin.needs.models import Need, NeedEvent
from tests.needs.support import make_need, valid_input
from tests.support.world import CSRF

H = {"X-CSRF-Token": CSRF}


@pytest.mark.both_databases
async def test_api_lifecycle_with_bearer_tokens(world, client_as) -> None:
    worker_token = await accounts.create_api_token(user=world.users["village_worker"])
    officer_token = await accounts.create_api_token(user=world.users["county_officer"])
    client = client_as(None)
    worker = {"Authorization": f"Bearer {worker_token}"}
    officer = {"Authorization": f"Bearer {officer_token}"}
    created = await client.post(
        "/api/v1/needs", json=valid_input(world.village.code), headers=worker
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (
        body["state"] == "draft"
        and body["source"] == "api"
        and body["items"][0]["total_fen"] == 5_760_000
    )
    need_id = body["id"]
    patched = await client.patch(
        f"/api/v1/needs/{need_id}", json={"beneficiary_people": 500}, headers=worker
    )
    assert patched.status_code == 200 and patched.json()["beneficiary_people"] == 500
    assert patched.json()["available_actions"] == ["submit", "withdraw"]
    submitted = await client.post(
        f"/api/v1/needs/{need_id}/transitions", json={"action": "submit"}, headers=worker
    )
    assert submitted.json()["state"] == "submitted"
    published = await client.post(
        f"/api/v1/needs/{need_id}/transitions", json={"action": "publish"}, headers=officer
    )
    assert published.status_code == 200 and published.json()["state"] == "published"
    public = await client.get(f"/api/v1/needs/{need_id}")
    assert public.status_code == 200 and "external_ref" not in public.json()
    assert public.json()["available_actions"] == []
    events = await client.get(f"/api/v1/needs/{need_id}/events")
    assert [e["action"] for e in events.json()["items"]] == ["draft", "edit", "submit", "publish"]
    assert "actor_username" not in events.json()["items"][0]
    assert events.json()["items"][-1]["actor"] == "县扶贫办"
    listing = await client.get("/api/v1/needs?county=532627")
    assert [n["id"] for n in listing.json()["items"]] == [need_id] and listing.json()["total"] == 1


async def test_wrong_role_wrong_state_and_bad_input_get_the_error_shape_and_write_nothing(
    world, client_as
) -> None:
    need = await make_need(world, "submitted")
    before = await NeedEvent.filter(need_id=need.id).count()
    worker = client_as("village_worker")
    forbidden = await worker.post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "publish"}, headers=H
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    wrong_state = await worker.post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "confirm_receipt"}, headers=H
    )
    assert (
        wrong_state.status_code == 409
        and wrong_state.json()["error"]["code"] == "invalid_transition"
    )
    unknown = await worker.post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "explode"}, headers=H
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "action"
    no_reason = await client_as("county_officer").post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "return"}, headers=H
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    no_csrf = await worker.post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "withdraw", "reason": "x"}
    )
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf"
    anonymous = await client_as(None).post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "submit"}
    )
    assert anonymous.status_code == 401
    assert (await Need.get(id=need.id)).state == "submitted"
    assert await NeedEvent.filter(need_id=need.id).count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 12}, "title"),
        ({"target_fen": 1.5}, "target_fen"),
        ({"target_fen": True}, "target_fen"),
        ({"items": "many"}, "items"),
        (
            {"items": [{"name": "a", "quantity": "1", "unit": "个", "unit_value_fen": 1}]},
            "items[0].quantity",
        ),
        ({"colour": "red"}, "colour"),
        ({"target_fen": -100}, "target_fen"),
        ({"deadline": "tomorrow"}, "deadline"),
    ],
)
async def test_create_refuses_bad_json_by_field(world, client_as, body, field) -> None:
    response = await client_as("village_worker").post(
        "/api/v1/needs", json={**valid_input(world.village.code), **body}, headers=H
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field or field in {e["field"] for e in error.get("errors", [])}
    assert await Need.all().count() == 0


async def test_drafts_are_invisible_to_the_public_api_and_listed_in_scope_mine(
    world, client_as
) -> None:
    draft = await make_need(world, "draft")
    assert (await client_as(None).get(f"/api/v1/needs/{draft.id}")).status_code == 404
    assert (await client_as(None).get(f"/api/v1/needs/{draft.id}/events")).status_code == 404
    mine = await client_as("county_officer").get("/api/v1/needs?scope=mine")
    assert [n["id"] for n in mine.json()["items"]] == [draft.id]
    assert mine.json()["items"][0]["source"] == "web"
    assert (await client_as(None).get("/api/v1/needs?scope=mine")).status_code == 401
    assert (
        await client_as("participant_member").get("/api/v1/needs?scope=mine")
    ).status_code == 403
    other = await client_as("other_county_officer").get("/api/v1/needs?scope=mine")
    assert other.json()["items"] == []


async def test_publishing_a_possible_duplicate_returns_409_with_the_ids(world, client_as) -> None:
    first = await make_need(world, "published", title="石门村人饮工程")
    need = await make_need(world, "submitted", title="石门村人饮项目")
    officer = client_as("county_officer")
    response = await officer.post(
        f"/api/v1/needs/{need.id}/transitions", json={"action": "publish"}, headers=H
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "possible_duplicate"
    assert response.json()["error"]["duplicates"] == [first.id]
    ok = await officer.post(
        f"/api/v1/needs/{need.id}/transitions",
        json={"action": "publish", "acknowledge_duplicates": True},
        headers=H,
    )
    assert ok.status_code == 200


async def test_bad_ids_and_filters_are_422_not_500(client_as) -> None:
    client = client_as(None)
    assert (await client.get("/api/v1/needs/abc")).status_code == 422
    assert (await client.get("/api/v1/needs/99999999999")).status_code == 422
    assert (await client.get("/api/v1/needs/5")).status_code == 404
    for query in ("sort=x", "state=draft", "province=53", "category=moon", "page=0", "scope=all"):
        response = await client.get(f"/api/v1/needs?{query}")
        assert response.status_code == 422, query
