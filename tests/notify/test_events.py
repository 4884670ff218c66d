"""The areas' events that notify: an office's invitation and a commendation notice reach the
members of the participant, in the same transaction as the event; the in-app page."""

from __future__ import annotations

from datetime import date

from fupin.accounts.service import users as accounts
from fupin.commendation.models import Nomination
from fupin.commendation.service.notice import publish_notice
from fupin.matching.service import invitations
from fupin.notify.models import Notification
from fupin.notify.service import inbox as notifications
from tests.commendation.test_commendation import _ranked_round
from tests.matching.support import actor, need
from tests.support.world import CSRF, make_user


async def test_an_invitation_notifies_the_participants_members(world, client_as) -> None:
    target = await need(world.village, title="石门村饮水工程")
    await invitations.send_invitation(
        await actor(world, "county_officer"),
        need_id=target.id,
        participant_id=world.participants["enterprise"].id,
        message="请关注。",
    )
    member = world.users["participant_member"]
    [note] = await Notification.filter(user_id=member.id)
    assert (note.kind, note.link) == ("invitation", "/me/inbox")
    page = await client_as("participant_member").get("/me/notifications")
    assert "广南县扶贫办邀请您关注一个需求" in page.text
    assert "「石门村饮水工程」仍有资金缺口。请关注。" in page.text
    assert "1 条未读" in page.text
    other = await client_as("other_participant_member").get("/me/notifications")
    assert "没有通知" in other.text

    client = client_as("participant_member")
    read = await client.post(f"/me/notifications/{note.id}/read", data={"csrf_token": CSRF})
    assert read.status_code == 303
    assert await notifications.unread_count(await accounts.actor_for(member)) == 0
    # someone else's notification is not found
    stranger = client_as("other_participant_member")
    refused = await stranger.post(f"/me/notifications/{note.id}/read", data={"csrf_token": CSRF})
    assert refused.status_code == 404


async def test_the_settings_page_saves_choices(world, client_as) -> None:
    client = client_as("participant_member")
    form = {"csrf_token": CSRF, "email": "me@example.org", "daily_digest": "1"}
    form |= {"channel_pledge_due": "off", "channel_invitation": "in_app"}
    saved = await client.post("/me/notifications/settings", data=form)
    assert saved.status_code == 303
    prefs = await notifications.preferences(
        await accounts.actor_for(world.users["participant_member"])
    )
    assert prefs.email == "me@example.org" and prefs.daily_digest
    assert prefs.channels["pledge_due"] == "off" and prefs.channels["invitation"] == "in_app"
    assert prefs.channels["receipt_issued"] == "email"  # not chosen: the default
    page = await client.get("/me/notifications/settings")
    assert 'value="me@example.org"' in page.text


async def test_a_commendation_notice_notifies_each_nominees_members(world) -> None:
    _seed, found = await _ranked_round(world)
    nominee = await Nomination.filter(round_id=found.id, status="nominee").order_by("id").first()
    assert nominee is not None
    member = await make_user(
        "participant_member", "nominee_member", participant=nominee.participant_id
    )
    monday = date(2026, 11, 30)
    await publish_notice(actor=None, round_id=found.id, start=monday, today=monday, system=True)
    [note] = await Notification.filter(user_id=member.id)
    assert note.kind == "commendation_notice" and note.link == f"/commendation/{found.id}"
    assert note.params["participant"] == nominee.public_name
    assert note.params["notice_start"] == "2026-11-30"
