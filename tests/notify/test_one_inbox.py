"""/me/notifications is the participant's one inbox: every kind of notice, filtered by kind with
counts, unread first, read one at a time or all (of a filter); the navigation has one entry
for it with the unread count, and the invitation page is reached from it, not from the
navigation."""

from __future__ import annotations

import re

import pytest

from fupin.accounts.service import users as accounts
from fupin.notify.models import Notification
from fupin.notify.rules import FILTERS, KINDS, filter_kinds, filter_of
from fupin.notify.service import inbox as notifications
from tests.support.world import CSRF, World

H = {"X-CSRF-Token": CSRF}


def test_every_kind_is_under_exactly_one_filter() -> None:
    listed = [kind for _label, kinds in FILTERS.values() for kind in kinds]
    assert sorted(listed) == sorted(KINDS)
    assert all(kind in filter_kinds(filter_of(kind)) for kind in KINDS)  # type: ignore[operator]
    assert filter_kinds("nonsense") is None and filter_kinds(None) is None


async def _fill(world: World) -> dict[str, Notification]:
    """A member's inbox: an old unread invitation, a read progress update, an unread donation."""
    user_id = world.users["participant_member"].id
    made = {}
    for kind, params, link in (
        (
            "invitation",
            {"office": "广南县扶贫办", "need_title": "石门村饮水工程", "message": ""},
            "/me/inbox",
        ),
        (
            "need_progress",
            {"need_title": "石门村饮水工程", "summary": "开工：施工队进场。"},
            "/needs/1#progress",
        ),
        (
            "donation_confirmed",
            {"amount": "¥100.00", "recipient": "广南县", "need_title": "路"},
            "/donations/1",
        ),
    ):
        [made[kind]] = await notifications.notify(
            kind, user_ids=[user_id], params=params, link=link
        )
    await Notification.filter(id=made["need_progress"].id).update(
        read_at=made["invitation"].created_at
    )
    return made


def _nav(page: str) -> str:
    return page.split("<nav", 1)[1].split("</nav>", 1)[0]


@pytest.mark.both_databases
async def test_the_one_inbox_filters_by_kind_unread_first(world, client_as) -> None:
    made = await _fill(world)
    member = await accounts.actor_for(world.users["participant_member"])
    listing = await notifications.inbox(member)
    # unread first (newest first among them), then the read one
    assert [i.kind for i in listing.items] == ["donation_confirmed", "invitation", "need_progress"]
    counts = {f.key: (f.total, f.unread) for f in listing.filters}
    assert counts == {
        "need_progress": (1, 0),
        "invitation": (1, 1),
        "money": (1, 1),
        "other": (0, 0),
    }
    only = await notifications.inbox(member, kind="money")
    assert [i.id for i in only.items] == [made["donation_confirmed"].id] and only.total == 1
    # marking all of one filter read leaves the others
    assert await notifications.mark_all_read(member, kind="money") == 1
    assert await notifications.unread_count(member) == 1

    client = client_as("participant_member")
    page = await client.get("/me/notifications?kind=invitation")
    assert page.status_code == 200
    # the invitation is answered on /me/inbox, reached from here (the notice and the filter)
    assert 'href="/me/inbox"' in page.text.split("</nav>", 1)[1]
    assert f'data-notification-id="{made["invitation"].id}"' in page.text
    assert f'data-notification-id="{made["need_progress"].id}"' not in page.text
    nav = _nav(page.text)
    assert 'href="/me/inbox"' not in nav and 'href="/me/updates"' not in nav
    assert nav.count('href="/me/notifications"') == 1
    assert re.search(r'data-unread="1"', nav)
    everything = await client.post(
        "/me/notifications/read-all", data={"csrf_token": CSRF, "kind": "invitation"}
    )
    assert everything.status_code == 303
    assert everything.headers["location"] == "/me/notifications?kind=invitation"
    after = await client.get("/me/notifications")
    assert "data-unread" not in _nav(after.text)
    # an unknown filter is no filter: an old or mistyped link still opens the inbox
    assert (await client.get("/me/notifications?kind=nonsense")).text.count(
        "data-notification-id="
    ) == 3


async def test_the_notifications_api_lists_filters_and_marks_read(world, client_as) -> None:
    made = await _fill(world)
    client = client_as("participant_member")
    listed = (await client.get("/api/v1/me/notifications")).json()
    assert [i["kind"] for i in listed["items"]] == [
        "donation_confirmed",
        "invitation",
        "need_progress",
    ]
    assert listed["unread"] == 2 and listed["kind"] is None
    assert {f["key"] for f in listed["filters"]} == set(FILTERS)
    invitations = (await client.get("/api/v1/me/notifications?kind=invitation")).json()
    assert [i["id"] for i in invitations["items"]] == [made["invitation"].id]
    assert invitations["items"][0]["link"] == "/me/inbox"
    one = await client.post(f"/api/v1/me/notifications/{made['invitation'].id}/read", headers=H)
    assert one.json() == {"marked": 1}
    theirs = await client_as("other_participant_member").post(
        f"/api/v1/me/notifications/{made['donation_confirmed'].id}/read", headers=H
    )
    assert theirs.status_code == 404
    rest = await client.post("/api/v1/me/notifications/read?kind=money", headers=H)
    assert rest.json() == {"marked": 1}
    assert (await client.get("/api/v1/me/notifications?unread=true")).json()["total"] == 0
    assert (await client.get("/api/v1/me/notifications?kind=bogus")).status_code == 422
