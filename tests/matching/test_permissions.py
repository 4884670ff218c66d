"""Who may see what: a donor sees only its own recommendations and inbox; a need's
likely donors only its county officers and the offices; a need that is not public is not
found for whoever may not see it."""

from __future__ import annotations

import pytest

from fupin.app import API_MODULES
from fupin.core.categories import category_label
from fupin.core.openapi import build_document
from fupin.errors import NotAuthenticated, PermissionDenied
from fupin.matching.models import Invitation, NotForUs
from fupin.matching.service import recommendations
from tests.matching.support import actor, need
from tests.support.world import CSRF

OFFICES_OF_THE_NEED = ["county_officer", "province_office", "national_admin"]
OTHERS = [
    "other_county_officer",
    "other_province_office",
    "village_worker",
    "participant_member",
    "other_participant_member",
    "auditor",
]


async def test_recommendations_are_the_logged_in_participants_own(world, client_as) -> None:
    mine = world.participants["enterprise"]
    theirs = world.participants["social_org"]
    mine.stated_categories = ["roads"]
    theirs.stated_categories = ["health"]
    await mine.save()
    await theirs.save()
    await need(world.village, category="roads", title="道路")
    await need(world.village, category="health", title="卫生室")
    client = client_as("participant_member")
    own = (await client.get("/api/v1/recommendations")).json()
    # There is no parameter to ask for someone else's list: such parameters change nothing.
    for query in (f"participant_id={theirs.id}", f"participant={theirs.id}", f"pid={theirs.id}"):
        same = (await client.get(f"/api/v1/recommendations?{query}")).json()
        assert same == own, query
        page = await client.get(f"/me/recommendations?{query}")
        assert f"符合您关注的类别：{category_label('roads')}" in page.text
        assert f"符合您关注的类别：{category_label('health')}" not in page.text
    codes = [r["code"] for r in own["items"][0]["reasons"]]
    assert own["items"][0]["title"] == "道路" and "stated_category" in codes


def test_the_api_document_has_no_parameter_naming_a_participant() -> None:
    document = build_document(API_MODULES)
    for path in ("/recommendations", "/inbox"):
        names = {p["name"] for p in document["paths"][path]["get"].get("parameters", [])}
        assert not {n for n in names if "participant" in n or n in ("pid", "user")}, names


@pytest.mark.parametrize(
    "key", ["county_officer", "province_office", "national_admin", "village_worker", "auditor"]
)
async def test_only_participant_members_have_recommendations_and_an_inbox(
    world, client_as, key
) -> None:
    client = client_as(key)
    for url in ("/api/v1/recommendations", "/api/v1/inbox"):
        assert (await client.get(url)).status_code == 403, url
    for url in ("/me/recommendations", "/me/inbox"):
        assert (await client.get(url)).status_code == 403, url


async def test_anonymous_visitors_are_asked_to_log_in(world, client_as) -> None:
    client = client_as(None)
    assert (await client.get("/api/v1/recommendations")).status_code == 401
    assert (await client.get("/api/v1/inbox")).status_code == 401
    page = await client.get("/me/recommendations")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    with pytest.raises(NotAuthenticated):
        await recommendations.my_recommendations(None)


async def test_a_member_without_a_participant_cannot_have_recommendations(world) -> None:
    from fupin.core.policy import Actor

    orphan = Actor(user_id=1, username="x", role="participant_member", participant_id=None)
    with pytest.raises(PermissionDenied):
        await recommendations.my_recommendations(orphan)


@pytest.mark.parametrize("key", OFFICES_OF_THE_NEED)
async def test_likely_donors_for_the_needs_county_officers_and_the_offices(
    world, client_as, key
) -> None:
    target = await need(world.village)
    client = client_as(key)
    api = await client.get(f"/api/v1/needs/{target.id}/likely-donors")
    assert api.status_code == 200, api.text
    assert api.json()["need_id"] == target.id and api.json()["open"] is True
    page = await client.get(f"/needs/{target.id}/likely-donors")
    assert page.status_code == 200 and "可能的捐赠方" in page.text


@pytest.mark.parametrize("key", OTHERS)
async def test_likely_donors_are_forbidden_to_everyone_else(world, client_as, key) -> None:
    target = await need(world.village)
    client = client_as(key)
    assert (await client.get(f"/api/v1/needs/{target.id}/likely-donors")).status_code == 403
    assert (await client.get(f"/needs/{target.id}/likely-donors")).status_code == 403


async def test_likely_donors_of_a_need_that_is_not_public(world, client_as) -> None:
    draft = await need(world.village, state="draft")
    assert (await client_as(None).get(f"/api/v1/needs/{draft.id}/likely-donors")).status_code == 401
    for key in ("other_county_officer", "other_province_office"):
        response = await client_as(key).get(f"/api/v1/needs/{draft.id}/likely-donors")
        assert response.status_code == 404, key  # its existence is not revealed
    # A role without likely_donors.view is refused by the route for every need, existing or not.
    for need_id in (draft.id, 999999):
        response = await client_as("participant_member").get(
            f"/api/v1/needs/{need_id}/likely-donors"
        )
        assert response.status_code == 403
    anonymous_page = await client_as(None).get(f"/needs/{draft.id}/likely-donors")
    assert anonymous_page.status_code == 303  # to the login page
    own = await client_as("county_officer").get(f"/api/v1/needs/{draft.id}/likely-donors")
    assert own.status_code == 409 and own.json()["error"]["code"] == "need_not_public"
    assert (
        await client_as("county_officer").get("/api/v1/needs/999999/likely-donors")
    ).status_code == 404


async def test_someone_elses_invitation_is_not_found(world, client_as) -> None:
    target = await need(world.village)
    officer = await actor(world, "county_officer")
    from fupin.matching.service import invitations

    sent = await invitations.send_invitation(
        officer, need_id=target.id, participant_id=world.participants["social_org"].id
    )
    client = client_as("participant_member")  # acts for the enterprise, not the social org
    headers = {"X-CSRF-Token": CSRF}
    assert (await client.post(f"/api/v1/inbox/{sent.id}/read", headers=headers)).status_code == 404
    response = await client.post(
        f"/api/v1/inbox/{sent.id}/respond", json={"response": "declined"}, headers=headers
    )
    assert response.status_code == 404
    assert (await client.get("/api/v1/inbox")).json()["total"] == 0
    fresh = await Invitation.get(id=sent.id)
    assert fresh.read_at is None and fresh.response == ""
    assert await NotForUs.all().count() == 0
    owner = client_as("other_participant_member")
    assert (await owner.get("/api/v1/inbox")).json()["total"] == 1


async def test_api_writes_by_session_need_the_csrf_header(world, client_as) -> None:
    target = await need(world.village)
    client = client_as("participant_member")
    response = await client.post(f"/api/v1/recommendations/{target.id}/not-for-us", json={})
    assert response.status_code == 403
    response = await client.post(
        f"/api/v1/recommendations/{target.id}/not-for-us",
        json={"reason": "不在范围"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert response.status_code == 201 and response.json()["need_id"] == target.id
    assert await NotForUs.filter(need_id=target.id).count() == 1
    response = await client.delete(
        f"/api/v1/recommendations/{target.id}/not-for-us", headers={"X-CSRF-Token": CSRF}
    )
    assert response.status_code == 204 and await NotForUs.all().count() == 0
