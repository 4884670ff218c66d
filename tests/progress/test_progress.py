"""Progress after funding: updates posted by the need's county officers and village workers,
audited and permission-checked per the need's place, shown on the need page in order with the
delivery steps already recorded, and told to every pledger, donor and follower once: a
need_progress notification in the one inbox (/me/notifications)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fupin.accounts.models import User
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.core.policy import Actor
from fupin.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from fupin.money.service import donations, pledges
from fupin.needs.models import NeedEvent
from fupin.notify.models import Notification
from fupin.notify.service import inbox as notifications
from fupin.progress import service
from fupin.progress.models import NeedFollow, NeedUpdate, NeedUpdatePhoto
from tests.money.support import WAN, Money, actor, build_money, due, make_need
from tests.needs.support import png_bytes
from tests.support.world import CSRF, World, make_user

H = {"X-CSRF-Token": CSRF}
MAX = 10 * 1024 * 1024


async def _audience(world: World) -> Money:
    """A need with a pledger, a donor without a pledge, a follower and a pledger who withdrew."""
    m = await build_money(world)
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due())
    giver = world.participants["individual"]
    await make_user("participant_member", "giver", participant=giver.id)
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        need_id=m.need.id,
        donor_id=giver.id,
        amount_fen=WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await service.follow(m.other_donor, m.need.id)  # social_org follows
    quitter = await accounts.actor_for(
        await make_user(
            "participant_member", "quitter", participant=world.participants["military"].id
        )
    )
    gone = await pledges.make_pledge(
        actor=quitter, need_id=m.need.id, amount_fen=WAN, due_date=due()
    )
    await pledges.withdraw_pledge(actor=quitter, pledge_id=gone.id, reason="预算调整")
    return m


@pytest.mark.both_databases
async def test_an_update_reaches_every_pledger_donor_and_follower_and_is_audited(
    world, tmp_path: Path
) -> None:
    m = await _audience(world)
    update = await service.post_update(
        m.officer,
        m.need.id,
        kind="started",
        text="施工队已进场，开始路基施工。",
        photos=[service.PhotoUpload(png_bytes(), "现场.png")],
        attachments_dir=tmp_path,
        max_bytes=MAX,
    )
    # each member of them gets a notification of their own (notify: in-app by default), the
    # only record of it in their inbox
    told = await Notification.filter(kind="need_progress").values_list("user_id", "link")
    reached = set(
        await User.filter(id__in=[u for u, _ in told]).values_list("participant_id", flat=True)
    )
    assert reached == {
        world.participants["enterprise"].id,  # pledger
        world.participants["individual"].id,  # donor without a pledge
        world.participants["social_org"].id,  # follower
    }  # not the participant that withdrew its only pledge
    members = set(
        await User.filter(participant_id__in=reached, is_active=True).values_list("id", flat=True)
    )
    assert sorted(u for u, _ in told) == sorted(members)  # one each
    assert {link for _, link in told} == {f"/needs/{m.need.id}#progress"}
    photo = await NeedUpdatePhoto.get(update_id=update.id)
    assert (tmp_path / photo.sha256[:2] / photo.sha256).is_file()
    log = await AuditLog.get(action="need.post_update", object_id=str(m.need.id))
    assert log.after["update_id"] == update.id and log.after["notified"] == 3
    # the follower's inbox, under progress, then read
    inbox = await notifications.inbox(m.other_donor, kind="need_progress")
    assert (inbox.total, inbox.unread) == (1, 1)
    item = inbox.items[0]
    assert item.params["need_id"] == m.need.id and item.params["update_id"] == update.id
    assert item.params["update_kind"] == "started" and "开工" in item.body
    assert await notifications.mark_read(m.other_donor, item.id) == 1
    assert (await notifications.inbox(m.other_donor)).unread == 0
    # another participant's notification is not found for this one
    theirs = await Notification.get(
        kind="need_progress", user__participant_id=world.participants["enterprise"].id
    )
    with pytest.raises(NotFound):
        await notifications.mark_read(m.other_donor, theirs.id)


@pytest.mark.both_databases
async def test_who_may_post_follows_the_needs_county_and_village(world, tmp_path: Path) -> None:
    m = await build_money(world)

    async def post(who: Actor, need_id: int) -> None:
        await service.post_update(
            who,
            need_id,
            kind="delivered",
            text="物资已运到村委会。",
            attachments_dir=tmp_path,
            max_bytes=MAX,
        )

    await post(await actor(world, "village_worker"), m.need.id)
    for key in (
        "other_county_officer",
        "other_village_worker",
        "participant_member",
        "province_office",
    ):
        with pytest.raises(PermissionDenied):
            await post(await actor(world, key), m.need.id)
    draft = await make_need(world.village, state="draft", title="草稿需求")
    with pytest.raises(InvalidTransition):
        await post(m.officer, draft.id)
    assert await NeedUpdate.filter(need_id=m.need.id).count() == 1


async def test_every_error_of_an_update_is_given_at_once(world, tmp_path: Path) -> None:
    m = await build_money(world)
    with pytest.raises(InvalidInput) as refused:
        await service.post_update(
            m.officer,
            m.need.id,
            kind="finished",
            text="  ",
            photos=[service.PhotoUpload(b"not an image", "a.png")],
            attachments_dir=tmp_path,
            max_bytes=MAX,
        )
    assert {e.field for e in refused.value.errors} == {"kind", "text", "photos"}
    assert await NeedUpdate.all().count() == 0


async def test_following_is_idempotent_and_for_donors_only(world) -> None:
    m = await build_money(world)
    assert await service.follow(m.donor, m.need.id) is True
    assert await service.follow(m.donor, m.need.id) is True
    assert await NeedFollow.filter(need_id=m.need.id).count() == 1
    assert await service.is_following(m.donor, m.need.id)
    assert await service.unfollow(m.donor, m.need.id) is False
    assert not await service.is_following(m.donor, m.need.id)
    with pytest.raises(PermissionDenied):
        await service.follow(m.officer, m.need.id)
    draft = await make_need(world.village, state="draft", title="草稿需求")
    with pytest.raises(NotFound):  # a need the donor may not see
        await service.follow(m.donor, draft.id)


async def test_the_need_page_shows_updates_and_deliveries_in_order(client_as, world) -> None:
    m = await _audience(world)
    officer = client_as("county_officer")
    form = await officer.get(f"/needs/{m.need.id}/updates/new")
    assert form.status_code == 200 and 'name="kind"' in form.text
    posted = await officer.post(
        f"/needs/{m.need.id}/updates",
        data={"csrf_token": CSRF, "kind": "started", "text": "开工了，路基施工。"},
        files={"photos": ("site.png", png_bytes(), "image/png")},
    )
    assert posted.status_code == 303, posted.text[:300]
    # A delivery the need's lifecycle recorded after it, and the update's time before it.
    await NeedUpdate.filter(need_id=m.need.id).update(
        created_at=datetime.now(UTC) - timedelta(days=2)
    )
    await NeedEvent.create(
        need_id=m.need.id,
        action="deliver",
        from_state="in_progress",
        to_state="completed",
        actor_role="county_officer",
        reason="水泥 200 吨已交付。",
    )
    page = await client_as(None).get(f"/needs/{m.need.id}")
    section = page.text[page.text.index('id="progress"') :]
    section = section[: section.index("</section>")]
    assert section.index("开工了，路基施工。") < section.index("水泥 200 吨已交付。")
    assert re.search(r'<img src="/needs/\d+/updates/\d+/photos/\d+" alt="[^"]+"', section)
    photo_url = re.search(r'src="(/needs/\d+/updates/\d+/photos/\d+)"', section).group(1)  # type: ignore[union-attr]
    photo = await client_as(None).get(photo_url)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.headers["content-security-policy"] == "default-src 'none'"
    # the follow button is for donors; the update button for the need's officers
    assert "/updates/new" in (await officer.get(f"/needs/{m.need.id}")).text
    assert "/updates/new" not in page.text and "/follow" not in page.text


async def test_a_refused_update_form_keeps_its_input(client_as, world) -> None:
    m = await build_money(world)
    response = await client_as("county_officer").post(
        f"/needs/{m.need.id}/updates", data={"csrf_token": CSRF, "kind": "", "text": "只写了说明"}
    )
    assert response.status_code == 422
    assert 'id="error-kind"' in response.text and "只写了说明" in response.text


def _nav_unread(page: str) -> int:
    """The count beside the one inbox in the navigation (0: no count shown)."""
    nav = page.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert nav.count('href="/me/notifications"') == 1, "one inbox entry"
    found = re.search(r'data-unread="(\d+)"', nav)
    return int(found.group(1)) if found else 0


@pytest.mark.both_databases
async def test_a_follower_gets_one_item_per_update_in_the_one_inbox_and_reads_it(
    client_as, world, tmp_path: Path
) -> None:
    m = await build_money(world)
    donor = client_as("other_participant_member")
    page = await donor.get(f"/needs/{m.need.id}")
    assert f'action="/needs/{m.need.id}/follow"' in page.text
    followed = await donor.post(f"/needs/{m.need.id}/follow", data={"csrf_token": CSRF})
    assert followed.status_code == 303
    assert f'action="/needs/{m.need.id}/unfollow"' in (await donor.get(f"/needs/{m.need.id}")).text
    before = _nav_unread((await donor.get("/me/notifications")).text)
    update = await service.post_update(
        m.officer, m.need.id, kind="accepted", text="村民代表验收合格。",
        attachments_dir=tmp_path, max_bytes=MAX,
    )  # fmt: skip
    # exactly one item for the one update, in the one store
    mine = await Notification.filter(user__participant_id=world.participants["social_org"].id)
    assert [(n.kind, n.params["update_id"]) for n in mine] == [("need_progress", update.id)]
    inbox = await donor.get("/me/notifications")
    assert inbox.text.count("村民代表验收合格。") == 1 and "已验收" in inbox.text
    assert _nav_unread(inbox.text) == before + 1
    progress = await donor.get("/me/notifications?kind=need_progress")
    assert progress.text.count(f'data-notification-id="{mine[0].id}"') == 1
    assert f'href="/needs/{m.need.id}#progress"' in progress.text
    assert f'data-need="{m.need.id}"' in progress.text  # among the followed needs
    # the kind filter counts it
    assert re.search(r'data-kind="need_progress">[^<]*<span class="count">\(1, ', progress.text)
    read = await donor.post(
        f"/me/notifications/{mine[0].id}/read",
        data={"csrf_token": CSRF, "kind": "need_progress"},
    )
    assert read.status_code == 303
    assert read.headers["location"] == "/me/notifications?kind=need_progress"
    after = await donor.get(read.headers["location"])
    assert _nav_unread(after.text) == before
    assert (await Notification.get(id=mine[0].id)).read_at is not None
    # the old update inbox's links keep working: permanently moved to the progress filter
    for who in (donor, client_as(None)):
        moved = await who.get("/me/updates")
        assert moved.status_code in (301, 308)
        assert moved.headers["location"] == "/me/notifications?kind=need_progress"
    # the invitation page is for answering invitations: no second copy of the progress there
    assert "村民代表验收合格。" not in (await donor.get("/me/inbox")).text
    unfollowed = await donor.post(f"/needs/{m.need.id}/unfollow", data={"csrf_token": CSRF})
    assert unfollowed.status_code == 303
    assert not await service.is_following(m.other_donor, m.need.id)


async def test_the_progress_api(client_as, world) -> None:
    m = await _audience(world)
    officer = client_as("county_officer")
    created = await officer.post(
        f"/api/v1/needs/{m.need.id}/updates",
        json={"kind": "progress", "text": "路面浇筑完成一半。"},
        headers=H,
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind_label"] == "进展" and created.json()["author"] == "县扶贫办"
    refused = await client_as("other_county_officer").post(
        f"/api/v1/needs/{m.need.id}/updates", json={"kind": "progress", "text": "x"}, headers=H
    )
    assert refused.status_code == 403
    listed = await client_as(None).get(f"/api/v1/needs/{m.need.id}/updates")
    assert [u["text"] for u in listed.json()["items"]] == ["路面浇筑完成一半。"]
    donor = client_as("participant_member")
    assert (await donor.put(f"/api/v1/needs/{m.need.id}/follow", headers=H)).json() == {
        "need_id": m.need.id,
        "following": True,
    }
    notices = (await donor.get("/api/v1/me/notifications?kind=need_progress")).json()
    assert notices["unread"] == 1 and notices["total"] == 1
    item = notices["items"][0]
    assert item["kind"] == "need_progress" and "路面浇筑完成一半。" in item["body"]
    assert item["link"] == f"/needs/{m.need.id}#progress" and item["params"]["need_id"] == m.need.id
    assert {f["key"]: f["unread"] for f in notices["filters"]}["need_progress"] == 1
    one = item["id"]
    marked = await donor.post(f"/api/v1/me/notifications/{one}/read", headers=H)
    assert marked.json() == {"marked": 1}
    assert (await donor.post("/api/v1/me/notifications/read", headers=H)).json() == {"marked": 0}
    assert (await donor.get("/api/v1/me/updates")).status_code == 404  # moved to notifications
    gone = await donor.delete(f"/api/v1/needs/{m.need.id}/follow", headers=H)
    assert gone.json()["following"] is False
