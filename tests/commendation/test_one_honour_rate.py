"""One honour rate (docs/domain.md §3.5): one participant's pledges — one paid
early but due in 2027, one lapsed, one open and not yet due — give the same honoured / come-due
figure on /me, in the honour-rate API and table, on the pair dashboards of the window's years,
in the recommendations (likely donors, the donor profile) and in a 2021–2025 commendation round.
The round used to count only pledges *due* in its window, so the early payment dropped out."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.accounts.models import Pair
from fupin.accounts.service import users as accounts
from fupin.commendation.models import Nomination
from fupin.commendation.service.ranking import rank
from fupin.commendation.service.rounds import CategoryInput, create_round
from fupin.core.clock import today_cn
from fupin.matching.service import likely_donors, profiles
from fupin.money.service import donations, honour, pledges
from fupin.pairs.service.pair_dashboard import pair_dashboard
from tests.money.support import made_on
from tests.support.world import make_user
from tests.tax.builders import WAN, make_channels, make_need

pytestmark = pytest.mark.both_databases


async def _pledge(actor, need_id: int, *, made: date, due: date, pair_id: int, paid_on=None):  # type: ignore[no-untyped-def]
    pledge = await pledges.make_pledge(
        actor=actor, need_id=need_id, amount_fen=10 * WAN, due_date=due, pair_id=pair_id, today=made
    )
    await made_on(pledge, made)
    return pledge


async def test_one_participant_one_rate_on_every_surface(world, client_as) -> None:
    channels = await make_channels(world)
    unit = world.participants["central_unit"]
    user = await make_user("participant_member", "unit_rate_member", participant=unit.id)
    world.users["unit_member"] = user
    member = await accounts.actor_for(user)
    pair = await Pair.create(
        kind="designated",
        helper_id=unit.id,
        helped_region_id="532627",
        start_year=2021,
        period="2021-2025",
    )
    need = channels.targeted_need.id
    officer = channels.county_actor

    async def pay(pledge, day: date) -> None:  # type: ignore[no-untyped-def]
        await donations.record_donation(
            actor=officer,
            recipient_id=channels.government.id,
            pledge_id=pledge.id,
            amount_fen=10 * WAN,
            received_on=day,
            confirm=True,
        )

    early = await _pledge(
        member, need, made=date(2023, 1, 5), due=date(2027, 6, 30), pair_id=pair.id
    )
    await pay(early, date(2024, 3, 1))  # honoured in 2024, due only in 2027
    await _pledge(member, need, made=date(2023, 2, 1), due=date(2023, 6, 30), pair_id=pair.id)
    await pledges.lapse_overdue(today=date(2023, 7, 1))  # lapsed: come due, not honoured
    on_time = await _pledge(
        member, need, made=date(2024, 5, 1), due=date(2024, 12, 31), pair_id=pair.id
    )
    await pay(on_time, date(2024, 9, 9))
    last = await _pledge(
        member, need, made=date(2025, 1, 2), due=date(2025, 6, 30), pair_id=pair.id
    )
    await pay(last, date(2025, 3, 3))
    # Open and not yet due: counts nowhere.
    await pledges.make_pledge(
        actor=member,
        need_id=need,
        amount_fen=WAN,
        due_date=date(today_cn().year + 1, 6, 30),
        pair_id=pair.id,
    )
    expected = (3, 4)  # honoured, come due: 75 %

    # /me
    me = await client_as("unit_member").get("/me")
    assert me.status_code == 200
    assert "75%" in me.text and "已兑现 3 / 到期 4" in me.text
    # the honour-rate API (public) and the public table
    api = await client_as(None).get(f"/api/v1/honour-rates?participant_id={unit.id}")
    rate = api.json()
    assert (rate["honoured_count"], rate["due_count"], rate["rate_percent"]) == (3, 4, 75)
    table = await honour.honour_rates_by_participant(per_page=100)
    (row,) = [r for r in table.items if r.participant_id == unit.id]
    assert (row.rate.honoured_count, row.rate.due_count) == expected
    windowed = await honour.honour_rate(
        participant_id=unit.id, period=(date(2021, 1, 1), date(2025, 12, 31))
    )
    assert (windowed.honoured_count, windowed.due_count) == expected
    # the pair dashboards of 2021–2025, year by year
    admin = await accounts.actor_for(world.users["national_admin"])
    honoured = due = 0
    for year in range(2021, 2026):
        board = await pair_dashboard(actor=admin, pair_id=pair.id, year=year)
        honoured += board.money.helper.honour.honoured_count
        due += board.money.helper.honour.due_count
    assert (honoured, due) == expected
    # recommendations: the donor profile and the likely donors of another need in the county
    profile = await profiles.build_profile(unit.id, include_anonymous=False)
    assert profile.honour_rate == 0.75
    other = await make_need(world.village, title="石门村卫生室", target_fen=10 * WAN)
    found = await likely_donors.likely_donors(officer, other.id, limit=20)
    (donor,) = [d for d in found.items if d.participant.id == unit.id]
    assert any(r.code == "honour_rate" and r.params["percent"] == 75 for r in donor.reasons)
    # a commendation round of 2021–2025
    current = await create_round(
        actor=None,
        title="2021–2025 年度社会扶贫表彰",
        first_year=2021,
        last_year=2025,
        categories=[CategoryInput(award_type="contribution", scope="collective", quota=3)],
        system=True,
    )
    await rank(actor=None, round_id=current.id, system=True)
    nomination = await Nomination.get(round_id=current.id, participant_id=unit.id)
    figures = nomination.figures
    assert (figures["pledges_honoured"], figures["pledges_due"]) == expected
