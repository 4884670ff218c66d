"""Consent to be recommended and named in a commendation notice (docs/rules.md §5.4): the
participant gives and withdraws it on its account page and through the API, an anonymous donor
answers at pledge time, every change is audited with its date, offices see it, and the ranking
no longer excludes an anonymous donor who consented."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.accounts.models import Participant
from fupin.accounts.service import users as accounts
from fupin.accounts.service.participants import set_commendation_consent
from fupin.commendation.models import Nomination
from fupin.commendation.service.ranking import rank
from fupin.commendation.service.rounds import CategoryInput, create_round
from fupin.core.models import AuditLog
from fupin.money.service import pledges
from tests.money.support import build_money, due
from tests.support.world import CSRF, make_user
from tests.tax.builders import seed_round_world


@pytest.mark.both_databases
async def test_consent_on_the_account_page_is_audited_dated_and_seen_by_offices(
    client_as, world
) -> None:
    pid = world.participants["enterprise"].id
    member = client_as("participant_member")
    page = await member.get("/account")
    assert "同意被推荐和公示" in page.text and "不同意被推荐和公示" in page.text
    given = await member.post(
        "/account/commendation-consent", data={"csrf_token": CSRF, "consent": "yes"}
    )
    assert given.status_code == 303
    row = await Participant.get(id=pid)
    assert row.commendation_opt_in is True and row.commendation_consent_at is not None
    logged = await AuditLog.filter(
        action="participant.commendation_consent", object_id=str(pid)
    ).first()
    assert logged is not None and logged.after["commendation_opt_in"] is True
    assert logged.after["commendation_consent_at"]

    office = client_as("national_admin")
    profile = await office.get(f"/participants/{pid}")
    assert "表彰推荐与公示" in profile.text and "同意" in profile.text
    api = await office.get(f"/api/v1/participants/{pid}")
    assert api.json()["commendation_opt_in"] is True
    assert api.json()["commendation_consent_at"]
    # the public directory does not say it
    public = await client_as(None).get(f"/api/v1/participants/{pid}")
    assert "commendation_opt_in" not in public.json()

    withdrawn = await member.put(
        f"/api/v1/participants/{pid}/commendation-consent",
        json={"consent": False},
        headers={"X-CSRF-Token": CSRF},
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["commendation_opt_in"] is False
    assert await AuditLog.filter(action="participant.commendation_consent").count() == 2


async def test_only_the_participants_own_members_decide_its_consent(client_as, world) -> None:
    pid = world.participants["enterprise"].id
    for key in ("national_admin", "other_participant_member", "auditor"):
        refused = await client_as(key).put(
            f"/api/v1/participants/{pid}/commendation-consent",
            json={"consent": True},
            headers={"X-CSRF-Token": CSRF},
        )
        assert refused.status_code == 403, key
    assert (await Participant.get(id=pid)).commendation_opt_in is False


@pytest.mark.both_databases
async def test_an_anonymous_donor_is_asked_at_pledge_time_and_then_ranked(world) -> None:
    money = await build_money(world)
    pid = world.participants["enterprise"].id
    await pledges.make_pledge(
        actor=money.donor,
        need_id=money.need.id,
        amount_fen=1000,
        due_date=due(),
        anonymous=True,
        commendation_consent=True,
    )
    row = await Participant.get(id=pid)
    assert row.commendation_opt_in is True
    logged = await AuditLog.get(action="participant.commendation_consent")
    assert logged.after["via"] == "pledge"

    # a named pledge does not touch the answer; an anonymous one saying "anonymity applies" does
    await pledges.make_pledge(
        actor=money.donor,
        need_id=money.need.id,
        amount_fen=1000,
        due_date=due(),
        anonymous=False,
        commendation_consent=False,
    )
    assert (await Participant.get(id=pid)).commendation_opt_in is True
    await pledges.make_pledge(
        actor=money.donor,
        need_id=money.need.id,
        amount_fen=1000,
        due_date=due(),
        anonymous=True,
        commendation_consent=False,
    )
    assert (await Participant.get(id=pid)).commendation_opt_in is False


async def test_the_pledge_form_asks_an_anonymous_donor(client_as, world) -> None:
    money = await build_money(world)
    form = await client_as("participant_member").get(f"/pledges/new?need_id={money.need.id}")
    assert 'name="commendation_consent"' in form.text
    assert "匿名是否也适用于五年社会扶贫表彰" in form.text


@pytest.mark.both_databases
async def test_ranking_excludes_an_anonymous_donor_only_without_consent(world) -> None:
    await seed_round_world(world)
    first = await create_round(
        actor=None,
        title="2021–2025 社会扶贫表彰",
        first_year=2021,
        last_year=2025,
        categories=[CategoryInput(award_type="dedication", scope="collective", quota=10)],
        system=True,
    )
    await rank(actor=None, round_id=first.id, system=True, today=date(2026, 11, 29))
    excluded = {
        n.participant_id
        for n in await Nomination.filter(round_id=first.id)
        if any(r["code"] == "excluded_anonymous_without_opt_in" for r in n.reasons)
    }
    assert excluded, "the seed has an anonymous donor without consent"
    anonymous = await Participant.get(name="匿名未同意企业")
    assert anonymous.id in excluded
    member = await accounts.actor_for(
        await make_user("participant_member", "anon_member", participant=anonymous.id)
    )
    await set_commendation_consent(actor=member, participant_id=anonymous.id, consent=True)
    await rank(actor=None, round_id=first.id, system=True, today=date(2026, 11, 29))
    again = await Nomination.get(round_id=first.id, participant_id=anonymous.id)
    assert not any(r["code"] == "excluded_anonymous_without_opt_in" for r in again.reasons)
