"""Invitations: only the need's county officers and the offices may invite, at most
WEEKLY_LIMIT per participant in any rolling week, one per need; every refusal writes nothing;
every invitation is audit-logged; the participant's inbox with read/unread and answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fupin.core.models import AuditLog
from fupin.errors import NotFound, PermissionDenied, RuleViolation
from fupin.matching.models import Invitation, NotForUs, office_label
from fupin.matching.service import invitations, marks
from tests.matching.support import WAN, actor, days, need, pledge
from tests.support.world import CSRF


async def _nothing_written(before_invitations: int, before_audit: int) -> None:
    assert await Invitation.all().count() == before_invitations
    assert await AuditLog.filter(action="invitation.send").count() == before_audit


async def test_a_county_officer_invites_and_the_donor_sees_it_unread(world, client_as) -> None:
    target = await need(world.village, title="石门村饮水工程")
    donor = world.participants["enterprise"]
    response = await client_as("county_officer").post(
        "/api/v1/invitations",
        json={"need_id": target.id, "participant_id": donor.id, "message": "请关注这个项目。"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["from"] == "广南县扶贫办" and body["read"] is False
    audit = await AuditLog.get(action="invitation.send", object_id=str(body["id"]))
    assert audit.actor_label == "county_officer"
    assert audit.after == {
        "need_id": target.id,
        "participant_id": donor.id,
        "message": "请关注这个项目。",
    }

    inbox = client_as("participant_member")
    listing = (await inbox.get("/api/v1/inbox")).json()
    assert listing["total"] == 1 and listing["unread"] == 1
    assert listing["items"][0]["need_title"] == "石门村饮水工程"
    page = await inbox.get("/me/inbox")
    assert (
        "广南县扶贫办" in page.text and "请关注这个项目。" in page.text and "1 条未读" in page.text
    )
    read = await inbox.post(
        f"/me/inbox/{body['id']}/read", data={"csrf_token": CSRF, "next": "/me/inbox"}
    )
    assert read.status_code == 303
    listing = (await inbox.get("/api/v1/inbox?unread=true")).json()
    assert listing["total"] == 0 and listing["unread"] == 0
    assert await AuditLog.filter(action="invitation.read").count() == 1


@pytest.mark.parametrize("key", ["province_office", "national_admin"])
async def test_the_offices_over_the_need_may_invite(world, key) -> None:
    target = await need(world.village)
    sent = await invitations.send_invitation(
        await actor(world, key),
        need_id=target.id,
        participant_id=world.participants["individual"].id,
    )
    label = {"province_office": "云南省扶贫办", "national_admin": "国家扶贫办"}[key]
    assert office_label(sent.sender_role, sent.sender_office) == label


@pytest.mark.parametrize(
    "key",
    [
        "other_county_officer",
        "other_province_office",
        "village_worker",
        "participant_member",
        "auditor",
    ],
)
async def test_an_invitation_outside_the_senders_area_is_refused_and_writes_nothing(
    world, client_as, key
) -> None:
    target = await need(world.village)  # in 广南县, 云南省
    response = await client_as(key).post(
        "/api/v1/invitations",
        json={"need_id": target.id, "participant_id": world.participants["enterprise"].id},
        headers={"X-CSRF-Token": CSRF},
    )
    assert response.status_code == 403
    await _nothing_written(0, 0)


@pytest.mark.both_databases
async def test_the_weekly_limit_is_refused_with_a_clear_error_and_nothing_written(world) -> None:
    officer = await actor(world, "county_officer")
    donor = world.participants["enterprise"]
    targets = [await need(world.village, title=f"需求{i}") for i in range(5)]
    now = datetime.now(UTC)
    # Two invitations 8 days ago are outside the rolling window and do not count.
    for target in targets[:2]:
        await invitations.send_invitation(
            officer, need_id=target.id, participant_id=donor.id, now=now - timedelta(days=8)
        )
    for target in targets[2:5]:
        await invitations.send_invitation(officer, need_id=target.id, participant_id=donor.id)
    extra = await need(world.village, title="第六个")
    with pytest.raises(RuleViolation) as caught:
        await invitations.send_invitation(officer, need_id=extra.id, participant_id=donor.id)
    assert caught.value.code == "invitation_limit" and caught.value.field == "participant_id"
    assert "7 天内已收到 3 条邀请" in caught.value.message and donor.name in caught.value.message
    await _nothing_written(5, 5)
    # Another office is held to the same limit: it is per donor, not per sender.
    with pytest.raises(RuleViolation):
        await invitations.send_invitation(
            await actor(world, "national_admin"), need_id=extra.id, participant_id=donor.id
        )
    await _nothing_written(5, 5)
    # Another donor is not affected.
    await invitations.send_invitation(
        officer, need_id=extra.id, participant_id=world.participants["social_org"].id
    )


@pytest.mark.both_databases
async def test_concurrent_invitations_never_overshoot_the_weekly_limit(world) -> None:
    officer = await actor(world, "county_officer")
    province = await actor(world, "province_office")
    donor = world.participants["enterprise"]
    targets = [await need(world.village, title=f"需求{i}") for i in range(6)]

    async def attempt(i: int) -> str:
        try:
            await invitations.send_invitation(
                officer if i % 2 else province, need_id=targets[i].id, participant_id=donor.id
            )
            return "sent"
        except RuleViolation as exc:
            return exc.code

    outcomes = await asyncio.gather(*(attempt(i) for i in range(6)))
    assert sorted(outcomes) == ["invitation_limit"] * 3 + ["sent"] * 3
    assert await Invitation.filter(participant_id=donor.id).count() == 3
    assert await AuditLog.filter(action="invitation.send").count() == 3


async def test_refusals_name_the_problem_and_write_nothing(world, client_as) -> None:
    target = await need(world.village)
    donor = world.participants["enterprise"]
    officer = await actor(world, "county_officer")
    await invitations.send_invitation(officer, need_id=target.id, participant_id=donor.id)
    client = client_as("county_officer")
    headers = {"X-CSRF-Token": CSRF}
    funded = await need(world.village, pledged_fen=20 * WAN)
    past = await need(world.village, deadline=days(-1))
    draft = await need(world.village, state="draft")
    other_donor = world.participants["individual"]
    cases = [
        ({"need_id": target.id, "participant_id": donor.id}, 409, "already_invited"),
        ({"need_id": funded.id, "participant_id": other_donor.id}, 409, "need_not_open"),
        ({"need_id": past.id, "participant_id": other_donor.id}, 409, "need_not_open"),
        ({"need_id": target.id, "participant_id": 999_999}, 422, "not_found"),
        ({"need_id": target.id, "participant_id": "12"}, 422, "wrong_type"),
        ({"need_id": target.id}, 422, "required"),
        ({"need_id": "x", "participant_id": other_donor.id}, 422, "wrong_type"),
        (
            {"need_id": target.id, "participant_id": other_donor.id, "message": "长" * 501},
            422,
            "too_long",
        ),
        ({"need_id": target.id, "participant_id": other_donor.id, "message": 5}, 422, "wrong_type"),
        ({"need_id": draft.id, "participant_id": other_donor.id}, 409, "need_not_open"),
        ({"need_id": 999_999, "participant_id": other_donor.id}, 404, "not_found"),
    ]
    for body, status, code in cases:
        response = await client.post("/api/v1/invitations", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code, body
    await _nothing_written(1, 1)


async def test_a_participant_who_pledged_or_declined_is_not_invited(world) -> None:
    target = await need(world.village)
    officer = await actor(world, "county_officer")
    member = await actor(world, "participant_member")
    await pledge(member, target, 2 * WAN)
    with pytest.raises(RuleViolation) as caught:
        await invitations.send_invitation(
            officer,
            need_id=target.id,
            participant_id=member.participant_id,  # type: ignore[arg-type]
        )
    assert caught.value.code == "already_pledged"
    other = await actor(world, "other_participant_member")
    await marks.mark_not_for_us(other, target.id)
    with pytest.raises(RuleViolation) as caught:
        await invitations.send_invitation(
            officer,
            need_id=target.id,
            participant_id=other.participant_id,  # type: ignore[arg-type]
        )
    assert caught.value.code == "not_for_them"
    assert await Invitation.all().count() == 0


async def test_declining_marks_the_need_not_for_us_and_it_leaves_the_recommendations(
    world, client_as
) -> None:
    target = await need(world.village)
    donor = world.participants["enterprise"]
    sent = await invitations.send_invitation(
        await actor(world, "county_officer"), need_id=target.id, participant_id=donor.id
    )
    client = client_as("participant_member")
    assert [
        i["need_id"] for i in (await client.get("/api/v1/recommendations")).json()["items"]
    ] == [target.id]
    bad = await client.post(
        f"/api/v1/inbox/{sent.id}/respond",
        json={"response": "maybe"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "response"
    response = await client.post(
        f"/me/inbox/{sent.id}/respond", data={"csrf_token": CSRF, "response": "declined"}
    )
    assert response.status_code == 303
    fresh = await Invitation.get(id=sent.id)
    assert fresh.response == "declined" and fresh.read_at is not None
    assert await NotForUs.filter(participant_id=donor.id, need_id=target.id).exists()
    assert (await client.get("/api/v1/recommendations")).json()["items"] == []
    audit = await AuditLog.get(action="invitation.respond", object_id=str(sent.id))
    assert audit.before == {"response": ""} and audit.after == {"response": "declined"}


async def test_inbox_of_a_non_participant_is_refused(world) -> None:
    with pytest.raises(PermissionDenied):
        await invitations.inbox(await actor(world, "county_officer"))
    with pytest.raises(NotFound):
        await invitations.mark_read(await actor(world, "participant_member"), 999)


async def test_the_invite_form_shows_the_limit_error_on_the_page(world, client_as) -> None:
    donor = world.participants["enterprise"]
    donor.stated_categories = ["roads"]
    await donor.save()
    for i in range(3):
        other = await need(world.other_village, title=f"别处{i}")
        other_officer = await actor(world, "other_county_officer")
        await invitations.send_invitation(other_officer, need_id=other.id, participant_id=donor.id)
    target = await need(world.village, category="roads")
    client = client_as("county_officer")
    page = await client.get(f"/needs/{target.id}/likely-donors")
    assert donor.name in page.text
    assert "本周已收到 3 条邀请，暂不能再邀请" in page.text
    response = await client.post(
        f"/needs/{target.id}/invitations",
        data={"csrf_token": CSRF, "participant_id": str(donor.id), "message": "请关注"},
    )
    assert response.status_code == 409
    assert "7 天内已收到 3 条邀请" in response.text
    assert await Invitation.filter(need_id=target.id).count() == 0
    no_token = await client.post(
        f"/needs/{target.id}/invitations", data={"participant_id": str(donor.id)}
    )
    assert no_token.status_code == 403
    ok = await client.post(
        f"/needs/{target.id}/invitations",
        data={"csrf_token": CSRF, "participant_id": str(world.participants["individual"].id)},
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/needs/{target.id}/likely-donors"
    assert await Invitation.filter(need_id=target.id).count() == 1
