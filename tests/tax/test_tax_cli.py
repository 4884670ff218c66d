"""`fupin tax statement|paper` as a finance officer runs it: the docs/rules.md §1.4 example to the fen
in JSON and CSV, and clear refusals of bad input (exit status 1, the field named)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from tests.tax.builders import EXAMPLE_PROFIT_WAN, EXAMPLE_TABLE, build_example_e

FUPIN = str(Path(sys.executable).parent / "fupin")
PROFITS = ",".join(f"{year}={wan}万" for year, wan in EXAMPLE_PROFIT_WAN.items())


async def _fupin(settings, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        {
            "FUPIN_DATABASE_URL": settings.database_url,
            "FUPIN_VAR_DIR": str(settings.var_dir),
            "FUPIN_SEARCH_WORKER": "false",
        }
    )
    process = await asyncio.create_subprocess_exec(
        FUPIN, *args, cwd=REPO_ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@pytest.mark.both_databases
async def test_cli_paper_reproduces_the_worked_example_in_json_and_csv(db, world) -> None:
    await build_example_e(world)
    uscc = world.participants["enterprise"].uscc
    code, out, err = await _fupin(
        db, "tax", "paper", "--participant", uscc, "--year", "2026", "--profits", PROFITS,
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    paper = json.loads(out)
    years = {y["year"]: y for y in paper["years"]}
    assert sorted(years) == list(range(2019, 2027))
    for year, (cap, brought, current, carried, expired, total) in EXAMPLE_TABLE.items():
        row = years[year]
        assert row["cap_fen"] == cap, year
        assert row["brought_forward_used"] == {str(k): v for k, v in brought.items()}, year
        assert row["current_general_deducted_fen"] == current, year
        assert row["carried_forward_fen"] == carried, year
        assert row["expired"] == {str(k): v for k, v in expired.items()}, year
        assert row["deducted_fen"] == total, year
        for line in row["lines"]:
            assert line["sources"] and all(s["receipt_number"] for s in line["sources"])
            assert all(s["official_receipt"] for s in line["sources"])

    code, out, err = await _fupin(
        db, "tax", "paper", "--participant", str(world.participants["enterprise"].id),
        "--year", "2026", "--profits", PROFITS, "--format", "csv",
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    header, body = rows[0], {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[0] == "年度"
    for year, (cap, brought, current, carried, expired, total) in EXAMPLE_TABLE.items():
        row = body[year]
        assert row["扣除限额"] == _yuan(cap)
        assert row["当年一般捐赠扣除"] == _yuan(current)
        assert row["新增结转"] == _yuan(carried)
        assert row["扣除合计"] == _yuan(total)
        assert row["使用结转（来源年:金额）"] == "; ".join(
            f"{k}:{_yuan(v)}" for k, v in brought.items()
        )
        assert row["过期（来源年:金额）"] == "; ".join(
            f"{k}:{_yuan(v)}" for k, v in expired.items()
        )


async def test_cli_statement_and_repeated_profit_option(db, world) -> None:
    await build_example_e(world)
    pid = str(world.participants["enterprise"].id)
    code, out, err = await _fupin(db, "tax", "statement", "--participant", pid, "--year", "2019")
    assert code == 0, err
    statement = json.loads(out)
    assert statement["totals"]["targeted_cash_fen"] == 300_000_000
    assert statement["totals"]["general_cash_fen"] == 150_000_000
    assert all(line["official_receipt_number"] for line in statement["lines"])
    code, out, err = await _fupin(
        db, "tax", "statement", "--participant", pid, "--year", "2019", "--format", "csv"
    )
    assert code == 0, err
    assert out.count("\n") == 4 and "GN532627-2019-" in out
    # --profit repeated: the values of the years ending at --year (a loss with "=-").
    code, out, err = await _fupin(
        db, "tax", "paper", "--participant", pid, "--year", "2021",
        "--profit", "1000万", "--profit", "5,000,000", "--profit=-200万",
    )  # fmt: skip
    assert code == 0, err
    years = {y["year"]: y for y in json.loads(out)["years"]}
    assert years[2021]["profit_fen"] == -200_000_000 and years[2021]["cap_fen"] == 0
    assert years[2020]["cap_fen"] == 60_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2031", "--profit", "100"], "year"),
        (["--year", "2026", "--profits", "2026=abc"], "profit_2026"),
        (["--year", "2026", "--profits", "2026=12.345"], "profit_2026"),
        (["--year", "2026", "--profits", "2026=100,2027=5"], "profit_2027"),
        (["--year", "2022", "--profits", "2022=100"], "profit_2019"),
        (["--year", "2026"], "profit"),
    ],
)
async def test_cli_refuses_bad_input_naming_the_field(db, world, args, message) -> None:
    await build_example_e(world)
    code, out, err = await _fupin(
        db, "tax", "paper", "--participant", str(world.participants["enterprise"].id), *args
    )
    assert code == 1, out
    assert message in err and "Error" in err
    assert "Traceback" not in err


async def test_cli_unknown_participant_is_refused(db, world) -> None:
    code, _out, err = await _fupin(
        db, "tax", "statement", "--participant", "99999", "--year", "2025"
    )
    assert code == 1 and "participant" in err


async def test_cli_commendation_rank(db, world) -> None:
    from fupin.commendation.service.rounds import CategoryInput, create_round

    await build_example_e(world)
    found = await create_round(
        actor=None,
        title="2021–2025",
        first_year=2021,
        last_year=2025,
        categories=[CategoryInput(award_type="dedication", scope="collective", quota=1)],
        system=True,
    )
    code, out, err = await _fupin(db, "commendation", "rank", "--round", str(found.id))
    assert code == 0, err
    # E's 2021 gifts: 20 + 50 万元 (docs/rules.md §1.4) rank it first in 奉献奖（集体）.
    assert "#1" in out and world.participants["enterprise"].name in out and "700000.00" in out
    code, out, err = await _fupin(
        db, "commendation", "rank", "--round", str(found.id), "--format", "json"
    )
    assert code == 0, err
    (entry,) = json.loads(out)["nominations"]
    assert entry["figures"]["total_confirmed_fen"] == 70_000_000
    code, _out, err = await _fupin(db, "commendation", "rank", "--round", "999")
    assert code == 1 and "round_id" in err
