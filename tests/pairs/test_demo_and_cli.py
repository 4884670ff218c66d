"""Demo targets for the real pairs, and the `fupin pairs` / `fupin dashboard` commands."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from fupin.accounts.models import Pair
from fupin.core.policy import Actor
from fupin.demo.service.accounts import DEMO_STEPS, DemoResult
from fupin.demo.service.pairs import load_demo_pairs
from fupin.pairs.models import PairFigure, PairYear
from fupin.pairs.rules.alerts import INDICATOR_BY_CODE
from fupin.pairs.service import access, dashboards
from fupin.pairs.service.pair_dashboard import pair_dashboard
from tests.pairs.data import TODAY, build

ADMIN = Actor(user_id=1, username="national_admin", role="national_admin")
FUPIN = str(Path(sys.executable).parent / "fupin")


@pytest.mark.both_databases
async def test_demo_targets_cover_recent_years_of_every_pair_in_its_term_and_are_idempotent(
    world,
) -> None:
    result = DemoResult()
    await load_demo_pairs(None, result, 0, today=TODAY)  # type: ignore[arg-type]
    created = result.extra["pair years with targets"]
    pairs = {p.id: p for p in await Pair.all()}
    years = await PairYear.all()
    assert created == len(years) > 0
    for pair_year in years:
        pair = pairs[pair_year.pair_id]
        assert pair.start_year <= pair_year.year <= (pair.end_year or TODAY.year)
    assert {y.year for y in years if pairs[y.pair_id].end_year is None} == {2023, 2024, 2025}
    figures = await PairFigure.all()
    assert figures and all(
        f.target >= 0 and (f.reported is None or f.reported >= 0) for f in figures
    )
    assert all(f.indicator in INDICATOR_BY_CODE for f in figures)
    # plausible magnitudes (docs/rules.md §6): a province-wide east–west pair's fiscal aid is in the 亿 range
    yunnan = next(
        p for p in pairs.values() if p.helped_region_id == "530000" and p.start_year == 2021
    )
    fiscal = await PairFigure.get(
        pair_year__pair_id=yunnan.id, pair_year__year=2024, indicator="fiscal_aid"
    )
    assert 100_000_000_00 <= fiscal.target <= 1_000_000_000_000_00
    again = DemoResult()
    await load_demo_pairs(None, again, 0, today=TODAY)  # type: ignore[arg-type]
    assert again.extra["pair years with targets"] == 0
    assert "fupin.demo.service.pairs:load_demo_pairs" in DEMO_STEPS


@pytest.mark.both_databases
async def test_demo_figures_show_on_the_dashboards_as_stored(world) -> None:
    await build(world)
    await load_demo_pairs(None, DemoResult(), 0, today=TODAY)  # type: ignore[arg-type]
    for pair in await Pair.filter(end_year__isnull=True, start_year__lte=2025):
        d = await pair_dashboard(actor=ADMIN, pair_id=pair.id, year=2025, today=TODAY)
        stored = {
            f.indicator: f
            for f in await PairFigure.filter(pair_year__pair_id=pair.id, pair_year__year=2025)
        }
        shown = {
            r["code"]: r
            for r in d.tables["money_indicators"].rows + d.tables["other_indicators"].rows
        }
        for code, figure in stored.items():
            assert (shown[code]["target"], shown[code]["reported"]) == (
                figure.target,
                figure.reported,
            )
    national = await dashboards.region_dashboard(
        actor=ADMIN, level="national", year=2025, today=TODAY
    )
    assert (
        national.lagging_pairs > 0
    )  # the demo leaves some pairs behind, so there is something to flag
    listed = {r["pair_id"] for r in national.tables["pairs"].rows}
    assert listed == {p.id for p in await Pair.all() if access.in_force(p, 2025)}


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_SECRET_KEY="cli-test-secret-key-0123456789-abcdefghijklmnop",
        FUPIN_VAR_DIR=str(settings.var_dir),
    )
    return env


async def test_cli_prints_a_pair_report_alerts_and_exports_a_dashboard_table(
    world, db, tmp_path
) -> None:
    await build(world)
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    env = _env(db)

    def run(*args: str) -> str:
        done = subprocess.run(
            [FUPIN, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    report = run("pairs", "report", "--pair", str(pair.id), "--year", "2025")
    assert "2025 年度帮扶工作自评报告" in report and "平台记录" in report
    d = await pair_dashboard(actor=ADMIN, pair_id=pair.id, year=2025)
    assert (
        f"¥{d.money.total.received_fen // 100:,}.{d.money.total.received_fen % 100:02d}" in report
    )
    assert "进度滞后" in run("pairs", "alerts", "--year", "2025", "--region", "530000")
    out = tmp_path / "regions.csv"
    assert "wrote" in run("dashboard", "--year", "2025", "--table", "regions", "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    national = await dashboards.region_dashboard(actor=ADMIN, level="national", year=2025)
    assert [r["代码"] for r in rows] == [r["code"] for r in national.tables["regions"].rows]
    missing = subprocess.run(
        [FUPIN, "pairs", "report", "--pair", "999999"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "结对关系不存在" in missing.stderr
