"""The matching forms validate through the API's schemas (core.schemas.validate_form): the
invite form, the "not for us" button and the inbox's answer buttons refuse a value of the wrong
type or a missing field naming it, ignore fields they do not have, and write nothing."""

from __future__ import annotations

from fupin.matching.models import Invitation, NotForUs
from fupin.matching.service import invitations
from tests.matching.support import actor, need
from tests.support.world import CSRF


async def test_invite_form_names_each_bad_field_and_writes_nothing(world, client_as) -> None:
    target = await need(world.village)
    client = client_as("county_officer")
    url = f"/needs/{target.id}/invitations"
    wrong = await client.post(url, data={"csrf_token": CSRF, "participant_id": "abc"})
    assert wrong.status_code == 422 and "字段必须是整数。" in wrong.text
    several = await client.post(url, data={"csrf_token": CSRF, "message": "长" * 501})
    assert several.status_code == 422
    assert "<strong>participant_id</strong>：缺少必填字段。" in several.text
    assert "<strong>message</strong>：不能超过 500 个字符。" in several.text
    assert await Invitation.all().count() == 0
    ok = await client.post(
        url,
        data={
            "csrf_token": CSRF,
            "participant_id": str(world.participants["enterprise"].id),
            "need_id": "999999",  # not a field of the form: the need is the page's
        },
    )
    assert ok.status_code == 303
    assert [i.need_id for i in await Invitation.all()] == [target.id]


async def test_not_for_us_button_refuses_a_reason_too_long(world, client_as) -> None:
    target = await need(world.village)
    client = client_as("participant_member")
    url = f"/me/recommendations/{target.id}/not-for-us"
    refused = await client.post(url, data={"csrf_token": CSRF, "reason": "长" * 201})
    assert refused.status_code == 422 and "不能超过 200 个字符。" in refused.text
    assert await NotForUs.all().count() == 0
    ok = await client.post(url, data={"csrf_token": CSRF, "reason": "不在范围", "extra": "1"})
    assert ok.status_code == 303
    assert [m.reason for m in await NotForUs.all()] == ["不在范围"]


async def test_inbox_answer_refuses_an_unknown_or_missing_answer(world, client_as) -> None:
    target = await need(world.village)
    sent = await invitations.send_invitation(
        await actor(world, "county_officer"),
        need_id=target.id,
        participant_id=world.participants["enterprise"].id,
    )
    client = client_as("participant_member")
    url = f"/me/inbox/{sent.id}/respond"
    maybe = await client.post(url, data={"csrf_token": CSRF, "response": "maybe"})
    assert maybe.status_code == 422 and "不是可选的取值：maybe" in maybe.text
    missing = await client.post(url, data={"csrf_token": CSRF})
    assert missing.status_code == 422 and "缺少必填字段。" in missing.text
    assert (await Invitation.get(id=sent.id)).response == ""
    ok = await client.post(url, data={"csrf_token": CSRF, "response": "interested"})
    assert ok.status_code == 303
    assert (await Invitation.get(id=sent.id)).response == "interested"
