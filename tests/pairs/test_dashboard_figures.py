"""Every dashboard figure against an independent Python recomputation over the raw rows, on
SQLite and PostgreSQL: national, province and county dashboards for two years and for all
years, and the dashboards of three real pairs (province-, and county-level helped regions)."""

from __future__ import annotations

import pytest

from fupin.core.categories import CATEGORIES
from fupin.core.clock import CHINA_TZ
from fupin.core.policy import Actor
from fupin.needs.rules import PUBLIC_STATES
from fupin.pairs.rules.alerts import assess
from fupin.pairs.service import dashboards
from fupin.pairs.service import figures as pair_figures
from fupin.pairs.service.pair_dashboard import pair_dashboard
from fupin.regions.models import Region
from tests.pairs import recompute
from tests.pairs.data import TODAY, build

ADMIN = Actor(user_id=1, username="national_admin", role="national_admin")
SCOPES = [
    ("national", None),
    ("province", "530000"),
    ("province", "510000"),
    ("county", "532627"),
    ("county", "513431"),
]


def _check_money_row(row: dict, sums: recompute.Sums, where: str) -> None:
    assert row["needs"] == sums.needs, where
    assert row["target_fen"] == sums.target, where
    assert row["pledged_fen"] == sums.pledged, where
    assert row["received_fen"] == sums.received, where
    assert row["honour_pct"] == sums.honour_pct, where
    assert row["paid_pct"] == sums.paid_pct, where


@pytest.mark.both_databases
async def test_every_region_dashboard_figure_matches_an_independent_recomputation(world) -> None:
    await build(world)
    rows = await recompute.load()
    checked = 0
    for level, code in SCOPES:
        for year in (2024, 2025, None):
            d = await dashboards.region_dashboard(
                actor=ADMIN, level=level, code=code, year=year, today=TODAY
            )
            want = recompute.region_figures(rows, level, code, year, TODAY)
            where = f"{level} {code} {year}"
            total: recompute.Sums = want["total"]
            assert d.needs == total.needs, where
            assert d.target_fen == total.target, where
            assert d.money.pledged_fen == total.pledged, where
            assert d.money.received_fen == total.received, where
            assert d.money.pledges == total.pledges, where
            assert (d.money.honour.due_count, d.money.honour.honoured_count) == (
                total.due,
                total.honoured,
            ), where
            assert (d.money.honour.due_fen, d.money.honour.paid_fen) == (
                total.due_fen,
                total.paid_fen,
            ), where
            assert d.money.honour_pct_x100 == total.honour_pct, where
            assert d.money.paid_pct_x100 == total.paid_pct, where
            assert d.villages_asking == want["villages_asking"], where
            assert d.villages_reached == want["villages_reached"], where
            assert d.top_villages == want["top_n"], where
            assert d.concentration_pct_x100 == want["concentration"], where
            # child regions: the same set of rows, each figure equal
            table = {r["code"]: r for r in d.tables["regions"].rows}
            assert set(table) == set(want["children"]), where
            for child, sums in want["children"].items():
                _check_money_row(table[child], sums, f"{where} child {child}")
                if level != "county":
                    assert table[child]["villages_reached"] == want["reached_by_child"].get(
                        child, 0
                    ), where
            # categories, in catalogue order
            cats = d.tables["categories"].rows
            assert [r["code"] for r in cats] == [
                c for c in CATEGORIES if c in want["categories"]
            ], where
            for row in cats:
                _check_money_row(
                    row, want["categories"][row["code"]], f"{where} category {row['code']}"
                )
            # projects by category and state
            states = {r["_code"]: r for r in d.tables["states"].rows}
            assert set(states) == set(want["states"]), where
            for category, counts in want["states"].items():
                for state in PUBLIC_STATES:
                    assert states[category][state] == counts.get(state, 0), where
                assert states[category]["total"] == sum(counts.values()), where
            # money over time
            series = [
                (r["period"], r["pledged_fen"], r["received_fen"]) for r in d.tables["monthly"].rows
            ]
            assert series == want["monthly"], where
            cumulative = [r["cumulative_fen"] for r in d.tables["monthly"].rows]
            assert cumulative == [
                sum(x[2] for x in want["monthly"][: i + 1]) for i in range(len(cumulative))
            ]
            checked += 1
    assert checked == len(SCOPES) * 3
    # the data exercises what it should: reversals, both years, attributed pledges
    assert any(d.amount_fen < 0 for d in rows.donations)
    assert any(p.pair_id for p in rows.pledges)


@pytest.mark.both_databases
async def test_county_drill_down_lists_its_public_needs_with_their_amounts(world) -> None:
    data = await build(world)
    d = await dashboards.region_dashboard(
        actor=ADMIN, level="county", code="532627", year=None, today=TODAY
    )
    listed = {r["id"]: r for r in d.tables["needs"].rows}
    want = {n.id: n for n in data.needs if n.county_code == "532627" and n.state in PUBLIC_STATES}
    assert set(listed) == set(want)
    for need_id, need in want.items():
        row = listed[need_id]
        assert (row["target_fen"], row["pledged_fen"], row["received_fen"]) == (
            need.target_fen,
            need.pledged_fen,
            need.received_fen,
        )
        assert row["_href"] == f"/needs/{need_id}"
    national = await dashboards.region_dashboard(
        actor=ADMIN, level="national", year=None, today=TODAY
    )
    assert {r["_href"] for r in national.tables["regions"].rows} >= {
        "/dashboards/province/530000?year=all"
    }
    province = await dashboards.region_dashboard(
        actor=ADMIN, level="province", code="530000", year=2025, today=TODAY
    )
    assert "/dashboards/county/532627?year=2025" in {
        r.get("_href") for r in province.tables["regions"].rows
    }


@pytest.mark.both_databases
async def test_new_year_in_china_time_decides_the_year_of_a_pledge_and_a_need(world) -> None:
    data = await build(world)
    first = data.pledges[0]  # made at 2024-12-31 17:00 UTC = 2025-01-01 01:00 in Beijing
    assert first.created_at.year == 2024 and recompute.cn_month(first.created_at) == "2025-01"
    need = next(n for n in data.needs if n.id == first.need_id)
    rows = await recompute.load()
    want = recompute.region_figures(rows, "county", need.county_code, 2025, TODAY)
    d = await dashboards.region_dashboard(
        actor=ADMIN, level="county", code=need.county_code, year=2025, today=TODAY
    )
    january = next(r for r in d.tables["monthly"].rows if r["period"] == "2025-01")
    assert january["pledged_fen"] == {k: p for k, p, _r in want["monthly"]}["2025-01"]
    assert january["pledged_fen"] >= first.committed_fen > 0
    late = [n for n in data.needs if n.title.startswith("跨年需求")]  # 23:59 and 00:00 in Beijing
    assert [recompute.cn_year(n.published_at) for n in late] == [2024, 2025]
    for year in (2024, 2025):
        d = await dashboards.region_dashboard(
            actor=ADMIN, level="county", code="532627", year=year, today=TODAY
        )
        listed = {r["id"] for r in d.tables["needs"].rows}
        assert (late[0].id in listed) == (year == 2024) and (late[1].id in listed) == (year == 2025)


@pytest.mark.both_databases
async def test_every_pair_dashboard_figure_matches_an_independent_recomputation(world) -> None:
    data = await build(world)
    await pair_figures.save_figures(
        actor=ADMIN,
        pair_id=data.east_west.id,
        year=2025,
        targets={"social_funds": 500_000_000_00, "cadres_exchanged": 40, "fiscal_aid": 10},
        reported={"social_funds": 1_000_00, "cadres_exchanged": 12},
        today=TODAY,
    )
    rows = await recompute.load()
    for pair in (data.east_west, data.sichuan, data.designated):
        region = await Region.get(code=pair.helped_region_id)
        for year in (2024, 2025):
            d = await pair_dashboard(actor=ADMIN, pair_id=pair.id, year=year, today=TODAY)
            want = recompute.pair_figures(rows, pair, region, year, TODAY)
            where = f"pair {pair.id} {year}"
            for got, sums in (
                (d.money.helper, want["helper"]),
                (d.money.mobilised, want["mobilised"]),
            ):
                assert got.pledged_fen == sums.pledged, where
                assert got.received_fen == sums.received, where
                assert got.pledges == sums.pledges, where
                assert (got.honour.due_count, got.honour.honoured_count) == (
                    sums.due,
                    sums.honoured,
                ), where
                assert (got.honour.due_fen, got.honour.paid_fen) == (sums.due_fen, sums.paid_fen), (
                    where
                )
            platform = {r["_key"]: r for r in d.tables["platform"].rows}
            assert (
                platform["total"]["received_fen"]
                == want["helper"].received + want["mobilised"].received
            )
            projects = {r["_code"]: r for r in d.tables["projects"].rows}
            assert set(projects) == set(want["projects"]), where
            for category, counts in want["projects"].items():
                for state in PUBLIC_STATES:
                    assert projects[category][state] == counts.get(state, 0), where
            villages = {r["code"]: r["received_fen"] for r in d.tables["villages"].rows}
            assert villages == want["villages"], where
            years = {r["year"]: r["platform_received_fen"] for r in d.tables["years"].rows}
            assert years[str(year)] == want["helper"].received + want["mobilised"].received, where
    # the pairs tables of the national and province dashboards carry the same figures
    for year in (2024, 2025):
        national = await dashboards.region_dashboard(
            actor=ADMIN, level="national", year=year, today=TODAY
        )
        rows_by_pair = {r["pair_id"]: r for r in national.tables["pairs"].rows}
        for pair in (data.east_west, data.sichuan, data.designated):
            region = await Region.get(code=pair.helped_region_id)
            want = recompute.pair_figures(rows, pair, region, year, TODAY)
            row = rows_by_pair[pair.id]
            assert (row["helper_pledged_fen"], row["helper_received_fen"]) == (
                want["helper"].pledged,
                want["helper"].received,
            )
            assert (row["mobilised_pledged_fen"], row["mobilised_received_fen"]) == (
                want["mobilised"].pledged,
                want["mobilised"].received,
            )
        yunnan = await dashboards.region_dashboard(
            actor=ADMIN, level="province", code="530000", year=year, today=TODAY
        )
        assert {r["pair_id"] for r in yunnan.tables["pairs"].rows} >= {
            data.east_west.id,
            data.designated.id,
        }
        assert data.sichuan.id not in {r["pair_id"] for r in yunnan.tables["pairs"].rows}
    # targets against actuals: what was stored, and the schedule's verdict on it
    d = await pair_dashboard(actor=ADMIN, pair_id=data.east_west.id, year=2025, today=TODAY)
    money = {r["code"]: r for r in d.tables["money_indicators"].rows}
    other = {r["code"]: r for r in d.tables["other_indicators"].rows}
    assert money["social_funds"]["target"] == 500_000_000_00
    assert money["social_funds"]["reported"] == 1_000_00
    assert money["social_funds"]["platform"] == d.money.total.received_fen
    assert other["cadres_exchanged"]["target"] == 40 and other["cadres_exchanged"]["reported"] == 12
    verdict = assess(40, 12, 2025, TODAY)  # 30 % by the end of Q3 → behind
    assert other["cadres_exchanged"]["_status"] == verdict.status == "behind"
    assert {a.indicator for a in d.alerts} == {"social_funds", "cadres_exchanged", "fiscal_aid"}
    # the national list flags the pair and its lagging indicators
    national = await dashboards.region_dashboard(
        actor=ADMIN, level="national", year=2025, today=TODAY
    )
    flagged = [r for r in national.tables["lagging"].rows if r["pair_id"] == data.east_west.id]
    assert {r["indicator_code"] for r in flagged} == {
        "social_funds",
        "cadres_exchanged",
        "fiscal_aid",
    }
    assert national.lagging_pairs == 1


@pytest.mark.both_databases
async def test_unfunded_needs_in_helped_regions_are_the_open_ones_older_than_n_days(world) -> None:
    data = await build(world)
    d = await pair_dashboard(
        actor=ADMIN, pair_id=data.east_west.id, year=2025, today=TODAY, unfunded_days=60
    )
    listed = {r["id"] for r in d.tables["unfunded"].rows}
    from datetime import datetime, timedelta

    cutoff = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=CHINA_TZ) - timedelta(days=60)
    want = {
        n.id
        for n in data.needs
        if n.state == "published"
        and n.province_code == "530000"
        and n.deadline >= TODAY
        and n.published_at is not None
        and n.published_at <= cutoff
    }
    assert listed == want and want
    for row in d.tables["unfunded"].rows:
        assert row["days_open"] >= 60
