"""Pledges that block others (docs/security.md "Pledges that block others"): a pledge may not be
due after the need's deadline (unless the county extended it), a per-pledge cap holds for
individuals and for participants without a confirmed donation, and the county releases a
pledge that blocks a need. Reproduces the review's finding: an individual pledged the whole
¥232,100 of a need due 2026-12-29 with a due date in 2031, which flipped it to funded and
refused every other donor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.core.models import AuditLog
from fupin.money.models import Pledge, PledgeEvent
from fupin.money.rules.caps import PledgeCaps, pledge_cap
from fupin.money.service import donations, pledges
from fupin.needs.models import Need, NeedEvent
from tests.money.support import build_money, make_need
from tests.support.world import CSRF, make_user

H = {"X-CSRF-Token": CSRF}
TARGET = 232_100_00
DEADLINE = date(2026, 12, 29)


def _deadline() -> date:
    """The finding's deadline while it is ahead, else one three weeks ahead (the suite keeps
    running after 2026)."""
    return DEADLINE if today_cn() < DEADLINE else today_cn() + timedelta(days=23)


async def _squat_target(world) -> Need:  # type: ignore[no-untyped-def]
    need = await make_need(world.village, target_fen=TARGET, title="石门村饮水管网改造")
    await Need.filter(id=need.id).update(deadline=_deadline())
    return await Need.get(id=need.id)


@pytest.fixture
async def individual_member(world):  # type: ignore[no-untyped-def]
    user = await make_user(
        "participant_member", "individual_member", participant=world.participants["individual"].id
    )
    world.users["individual_member"] = user
    return user


def test_the_caps_rule_individuals_and_newcomers() -> None:
    caps = PledgeCaps(individual_fen=5_000_000, new_participant_fen=100_000_000)
    assert pledge_cap("individual", has_history=True, caps=caps) == 5_000_000
    assert pledge_cap("individual", has_history=False, caps=caps) == 5_000_000
    assert pledge_cap("enterprise", has_history=False, caps=caps) == 100_000_000
    assert pledge_cap("enterprise", has_history=True, caps=caps) is None
    # the helpers of cooperation pairs are not newcomers (docs/domain.md §3.3)
    assert pledge_cap("central_unit", has_history=False, caps=caps) is None
    assert pledge_cap("east_partner", has_history=False, caps=caps) is None
    assert pledge_cap("individual", has_history=False, caps=PledgeCaps(0, 0)) is None


@pytest.mark.both_databases
async def test_an_individual_cannot_squat_a_need_with_a_due_date_years_after_its_deadline(
    world, client_as, individual_member
) -> None:
    need = await _squat_target(world)
    squatter = client_as("individual_member")
    late = await squatter.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": TARGET, "due_date": "2031-06-30"},
        headers=H,
    )
    assert late.status_code == 422, late.text
    error = late.json()["error"]
    assert error["code"] == "after_deadline" and error["field"] == "due_date"
    # By the deadline, the whole amount is still too much for one individual (the cap).
    capped = await squatter.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": TARGET, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert capped.status_code == 409 and capped.json()["error"]["code"] == "pledge_cap"
    assert "¥50,000.00" in capped.json()["error"]["message"]
    fresh = await Need.get(id=need.id)
    assert fresh.pledged_fen == 0 and fresh.state == "published"
    # Within the cap and the deadline: taken.
    fine = await squatter.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": 50_000_00, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert fine.status_code == 201, fine.text
    # Splitting the promise into several pledges does not get round the cap.
    more = await squatter.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": 1_00, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert more.status_code == 409 and more.json()["error"]["code"] == "pledge_cap"
    # The page says the same.
    page = await squatter.post(
        "/pledges",
        data={
            "csrf_token": CSRF,
            "need_id": str(need.id),
            "amount": "1000",
            "due_date": "2031-06-30",
            "idempotency_key": "squat-form-key-0001",
        },
    )
    assert page.status_code == 422 and "截止日期" in page.text


@pytest.mark.both_databases
async def test_a_participant_without_confirmed_donations_is_capped_until_it_has_one(world) -> None:
    m = await build_money(world, target_fen=5_000_000_00)
    with pytest.raises(Exception) as caught:
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=1_000_000_01, due_date=m.need.deadline
        )
    assert getattr(caught.value, "code", None) == "pledge_cap"
    first = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10_000_00, due_date=m.need.deadline
    )
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=first.id,
        amount_fen=10_000_00,
        received_on=today_cn(),
    )
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    big = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=2_000_000_00, due_date=m.need.deadline
    )
    assert big.state == "pledged"


@pytest.mark.both_databases
async def test_the_county_releases_a_pledge_that_blocks_a_need(world, client_as) -> None:
    need = await _squat_target(world)
    squatter = client_as("participant_member")  # an enterprise: under the newcomers' cap
    made = await squatter.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": TARGET, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert made.status_code == 201
    pledge_id = made.json()["id"]
    assert (await Need.get(id=need.id)).state == "funded"
    other = client_as("other_participant_member")
    blocked = await other.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": 1_000_00, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert blocked.status_code == 409
    # Only the county of the need releases, with a reason.
    assert (
        await squatter.post(
            f"/api/v1/pledges/{pledge_id}/release", json={"reason": "占位"}, headers=H
        )
    ).status_code == 403
    assert (
        await client_as("other_county_officer").post(
            f"/api/v1/pledges/{pledge_id}/release", json={"reason": "占位"}, headers=H
        )
    ).status_code in (403, 404)
    officer = client_as("county_officer")
    no_reason = await officer.post(
        f"/api/v1/pledges/{pledge_id}/release", json={"reason": " "}, headers=H
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    released = await officer.post(
        f"/api/v1/pledges/{pledge_id}/release",
        json={"reason": "认捐方长期未联系，无法按期到账"},
        headers=H,
    )
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "withdrawn"
    fresh = await Need.get(id=need.id)
    assert fresh.pledged_fen == 0 and fresh.state == "published"
    event = await PledgeEvent.get(pledge_id=pledge_id, action="released")
    assert event.reason == "认捐方长期未联系，无法按期到账"
    assert event.actor_id == world.users["county_officer"].id
    assert await AuditLog.exists(action="pledge.release", object_id=str(pledge_id))
    # The pledger sees it, with the reason.
    seen = await squatter.get(f"/api/v1/pledges/{pledge_id}")
    assert any(
        e["action"] == "released" and e["reason"] == "认捐方长期未联系，无法按期到账"
        for e in seen.json()["events"]
    )
    page = await squatter.get(f"/pledges/{pledge_id}")
    assert "县扶贫办释放" in page.text and "认捐方长期未联系" in page.text
    # Others can pledge again.
    again = await other.post(
        "/api/v1/pledges",
        json={"need_id": need.id, "amount_fen": 1_000_00, "due_date": need.deadline.isoformat()},
        headers=H,
    )
    assert again.status_code == 201
    # Released once is released: a second release is refused by the table.
    twice = await officer.post(
        f"/api/v1/pledges/{pledge_id}/release", json={"reason": "再次"}, headers=H
    )
    assert twice.status_code == 409


@pytest.mark.both_databases
async def test_the_county_releases_on_the_pledge_page(world, client_as) -> None:
    m = await build_money(world, target_fen=TARGET)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=TARGET, due_date=m.need.deadline
    )
    officer = client_as("county_officer")
    page = await officer.get(f"/pledges/{pledge.id}")
    assert page.status_code == 200 and f'action="/pledges/{pledge.id}/release"' in page.text
    donor_page = await client_as("participant_member").get(f"/pledges/{pledge.id}")
    assert f'action="/pledges/{pledge.id}/release"' not in donor_page.text
    done = await officer.post(
        f"/pledges/{pledge.id}/release",
        data={"csrf_token": CSRF, "reason": "逾期未联系"},
    )
    assert done.status_code == 303
    assert (await Pledge.get(id=pledge.id)).state == "withdrawn"
    assert (await Need.get(id=m.need.id)).pledged_fen == 0


@pytest.mark.both_databases
async def test_the_county_extends_a_deadline_and_later_due_dates_are_then_accepted(
    world, client_as
) -> None:
    need = await _squat_target(world)
    later = need.deadline + timedelta(days=60)
    donor = client_as("participant_member")
    body = {"need_id": need.id, "amount_fen": 10_000_00, "due_date": later.isoformat()}
    assert (await donor.post("/api/v1/pledges", json=body, headers=H)).status_code == 422
    # Only the county, with a reason, to a later day.
    assert (
        await client_as("village_worker").post(
            f"/api/v1/needs/{need.id}/deadline",
            json={"deadline": later.isoformat(), "reason": "工期调整"},
            headers=H,
        )
    ).status_code == 403
    officer = client_as("county_officer")
    earlier = await officer.post(
        f"/api/v1/needs/{need.id}/deadline",
        json={"deadline": (need.deadline - timedelta(days=1)).isoformat(), "reason": "工期调整"},
        headers=H,
    )
    assert earlier.status_code == 422 and earlier.json()["error"]["field"] == "deadline"
    extended = await officer.post(
        f"/api/v1/needs/{need.id}/deadline",
        json={"deadline": later.isoformat(), "reason": "汛期施工推迟，延长募集期"},
        headers=H,
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["deadline"] == later.isoformat()
    assert (await Need.get(id=need.id)).deadline == later
    event = await NeedEvent.get(need_id=need.id, action="extend_deadline")
    assert "汛期施工推迟" in event.reason
    log = await AuditLog.get(action="need.extend_deadline", object_id=str(need.id))
    assert log.before["deadline"] == need.deadline.isoformat()
    assert log.after["deadline"] == later.isoformat()
    assert (await donor.post("/api/v1/pledges", json=body, headers=H)).status_code == 201
    # The page form does the same.
    page = await officer.get(f"/needs/{need.id}")
    assert f'action="/needs/{need.id}/deadline"' in page.text
    again = await officer.post(
        f"/needs/{need.id}/deadline",
        data={
            "csrf_token": CSRF,
            "deadline": (later + timedelta(days=7)).isoformat(),
            "reason": "再延一周",
        },
    )
    assert again.status_code == 303
    assert (await Need.get(id=need.id)).deadline == later + timedelta(days=7)


def test_the_caps_come_from_the_settings() -> None:
    from fupin.settings import Settings

    settings = Settings.from_env(
        {
            "FUPIN_PLEDGE_CAP_INDIVIDUAL_FEN": "100",
            "FUPIN_PLEDGE_CAP_NEW_PARTICIPANT_FEN": "0",
        }
    )
    assert settings.pledge_cap_individual_fen == 100
    assert settings.pledge_cap_new_participant_fen == 0
    assert Settings().pledge_cap_individual_fen == 50_000_00
    assert Settings().pledge_cap_new_participant_fen == 1_000_000_00
