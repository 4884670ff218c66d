"""With the real demo (`fupin demo`: accounts, needs, money through the money services, pair
targets), every national and province figure equals the independent recomputation."""

from __future__ import annotations

import pytest

from fupin.accounts.service.reference import load_all
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.demo.service.accounts import load_demo
from fupin.money.models import Donation, Pledge
from fupin.pairs.models import PairYear
from fupin.pairs.service import dashboards
from fupin.pairs.service.pair_dashboard import pair_dashboard
from fupin.regions.models import Region
from tests.pairs import recompute

ADMIN = Actor(user_id=1, username="national_admin", role="national_admin")


@pytest.mark.both_databases
async def test_demo_data_dashboards_match_an_independent_recomputation(db, subset_dir) -> None:
    await load_all(subset_dir)
    await load_demo(db, needs=80)
    assert await Pledge.all().count() > 0 and await Donation.filter(state="confirmed").count() > 0
    assert await PairYear.all().count() > 0
    today = today_cn()
    rows = await recompute.load()
    for level, code in (("national", None), ("province", "530000")):
        for year in (today.year, None):
            d = await dashboards.region_dashboard(
                actor=ADMIN, level=level, code=code, year=year, today=today
            )
            want = recompute.region_figures(rows, level, code, year, today)
            total = want["total"]
            where = f"{level} {year}"
            assert (d.needs, d.target_fen) == (total.needs, total.target), where
            assert (d.money.pledged_fen, d.money.received_fen) == (total.pledged, total.received), (
                where
            )
            assert (d.money.honour.due_count, d.money.honour.honoured_count) == (
                total.due,
                total.honoured,
            )
            assert (d.villages_asking, d.villages_reached) == (
                want["villages_asking"],
                want["villages_reached"],
            )
            assert d.concentration_pct_x100 == want["concentration"], where
            table = {r["code"]: r for r in d.tables["regions"].rows}
            assert set(table) == set(want["children"]), where
            for child, sums in want["children"].items():
                assert (table[child]["pledged_fen"], table[child]["received_fen"]) == (
                    sums.pledged,
                    sums.received,
                )
            series = [
                (r["period"], r["pledged_fen"], r["received_fen"]) for r in d.tables["monthly"].rows
            ]
            assert series == want["monthly"], where
    # the demo's own totals agree with the needs' maintained counters (money's invariant)
    national = await dashboards.region_dashboard(
        actor=ADMIN, level="national", year=None, today=today
    )
    assert national.money.received_fen == sum(n.received_fen for n in rows.needs.values())
    for pair_year in await PairYear.filter(year=today.year).prefetch_related("pair"):
        region = await Region.get(code=pair_year.pair.helped_region_id)
        d = await pair_dashboard(
            actor=ADMIN, pair_id=pair_year.pair_id, year=today.year, today=today
        )
        want = recompute.pair_figures(rows, pair_year.pair, region, today.year, today)
        assert d.money.helper.received_fen == want["helper"].received
        assert d.money.mobilised.received_fen == want["mobilised"].received
