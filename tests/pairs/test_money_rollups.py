"""The dashboards' money rollups stay equal to the records through every kind of money change.

Each step below goes through the real money services (pledge, pay, amend, withdraw, lapse,
reverse, gifts without a pledge, cancelled records); after each, every rollup table is compared
with a recomputation in Python from the raw rows (independent of the SQL that maintains them),
and ``money_rollups.verify`` must agree. Then ``rebuild`` must give the same rows, a tampered
row must be found, and concurrent money transactions must neither deadlock nor lose an update.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from fupin import REPO_ROOT
from fupin.accounts.models import HELPER_KINDS, Participant
from fupin.accounts.service import users as accounts
from fupin.core.clock import CHINA_TZ, today_cn
from fupin.db import close_database, open_database, transaction
from fupin.money.models import (
    CountyRollup,
    Donation,
    MonthRollup,
    NeedRollup,
    PairRollup,
    Pledge,
    VillageRollup,
)
from fupin.money.service import donations, pledges
from fupin.money.service import rollups as money_rollups
from fupin.needs.models import Need
from fupin.regions.models import Region
from fupin.settings import Settings
from tests.money.support import WAN, build_money, days, due, made_on, make_need
from tests.support.world import COUNTY, make_user, make_village

FUPIN = str(Path(sys.executable).parent / "fupin")
MEASURES = money_rollups.MEASURES
# expected_tables() builds its vectors in this order
assert MEASURES == (
    "pledges", "pledged_fen", "honoured", "withdrawn", "closed_due", "closed_due_fen",
    "closed_paid_fen", "donations", "received_fen",
)  # fmt: skip
HELPERS = {k for kinds in HELPER_KINDS.values() for k in kinds}


# ---- the independent recomputation ------------------------------------------------------------


async def expected_tables() -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    """Every rollup table as the raw rows give it, computed in Python."""
    needs = {n.id: n for n in await Need.all()}
    kinds = {p.id: p.kind for p in await Participant.all()}
    all_pledges = await Pledge.all()
    pair_of = {p.id: p.pair_id or 0 for p in all_pledges}
    per_need: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(MEASURES))
    for p in all_pledges:
        local = p.created_at.astimezone(CHINA_TZ)
        who = p.participant_id if kinds[p.participant_id] in HELPERS else 0
        made = per_need[(p.need_id, local.year * 100 + local.month, p.pair_id or 0, who)]
        for i, value in enumerate((1, p.committed_fen, 0, int(p.state == "withdrawn"))):
            made[i] += value
        if p.state not in ("honoured", "lapsed"):
            continue
        # honour figures in the month the pledge was settled: honoured, else its due date
        # (docs/domain.md §3.5)
        settled = p.honoured_on if p.state == "honoured" and p.honoured_on else p.due_date
        row = per_need[(p.need_id, settled.year * 100 + settled.month, p.pair_id or 0, who)]
        for i, value in enumerate(
            (0, 0, int(p.state == "honoured"), 0, 1, p.amount_fen, p.paid_fen, 0, 0)
        ):
            row[i] += value
    for d in await Donation.filter(state="confirmed"):
        who = d.donor_id if kinds[d.donor_id] in HELPERS else 0
        month = d.received_on.year * 100 + d.received_on.month
        row = per_need[(d.need_id, month, pair_of.get(d.pledge_id, 0), who)]
        row[-2] += 1
        row[-1] += d.amount_fen
    out: dict[str, dict[tuple[Any, ...], list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0] * len(MEASURES))
    )
    for (need_id, month, pair_id, who), vec in per_need.items():
        n = needs[need_id]
        year = month // 100
        keys = {
            "rollup_need_money": (need_id, month, pair_id, who),
            "rollup_county_money": (year, n.county_code, n.category),
            "rollup_month_money": (month, n.county_code),
        }
        if n.region_id != n.county_code:
            keys["rollup_village_money"] = (year, n.region_id)
        if pair_id or who:
            keys["rollup_pair_money"] = (year, pair_id, who, n.county_code)
        for table, key in keys.items():
            acc = out[table][key]
            for i, value in enumerate(vec):
                acc[i] += value
    return {table: {k: tuple(v) for k, v in rows.items() if any(v)} for table, rows in out.items()}


MODELS = {
    "rollup_need_money": (NeedRollup, ("need_id", "month", "pair_id", "who")),
    "rollup_county_money": (CountyRollup, ("year", "county_code", "category")),
    "rollup_village_money": (VillageRollup, ("year", "region_id")),
    "rollup_pair_money": (PairRollup, ("year", "pair_id", "who", "county_code")),
    "rollup_month_money": (MonthRollup, ("month", "county_code")),
}


async def stored_tables() -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    out = {}
    for table, (model, key) in MODELS.items():
        rows = await model.all().values(*key, *MEASURES)
        out[table] = {
            tuple(r[c] for c in key): tuple(int(r[m]) for m in MEASURES)
            for r in rows
            if any(r[m] for m in MEASURES)
        }
    return out


async def assert_rollups_match(step: str) -> None:
    expected = await expected_tables()
    stored = await stored_tables()
    for table in MODELS:
        assert stored[table] == expected.get(table, {}), f"{table} after {step}"
    assert await money_rollups.verify() == [], step


# ---- every kind of money change -------------------------------------------------------------


async def _scene(world: Any) -> dict[str, Any]:
    money = await build_money(world)
    second_village = await make_village(COUNTY, "203", "岩洞村")
    county_region = await Region.get(code=COUNTY)
    needs = {
        "village": money.need,
        "village_2": await make_need(second_village, title="饮水工程"),
        "county_wide": await make_need(county_region, title="全县道路养护"),
    }
    pair = (await pledges.eligible_pairs(money.need, today=today_cn()))[0]
    helper_user = await make_user("participant_member", "helper_member", participant=pair.helper_id)
    return {
        "money": money,
        "needs": needs,
        "pair": pair,
        "helper": await accounts.actor_for(helper_user),
    }


async def _pay(m: Any, pledge: Pledge, amount_fen: int, received_on: date) -> Donation:
    """A payment on a pledge, recorded and confirmed by the county officer."""
    return await donations.record_donation(
        actor=m.officer, recipient_id=m.county_gov.id, pledge_id=pledge.id,
        amount_fen=amount_fen, received_on=received_on, confirm=True,
    )  # fmt: skip


@pytest.mark.both_databases
async def test_every_money_change_keeps_the_rollups_equal_to_the_records(world) -> None:
    scene = await _scene(world)
    m, needs, pair, helper = scene["money"], scene["needs"], scene["pair"], scene["helper"]
    org = m.county_gov.id
    await assert_rollups_match("nothing yet")

    own = await pledges.make_pledge(
        actor=m.donor, need_id=needs["village"].id, amount_fen=20 * WAN, due_date=due()
    )
    # made last month: money received may not precede its pledge (docs/domain.md §3.6)
    own = await made_on(own, days(-40))
    async with transaction():  # the back-dating bypassed the services; as they do, in one
        await money_rollups.refresh_need(needs["village"].id)
    await assert_rollups_match("a pledge")
    helped = await pledges.make_pledge(
        actor=helper,
        need_id=needs["village"].id,
        amount_fen=10 * WAN,
        due_date=due(),
        pair_id=pair.id,
    )
    await assert_rollups_match("the helper's own pledge, attributed to its pair")
    mobilised = await pledges.make_pledge(
        actor=m.other_donor,
        need_id=needs["village_2"].id,
        amount_fen=8 * WAN,
        due_date=due(),
        pair_id=pair.id,
    )
    await assert_rollups_match("a mobilised pledge")

    first = await _pay(m, own, 5 * WAN, days(-40))
    await assert_rollups_match("a part payment received last month")
    await _pay(m, own, 15 * WAN, today_cn())
    await assert_rollups_match("the rest paid: honoured")
    await donations.reverse_donation(actor=m.officer, donation_id=first.id, reason="银行退票")
    await assert_rollups_match("a reversal (the pledge is partly paid again)")

    await pledges.amend_pledge(actor=m.other_donor, pledge_id=mobilised.id, amount_fen=12 * WAN)
    await assert_rollups_match("an amended pledge")
    await _pay(m, mobilised, 2 * WAN, today_cn())
    await pledges.withdraw_pledge(actor=m.other_donor, pledge_id=mobilised.id, reason="预算调整")
    await assert_rollups_match("a withdrawn pledge that was partly paid")
    assert await pledges.lapse_pledge(helped.id, today=due() + timedelta(days=1))
    await assert_rollups_match("a lapsed pledge")

    await donations.record_donation(
        actor=m.officer, recipient_id=org, need_id=needs["county_wide"].id,
        donor_id=pair.helper_id, amount_fen=3 * WAN, received_on=today_cn(), confirm=True,
    )  # fmt: skip
    await assert_rollups_match("a helper's gift without a pledge to a county-wide need")
    unconfirmed = await donations.record_donation(
        actor=m.officer, recipient_id=org, need_id=needs["village_2"].id,
        donor_id=m.donor.participant_id, amount_fen=1 * WAN, received_on=today_cn(),
    )  # fmt: skip
    await assert_rollups_match("a recorded, unconfirmed gift (not counted)")
    await donations.cancel_donation(actor=m.officer, donation_id=unconfirmed.id, reason="录入错误")
    await assert_rollups_match("a cancelled record")

    stored = await stored_tables()
    assert stored["rollup_pair_money"], "the helper's and the mobilised money are kept per pair"
    assert any(key[1] == needs["village"].region_id for key in stored["rollup_village_money"])
    assert not any(key[1] == COUNTY for key in stored["rollup_village_money"])

    # rebuild from the records gives exactly the rows kept up to date step by step
    await money_rollups.rebuild()
    assert await stored_tables() == stored


@pytest.mark.both_databases
async def test_verify_names_a_tampered_row_and_rebuild_repairs_it(world, db) -> None:
    scene = await _scene(world)
    m = scene["money"]
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=20 * WAN, due_date=due())
    await connections.get("default").execute_query(
        "UPDATE rollup_county_money SET pledged_fen = pledged_fen + 1"
    )
    differences = await money_rollups.verify()
    assert [(d.table, d.key) for d in differences] == [
        ("rollup_county_money", (today_cn().year, COUNTY, "roads"))
    ]
    assert "pledged_fen 20000000 ≠ 20000001" in differences[0].describe()

    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=db.database_url,
        FUPIN_SECRET_KEY="cli-test-secret-key-0123456789-abcdefghijklmnop",
        FUPIN_VAR_DIR=str(db.var_dir),
    )

    def fupin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FUPIN, "rollups", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip

    failed = fupin("verify")
    assert failed.returncode == 1 and "rollup_county_money" in failed.stdout, failed.stdout
    assert fupin("rebuild").returncode == 0
    passed = fupin("verify")
    assert passed.returncode == 0 and "OK" in passed.stdout, passed.stdout + passed.stderr
    assert await money_rollups.verify() == []


@pytest.mark.both_databases
async def test_the_month_is_china_time_to_the_second(world) -> None:
    """23:59:59.999999 on 31 December in Beijing is December; one microsecond later, January
    (SQLite's date functions would round the first to the next millisecond — and year)."""
    scene = await _scene(world)
    m = scene["money"]
    late = datetime(2025, 12, 31, 15, 59, 59, 999999, tzinfo=UTC)
    for created in (late, late + timedelta(microseconds=1)):
        pledge = await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=1 * WAN, due_date=due()
        )
        await Pledge.filter(id=pledge.id).update(created_at=created)
    async with transaction():
        await money_rollups.refresh_need(m.need.id)
    months = sorted(r.month for r in await NeedRollup.filter(need_id=m.need.id))
    assert months == [202512, 202601]
    await assert_rollups_match("back-dated pledges")


# ---- concurrency ------------------------------------------------------------------------------


@pytest.mark.both_databases
async def test_concurrent_money_transactions_sharing_rollup_rows_neither_deadlock_nor_lose(
    world, db: Settings
) -> None:
    """Twenty needs of one village and category share their county, village and month rows;
    twenty pledges and twenty payments (received last month, so each payment changes two month
    rows) run at once — on PostgreSQL over twenty pooled connections. Ten more needs each get a
    new pledge while an existing pledge's due date is amended: an amendment that leaves the
    amount alone locks no need row before the ledger, a new pledge locks the need first."""
    scene = await _scene(world)
    m = scene["money"]
    needs = [m.need] + [await make_need(world.village, title=f"项目{i}") for i in range(19)]
    first = [
        # made on the day the payments below were received (money may not precede its pledge)
        await made_on(
            await pledges.make_pledge(
                actor=m.donor, need_id=n.id, amount_fen=10 * WAN, due_date=due()
            ),
            days(-35),
        )
        for n in needs
    ]
    for n in needs:  # the back-dating bypassed the services
        async with transaction():
            await money_rollups.refresh_need(n.id)
    amended_needs = [await make_need(world.village, title=f"改期{i}") for i in range(10)]
    to_amend = [
        await pledges.make_pledge(actor=m.donor, need_id=n.id, amount_fen=10 * WAN, due_date=due())
        for n in amended_needs
    ]
    if not db.is_sqlite:
        await close_database()
        await open_database(db.replace(database_url=db.database_url + "?maxsize=20"))

    async def pledge(need: Need) -> None:
        await pledges.make_pledge(
            actor=m.other_donor, need_id=need.id, amount_fen=3 * WAN, due_date=due()
        )

    async def pay(p: Pledge) -> None:
        await _pay(m, p, 10 * WAN, days(-35))

    async def amend(p: Pledge) -> None:
        await pledges.amend_pledge(
            actor=m.donor,
            pledge_id=p.id,
            amount_fen=p.amount_fen,
            due_date=due() + timedelta(days=10),
        )

    jobs = [pledge(n) for n in needs] + [pay(p) for p in first]
    jobs += [amend(p) for p in to_amend] + [pledge(n) for n in amended_needs]
    results = await asyncio.wait_for(asyncio.gather(*jobs, return_exceptions=True), timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    await assert_rollups_match("sixty concurrent money transactions")
    county = await CountyRollup.get(year=today_cn().year, county_code=COUNTY, category="roads")
    assert county.pledges == 60 and county.honoured == 20
    assert {p.due_date for p in await Pledge.filter(id__in=[p.id for p in to_amend])} == {
        due() + timedelta(days=10)
    }


@pytest.mark.both_databases
async def test_a_pledge_adds_to_the_month_its_record_gives_at_midnight_in_beijing(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pledge adds its own rollup row without re-reading the need's records
    (``rollups.pledge_made_row``), so its month is computed in Python: it must be the month
    the SQL over the stored record gives, either side of midnight on 31 December in Beijing."""
    from tortoise.fields import data as tortoise_fields

    scene = await _scene(world)
    m = scene["money"]
    late = datetime(2025, 12, 31, 15, 59, 59, 999999, tzinfo=UTC)
    for created in (late, late + timedelta(microseconds=1)):
        # the instant Tortoise stamps ``auto_now_add`` columns with
        monkeypatch.setattr(tortoise_fields.timezone, "localtime", lambda *a, c=created: c)
        await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=1 * WAN, due_date=due()
        )
        monkeypatch.undo()
    months = sorted(r.month for r in await NeedRollup.filter(need_id=m.need.id))
    assert months == [202512, 202601]
    await assert_rollups_match("pledges made either side of midnight")
    assert await money_rollups.verify() == []
