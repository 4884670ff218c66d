"""`fupin pairs report|alerts|list`, `fupin dashboard` and `fupin rollups verify|rebuild`:
thin shells over the dashboards.

The command line runs on the server with the operator's database access, so it reads as the
national office (a read-only actor; these commands write nothing).

    fupin pairs report --pair 12 --year 2025            # the self-assessment report as text
    fupin pairs report --pair 12 --year 2025 --format json > report.json
    fupin pairs alerts --year 2025 --region 530000      # lagging pairs, unfunded needs
    fupin dashboard --year 2025 --table regions --output regions.xlsx
    fupin rollups verify                                # dashboards' money rollups = records?
    fupin rollups rebuild                               # rebuild them (after a bulk load)
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from pathlib import Path
from typing import Any

import click

from fupin.core import exports
from fupin.core.cli import load_settings, run_with_db
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan
from fupin.core.policy import Actor
from fupin.core.schemas import validate
from fupin.errors import FupinError
from fupin.pairs.schemas import PairDashboard, RegionDashboardQuery
from fupin.pairs.service import alerts, dashboards
from fupin.pairs.service.pair_dashboard import pair_dashboard
from fupin.pairs.service.tables import export_columns, pct_text
from fupin.regions.models import Region

#: Read-only operator identity for the command line (never written to the audit log).
CLI_ACTOR_ROLE = "national_admin"


def _actor() -> Actor:
    return Actor(user_id=0, username="cli", role=CLI_ACTOR_ROLE)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "yuan":
        return format_yuan(int(value))
    if kind == "pct":
        return pct_text(value)
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def table_text(table: Any) -> str:
    """A dashboard table as aligned plain text (CJK characters count double)."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    header = [c.label for c in table.columns]
    body = [[_cell(row.get(c.key), c.kind) for c in table.columns] for row in table.rows]
    widths = [max([width(h)] + [width(r[i]) for r in body]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        out = []
        for i, text in enumerate(cells):
            pad = " " * (widths[i] - width(text))
            numeric = table.columns[i].kind in ("int", "yuan", "pct")
            out.append(pad + text if numeric else text + pad)
        return "  ".join(out).rstrip()

    lines = [f"== {table.title} ==", line(header), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in body] or ["(无数据)"]
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)


@click.group(help="Cooperation pairs: self-assessment reports, alerts, the list of pairs.")
def pairs() -> None:
    pass


@pairs.command("report", help="Annual self-assessment report of one pair-year.")
@click.option("--pair", "pair_id", type=int, required=True, help="Pair id.")
@click.option("--year", type=int, default=None, help="Year (default: this year within the term).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def pairs_report(pair_id: int, year: int | None, fmt: str) -> None:
    settings = load_settings()
    try:
        d = run_with_db(
            settings, lambda: pair_dashboard(actor=_actor(), pair_id=pair_id, year=year)
        )
    except FupinError as exc:
        raise click.ClickException(exc.message) from exc
    if fmt == "json":  # as GET /api/v1/dashboards/pairs/{id} answers
        click.echo(PairDashboard.model_validate(d).model_dump_json(indent=2))
        return
    pair = d.pair
    click.echo(f"{pair.helper.name} → {pair.helped_region.full_name or pair.helped_region.name}")
    click.echo(
        f"{d.year} 年度帮扶工作自评报告 · 执行期 {pair.start_year}–{pair.end_year or '至今'}"
    )
    if d.summary_text:
        click.echo("")
        click.echo(d.summary_text)
    for name in (
        "money_indicators",
        "other_indicators",
        "platform",
        "projects",
        "villages",
        "lagging",
    ):
        click.echo("")
        click.echo(table_text(d.tables[name]))


@pairs.command("alerts", help="Pairs behind schedule and long-unfunded needs in helped regions.")
@click.option("--year", type=int, default=None)
@click.option("--region", default=None, help="Province or county code (default: national).")
@click.option(
    "--days", type=int, default=90, show_default=True, help="Unfunded after this many days."
)
def pairs_alerts(year: int | None, region: str | None, days: int) -> None:
    settings = load_settings()
    try:
        data = run_with_db(
            settings,
            lambda: alerts.alerts(
                actor=_actor(), region_code=region, year=year, unfunded_days=days
            ),
        )
    except FupinError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{data.year} · 进度表 {data.schedule}")
    click.echo(f"进度滞后 {len(data.lagging)} 项:")
    for row in data.lagging:
        click.echo(
            f"  #{row['pair_id']} {row['pair']} · {row['indicator']} {row['actual']:,}/{row['target']:,}{row['unit']}"
            f" · 应完成 {row['expected_pct'] // 100}% 已完成 {row['actual_pct'] // 100}% · {row['status']}"
        )
    click.echo(f"发布超过 {days} 天仍未认捐满额的需求 {data.unfunded_total} 条:")
    for row in data.unfunded[:20]:
        click.echo(f"  #{row['id']} {row['title']} · {row['place']} · {row['days_open']} 天")


@pairs.command("list", help="Pairs in force in a year with target against actual.")
@click.option("--year", type=int, default=None)
def pairs_list(year: int | None) -> None:
    settings = load_settings()

    async def job() -> Any:
        return await alerts.pair_overview(actor=_actor(), year=year or today_cn().year)

    overview = run_with_db(settings, job)
    click.echo(table_text(overview.table))


@click.command(
    "dashboard", help="Print or export one table of the national/province/county dashboard."
)
@click.option("--year", default=None, help="Year or 'all' (default: this year).")
@click.option("--region", default=None, help="Province or county code (default: national).")
@click.option("--table", "table_name", default="regions", show_default=True)
@click.option(
    "--output", type=click.Path(path_type=Path), default=None, help="Write .csv or .xlsx."
)
def dashboard(year: str | None, region: str | None, table_name: str, output: Path | None) -> None:
    settings = load_settings()

    async def job() -> Any:
        level, code = "national", None
        if region:
            found = await Region.get_or_none(code=region)
            if found is None or found.level not in ("province", "county"):
                raise click.ClickException(f"no province or county {region!r}")
            level, code = found.level, found.code
        query = validate(RegionDashboardQuery, {"year": year} if year else {})
        started = time.perf_counter()
        d = await dashboards.region_dashboard(
            actor=_actor(), level=level, code=code, year=query.year
        )
        return d, time.perf_counter() - started

    try:
        d, seconds = run_with_db(settings, job)
    except FupinError as exc:
        raise click.ClickException(exc.message) from exc
    if table_name not in d.tables:
        raise click.ClickException(f"tables: {', '.join(d.tables)}")
    table = d.tables[table_name]
    if output is None:
        click.echo(table_text(table))
        click.echo(f"(computed in {seconds:.3f} s)")
        return
    columns, rows = export_columns(table)
    if output.suffix.lower() == ".xlsx":
        output.write_bytes(asyncio.run(exports.xlsx_bytes(columns, rows, sheet_title=table.name)))
    else:
        output.write_bytes(exports.csv_bytes(columns, rows))
    click.echo(f"wrote {len(rows)} rows to {output}")


commands = [pairs, dashboard]
