"""Recording a donation without a pledge: the officer finds the need and the donor by name (a
search with a list of results to pick from, working without JavaScript as a two-step form),
and a refused form gives every error at once, keeping what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fupin.core.clock import today_cn
from fupin.errors import InvalidInput
from fupin.money.models import Donation
from fupin.money.service import donations, queries
from tests.money.support import build_money, make_need
from tests.support.world import CSRF


@pytest.mark.both_databases
async def test_needs_are_found_by_title_village_or_number_within_the_recipients_area(
    world,
) -> None:
    m = await build_money(world)
    elsewhere = await make_need(world.other_village, title="村道硬化工程（外县）")
    closed = await make_need(world.village, title="村道硬化工程（已结项）", state="closed")
    found = {n.id for n in await queries.donation_need_choices(m.county_gov, "村道")}
    assert m.need.id in found
    assert elsewhere.id not in found  # another county: not the county government's to record
    assert closed.id not in found  # no money is recorded for a closed need
    by_village = await queries.donation_need_choices(m.county_gov, world.village.name)
    assert m.need.id in {n.id for n in by_village}
    assert [n.id for n in await queries.donation_need_choices(m.county_gov, str(m.need.id))] == [
        m.need.id
    ]
    # a public-welfare organisation receives for any need
    anywhere = {n.id for n in await queries.donation_need_choices(m.foundation, "村道")}
    assert {m.need.id, elsewhere.id} <= anywhere
    assert await queries.donation_need_choices(m.county_gov, "  ") == []


@pytest.mark.both_databases
async def test_donors_are_found_by_name_or_credit_code(world) -> None:
    enterprise = world.participants["enterprise"]
    assert enterprise.id in {p.id for p in await queries.donor_choices(enterprise.name[:3])}
    if enterprise.uscc:
        assert [p.id for p in await queries.donor_choices(enterprise.uscc)] == [enterprise.id]
    assert await queries.donor_choices("没有这样的参与方") == []


async def test_the_service_gives_every_input_error_at_once(world) -> None:
    m = await build_money(world)
    with pytest.raises(InvalidInput) as refused:
        await donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            amount_fen=0,
            received_on=today_cn() + timedelta(days=3),
            payment_reference="x" * 65,
        )
    assert {e.field for e in refused.value.errors} == {
        "amount_fen",
        "received_on",
        "payment_reference",
        "need_id",
        "donor_id",
    }
    assert await Donation.all().count() == 0


def _radios(page: str, name: str) -> dict[str, bool]:
    """value → checked, of the radio buttons named ``name``."""
    return {
        m.group(1): "checked" in m.group(0)
        for m in re.finditer(rf'<input type="radio" name="{name}" value="(\d+)"[^>]*>', page)
    }


async def test_the_officer_picks_the_need_and_the_donor_by_name_and_records(
    client_as, world
) -> None:
    m = await build_money(world)
    donor = world.participants["individual"]
    officer = client_as("county_officer")
    form = await officer.get(f"/donations/new?org={m.county_gov.id}")
    assert form.status_code == 200
    assert 'name="need_q"' in form.text and 'name="donor_q"' in form.text
    assert 'name="need_id" value=""' not in form.text  # no id to type
    typed = {
        "csrf_token": CSRF,
        "org": str(m.county_gov.id),
        "idempotency_key": "k" * 20,
        "amount": "1200.50",
        "received_on": today_cn().isoformat(),
        "kind": "cash",
        "payment_reference": "流水 0001",
    }
    # step one: find the need (nothing is recorded, everything typed stays)
    step = await officer.post("/donations", data={**typed, "need_q": "村道", "find": "need"})
    assert step.status_code == 200
    assert str(m.need.id) in _radios(step.text, "need_id")
    assert 'value="1200.50"' in step.text and 'value="流水 0001"' in step.text
    # step two: pick it, find the donor
    step = await officer.post(
        "/donations",
        data={**typed, "need_id": str(m.need.id), "donor_q": donor.name, "find": "donor"},
    )
    assert _radios(step.text, "need_id") == {str(m.need.id): True}  # the pick is kept
    assert str(donor.id) in _radios(step.text, "donor_id")
    assert await Donation.all().count() == 0
    # record
    done = await officer.post(
        "/donations", data={**typed, "need_id": str(m.need.id), "donor_id": str(donor.id)}
    )
    assert done.status_code == 303, done.text[:500]
    donation = await Donation.get()
    assert (donation.need_id, donation.donor_id, donation.amount_fen) == (
        m.need.id,
        donor.id,
        120050,
    )


async def test_a_refused_donation_form_shows_every_error_at_once(client_as, world) -> None:
    m = await build_money(world)
    response = await client_as("county_officer").post(
        "/donations",
        data={
            "csrf_token": CSRF,
            "org": str(m.county_gov.id),
            "amount": "500",
            "received_on": (today_cn() + timedelta(days=5)).isoformat(),
            "kind": "cash",
            "need_q": "村道",
            "note": "月底到账",
        },
    )
    assert response.status_code == 422
    page = response.text
    for field in ("received_on", "need_q", "donor_q"):
        assert f'id="error-{field}"' in page, field
    assert "月底到账" in page and 'value="500"' in page
    # the search words found the need again: it can be picked on this very page
    assert str(m.need.id) in _radios(page, "need_id")
    assert await Donation.all().count() == 0
