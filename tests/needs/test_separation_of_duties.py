"""Separation of duties on a need (docs/security.md "Separation of duties"): the village side's
confirmation of receipt must come from someone independent of the county officer who recorded
the delivery — not an account that officer created. Reproduces the attack of the security
review through the real HTTP handlers: an officer creates a village-worker account, records a
delivery, activates the account through its link, logs in as it and confirms his own delivery."""

from __future__ import annotations

import re

import httpx
import pytest

from fupin.accounts.models import User
from fupin.core.models import AuditLog
from fupin.needs.models import Need, NeedEvent
from tests.needs.support import make_need, png_bytes
from tests.support.world import CSRF, World, make_user

PASSWORD = "石门村-验收-2026-独立"


async def _create_worker(officer: httpx.AsyncClient, world: World, username: str) -> str:
    """The officer creates a village-worker account on the admin form; the one-time link."""
    created = await officer.post(
        "/admin/users",
        data={
            "csrf_token": CSRF,
            "username": username,
            "display_name": username,
            "role": "village_worker",
            "region_code": world.village.code,
        },
    )
    assert created.status_code == 200, created.text
    return re.search(r"<code>https?://[^/]+(/set-password/[^<]+)</code>", created.text).group(1)


async def _activate_and_log_in(browser: httpx.AsyncClient, link: str, username: str) -> str:
    """Set the password through the link, log in on the login form; the new session's CSRF."""
    done = await browser.post(
        link, data={"csrf_token": CSRF, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert done.status_code == 303, done.text
    form = await browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    logged_in = await browser.post(
        "/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    assert logged_in.status_code == 303, logged_in.text
    page = await browser.get("/account")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def _deliver(officer: httpx.AsyncClient, world: World) -> Need:
    need = await make_need(world, "in_progress")
    upload = await officer.post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "evidence"},
        files={"file": ("验收.png", png_bytes(), "image/png")},
    )
    assert upload.status_code == 303
    delivered = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "deliver", "reason": "蓄水池已建成"},
    )
    assert delivered.status_code == 303
    return need


@pytest.mark.both_databases
async def test_a_worker_the_delivering_officer_created_cannot_confirm_his_delivery(
    world, client_as
) -> None:
    officer = client_as("county_officer")
    link = await _create_worker(officer, world, "shimen_puppet")
    need = await _deliver(officer, world)
    puppet = client_as(None)
    csrf = await _activate_and_log_in(puppet, link, "shimen_puppet")
    # The page offers no button it would refuse, and the form is refused with the reason.
    page = await puppet.get(f"/needs/{need.id}")
    assert page.status_code == 200 and 'value="confirm_receipt"' not in page.text
    refused = await puppet.post(
        f"/needs/{need.id}/transition", data={"csrf_token": csrf, "action": "confirm_receipt"}
    )
    assert refused.status_code == 409 and "不能由登记交付的人或其创建的账号确认" in refused.text
    api = await puppet.post(
        f"/api/v1/needs/{need.id}/transitions",
        json={"action": "confirm_receipt"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "two_person_rule"
    assert (await Need.get(id=need.id)).state == "completed"
    assert not await NeedEvent.filter(need_id=need.id, action="confirm_receipt").exists()
    puppet_user = await User.get(username="shimen_puppet")
    refusals = await AuditLog.filter(action="need.two_person_refused", object_id=str(need.id))
    assert len(refusals) == 2 and all(r.actor_id == puppet_user.id for r in refusals)
    assert refusals[0].after["performed_by"] == world.users["county_officer"].id
    # The officer himself may not confirm either (the village side confirms).
    own = await officer.post(
        f"/api/v1/needs/{need.id}/transitions",
        json={"action": "confirm_receipt"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert own.status_code == 403
    # An independent village worker confirms.
    independent = client_as("village_worker")
    assert 'value="confirm_receipt"' in (await independent.get(f"/needs/{need.id}")).text
    confirmed = await independent.post(
        f"/needs/{need.id}/transition", data={"csrf_token": CSRF, "action": "confirm_receipt"}
    )
    assert confirmed.status_code == 303 and (await Need.get(id=need.id)).state == "closed"


@pytest.mark.both_databases
async def test_a_worker_created_by_another_officer_confirms_a_delivery(world, client_as) -> None:
    """Two officers of one county: a worker the other one created is independent of the
    deliverer (siblings are not the rule; only the creator and the account itself are)."""
    colleague = await make_user("county_officer", "guangnan_colleague", region="532627")
    worker = await make_user("village_worker", "shimen_worker2", region=world.village.code)
    await User.filter(id=worker.id).update(created_by_id=colleague.id)
    need = await _deliver(client_as("county_officer"), world)
    world.users["shimen_worker2"] = await User.get(id=worker.id)
    confirmed = await client_as("shimen_worker2").post(
        f"/api/v1/needs/{need.id}/transitions",
        json={"action": "confirm_receipt"},
        headers={"X-CSRF-Token": CSRF},
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "closed"
