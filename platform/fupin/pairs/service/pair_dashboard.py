"""One pair's dashboard and its annual self-assessment report (docs/domain.md §3.3, docs/rules.md §6).

For a pair-year: the targets and reported figures of every indicator against the lagging
schedule, the platform's own record of the pair's money (docs/rules.md §6.2, last paragraph: what the
helper itself pledged and gave for needs in its helped region, and what the participants it
mobilised did under its attribution), the needs and villages it reached, its years and months,
and the needs left unfunded in its helped region. Read from one snapshot, from the rollups, like
the region dashboards (``fupin.pairs.service.dashboards``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.accounts.models import Pair
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.core.sql import rows as _rows
from fupin.db import read_snapshot
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.pairs.models import PairFigure, PairYear
from fupin.pairs.rules.alerts import (
    INDICATOR_BY_CODE,
    INDICATORS,
    MONEY,
    PLATFORM_MONEY_INDICATOR,
    STATUS_LABELS,
    UNFUNDED_DAYS_DEFAULT,
    FigureAlert,
    Progress,
    assess,
    figure_alerts,
)
from fupin.pairs.service.access import load_pair, require_pair_view
from fupin.pairs.service.aggregates import (
    MONEY_MOVED,
    PairMoney,
    as_int,
    pair_money,
    region_condition,
    rollup_months,
)
from fupin.pairs.service.alerts import alert_row, lagging_table, unfunded_needs, unfunded_table
from fupin.pairs.service.figures import year_figures
from fupin.pairs.service.tables import Column, Table, month_series, state_table
from fupin.regions.models import Region


@dataclass
class IndicatorLine:
    code: str
    label: str
    unit: str
    target: int | None
    reported: int | None
    progress: Progress


@dataclass
class PairDashboard:
    pair: Pair
    year: int
    today: date
    money: PairMoney
    indicators: list[IndicatorLine]
    alerts: list[FigureAlert]
    grade: str
    summary_text: str
    note: str
    tables: dict[str, Table]
    years: list[int]


async def pair_dashboard(
    *,
    actor: Actor | None,
    pair_id: int,
    year: int | None = None,
    today: date | None = None,
    unfunded_days: int = UNFUNDED_DAYS_DEFAULT,
) -> PairDashboard:
    """A pair's page, read from one snapshot like the region dashboards."""
    async with read_snapshot():
        return await _pair_dashboard(
            actor=actor, pair_id=pair_id, year=year, today=today, unfunded_days=unfunded_days
        )


async def _pair_dashboard(
    *,
    actor: Actor | None,
    pair_id: int,
    year: int | None,
    today: date | None,
    unfunded_days: int,
) -> PairDashboard:
    pair = await load_pair(pair_id)
    require_pair_view(actor, pair)
    today = today or today_cn()
    if year is None:
        year = min(max(today.year, pair.start_year), pair.end_year or today.year)
    if (
        year < pair.start_year
        or (pair.end_year is not None and year > pair.end_year)
        or year > today.year + 1
    ):
        raise InvalidInput(
            _(
                "%(y)d 年不在该结对的执行期（%(a)d–%(b)s）内。",
                y=year,
                a=pair.start_year,
                b=str(pair.end_year) if pair.end_year else _("至今"),
            ),
            field="year",
        )
    money = (await pair_money([pair], year, today))[pair.id]
    figures = await year_figures(pair.id, year)
    platform = money.total
    indicators = []
    for indicator in INDICATORS:
        target = figures.targets.get(indicator.code)
        reported = figures.reported.get(indicator.code)
        if target is None and reported is None and pair.kind not in indicator.kinds:
            continue
        actual = reported
        if indicator.code == PLATFORM_MONEY_INDICATOR:
            actual = max(reported or 0, platform.received_fen)
        indicators.append(
            IndicatorLine(
                indicator.code,
                _(indicator.label),
                indicator.unit,
                target,
                reported,
                assess(target, actual, year, today),
            )
        )
    alerts = figure_alerts(
        year=year,
        today=today,
        targets=figures.targets,
        reported=figures.reported,
        platform_money_fen=platform.received_fen,
    )
    tables: dict[str, Table] = {}
    tables["money_indicators"], tables["other_indicators"] = _indicator_tables(
        indicators, platform.received_fen
    )
    tables["platform"] = _platform_table(money)
    tables["projects"] = await pair_projects(pair, year)
    tables["villages"] = await pair_villages(pair, year)
    tables["years"] = await _pair_years(pair, today)
    tables["monthly"] = await _pair_monthly(pair, year)
    unfunded_rows, unfunded_total = await unfunded_needs(
        regions=[pair.helped_region], within=None, today=today, days=unfunded_days
    )
    tables["unfunded"] = unfunded_table(unfunded_rows, unfunded_days, unfunded_total)
    tables["lagging"] = lagging_table(
        [
            alert_row(pair, f"{pair.helper.name} → {pair.helped_region.name}", a, year)
            for a in alerts
        ]
    )
    pair_year = figures.pair_year
    this_year = today.year
    last = min(pair.end_year or this_year + 1, this_year + 1)
    return PairDashboard(
        pair=pair,
        year=year,
        today=today,
        money=money,
        indicators=indicators,
        alerts=alerts,
        grade=pair_year.grade if pair_year else "",
        summary_text=pair_year.summary if pair_year else "",
        note=pair_year.note if pair_year else "",
        tables=tables,
        years=list(range(last, pair.start_year - 1, -1)),
    )


def _indicator_tables(indicators: list[IndicatorLine], platform_fen: int) -> tuple[Table, Table]:
    money_rows, other_rows = [], []
    for line in indicators:
        row = {
            "indicator": line.label,
            "code": line.code,
            "target": line.target,
            "reported": line.reported,
            "expected_pct": line.progress.expected_pct * 100 if line.target else None,
            "actual_pct": line.progress.actual_pct * 100 if line.target else None,
            "status": _(STATUS_LABELS[line.progress.status]),
            "_status": line.progress.status,
        }
        if line.unit == MONEY:
            row["platform"] = platform_fen if line.code == PLATFORM_MONEY_INDICATOR else None
            money_rows.append(row)
        else:
            row["unit"] = _("人") if line.unit == "people" else _("个")
            other_rows.append(row)
    base = [Column("indicator", _("指标")), Column("code", _("代码"))]
    tail = [
        Column("expected_pct", _("应完成"), "pct"),
        Column("actual_pct", _("已完成"), "pct"),
        Column("status", _("进度")),
    ]
    money_table = Table(
        "money_indicators",
        _("资金类指标：目标与完成"),
        [
            *base,
            Column("target", _("目标"), "yuan"),
            Column("reported", _("报告数"), "yuan"),
            Column("platform", _("平台到账"), "yuan"),
            *tail,
        ],
        money_rows,
        _("社会帮扶资金的完成比例取报告数与平台到账中较大者。"),
    )
    other_table = Table(
        "other_indicators",
        _("人才、劳务、产业和结对指标"),
        [
            *base,
            Column("unit", _("单位")),
            Column("target", _("目标"), "int"),
            Column("reported", _("报告数"), "int"),
            *tail,
        ],
        other_rows,
    )
    return money_table, other_table


def _platform_table(money: PairMoney) -> Table:
    rows = []
    for key, label, m in (
        ("helper", _("帮扶方自身"), money.helper),
        ("mobilised", _("动员的参与方"), money.mobilised),
        ("total", _("合计"), money.total),
    ):
        rows.append(
            {
                "who": label,
                "_key": key,
                "pledges": m.pledges,
                "pledged_fen": m.pledged_fen,
                "received_fen": m.received_fen,
                "due": m.honour.due_count,
                "honoured": m.honour.honoured_count,
                "honour_pct": m.honour_pct_x100,
                "paid_pct": m.paid_pct_x100,
            }
        )
    columns = [
        Column("who", _("来源")),
        Column("pledges", _("认捐笔数"), "int"),
        Column("pledged_fen", _("认捐"), "yuan"),
        Column("received_fen", _("到账"), "yuan"),
        Column("due", _("到期笔数"), "int"),
        Column("honoured", _("已兑现笔数"), "int"),
        Column("honour_pct", _("兑现率（笔数）"), "pct"),
        Column("paid_pct", _("兑现率（金额）"), "pct"),
    ]
    return Table("platform", _("平台记录：帮扶地区内的认捐与到账"), columns, rows)


def pair_rows(pair: Pair, period: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    """Rollup rows of a pair's money (docs/rules.md §6.2) in ``period``, for needs in its helped region:
    the helper's own (``who``), and what others gave under the pair's attribution."""
    when, when_params = period
    scope, scope_params = region_condition(pair.helped_region)
    return (
        f"{when} AND {scope} AND (n.who = ? OR n.pair_id = ?)",
        [*when_params, *scope_params, pair.helper_id, pair.id],
    )


async def pair_projects(pair: Pair, year: int | None) -> Table:
    """Needs with a pledge (not withdrawn) made in the year by the helper or under its
    attribution, by category and state."""
    mine, mine_params = pair_rows(pair, rollup_months(year))
    rows = await _rows(
        "WITH x AS MATERIALIZED (SELECT n.need_id AS need_id FROM rollup_need_money n "
        f"WHERE {mine} GROUP BY n.need_id "
        "HAVING SUM(n.pledges) > SUM(n.withdrawn)) "
        "SELECT d.category AS c, d.state AS s, COUNT(*) AS k FROM x JOIN need d ON d.id = x.need_id "
        "GROUP BY d.category, d.state",
        mine_params,
    )
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        states[row["c"]][row["s"]] += as_int(row["k"])
    table = state_table(states)
    table.name = "projects"
    table.title = _("帮扶的项目：按类别和状态")
    table.note = _("当年帮扶方或其动员的参与方认捐（未撤回）的需求。")
    return table


async def pair_villages(pair: Pair, year: int | None) -> Table:
    mine, mine_params = pair_rows(pair, rollup_months(year))
    rows = await _rows(
        "WITH x AS MATERIALIZED (SELECT n.need_id AS need_id, n.region_id AS rid, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS amt FROM rollup_need_money n "
        f"WHERE {mine} AND n.region_id <> n.county_code "
        "GROUP BY n.need_id, n.region_id HAVING SUM(n.donations) > 0) "
        "SELECT rid, CAST(SUM(amt) AS BIGINT) AS amt, COUNT(*) AS k FROM x GROUP BY rid",
        mine_params,
    )
    rows = [r for r in rows if as_int(r["amt"]) > 0]
    places = {r.code: r for r in await Region.filter(code__in=[r["rid"] for r in rows])}
    out = [
        {
            "village": places[r["rid"]].full_name if r["rid"] in places else r["rid"],
            "code": r["rid"],
            "needs": as_int(r["k"]),
            "received_fen": as_int(r["amt"]),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["received_fen"], r["code"]))
    columns = [
        Column("village", _("村")),
        Column("code", _("代码")),
        Column("needs", _("需求数"), "int"),
        Column("received_fen", _("到账"), "yuan"),
    ]
    return Table(
        "villages", _("受益村"), columns, out, _("当年收到帮扶方或其动员的参与方捐赠的村。")
    )


async def _pair_years(pair: Pair, today: date) -> Table:
    last = min(pair.end_year or today.year, today.year)
    years = list(range(pair.start_year, last + 1))[-10:]
    figures: dict[int, dict[str, tuple[int | None, int | None]]] = defaultdict(dict)
    year_ids = {y.id: y.year for y in await PairYear.filter(pair_id=pair.id)}
    for f in await PairFigure.filter(
        pair_year_id__in=list(year_ids),
        indicator__in=[PLATFORM_MONEY_INDICATOR, "fiscal_aid", "funds_invested"],
    ):
        figures[year_ids[f.pair_year_id]][f.indicator] = (f.target, f.reported)
    received: dict[str, int] = {}
    if years:
        mine, mine_params = pair_rows(pair, ("n.year >= ? AND n.year <= ?", [years[0], years[-1]]))
        rows = await _rows(
            "SELECT n.year AS y, CAST(SUM(n.received_fen) AS BIGINT) AS amt "
            f"FROM rollup_pair_money n WHERE {mine} GROUP BY n.year",
            mine_params,
        )
        received = {str(r["y"]): as_int(r["amt"]) for r in rows}
    funds = "fiscal_aid" if pair.kind == "east_west" else "funds_invested"
    out = []
    for y in years:
        social = figures[y].get(PLATFORM_MONEY_INDICATOR, (None, None))
        fiscal = figures[y].get(funds, (None, None))
        out.append(
            {
                "year": str(y),
                "social_target_fen": social[0],
                "social_reported_fen": social[1],
                "platform_received_fen": received.get(str(y), 0),
                "funds_target_fen": fiscal[0],
                "funds_reported_fen": fiscal[1],
            }
        )
    funds_label = _(INDICATOR_BY_CODE[funds].label)
    columns = [
        Column("year", _("年份")),
        Column("social_target_fen", _("社会帮扶资金目标"), "yuan"),
        Column("social_reported_fen", _("社会帮扶资金报告数"), "yuan"),
        Column("platform_received_fen", _("平台到账"), "yuan"),
        Column("funds_target_fen", _("%(x)s目标", x=funds_label), "yuan"),
        Column("funds_reported_fen", _("%(x)s报告数", x=funds_label), "yuan"),
    ]
    return Table("years", _("逐年目标与完成"), columns, out)


async def _pair_monthly(pair: Pair, year: int | None) -> Table:
    """The pair's money (own and mobilised, in the helped region) per month."""
    mine, mine_params = pair_rows(pair, rollup_months(year))
    rows = await _rows(
        "SELECT n.month AS m, CAST(SUM(n.pledged_fen) AS BIGINT) AS p, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS r FROM rollup_need_money n "
        f"WHERE {mine} AND {MONEY_MOVED} GROUP BY n.month",
        mine_params,
    )
    return month_series(rows, year)
