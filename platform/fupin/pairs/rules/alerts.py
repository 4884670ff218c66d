"""What a cooperation pair is assessed on, and when it counts as falling behind (pure).

The indicator catalogue follows docs/rules.md §6: the annual cooperation agreement (年度帮扶协议, east–
west) or responsibility letter (定点扶贫责任书, designated assistance) sets a target per indicator,
and the office records the figure the pair reports at year end. The platform can see only the
money pledged and received through it; everything else is entered (docs/rules.md §6.2, last paragraph).

The lagging schedule is ours, documented here because no national text fixes one (the 2017
assessment rules only fix the year-end timetable, docs/rules.md §6.1). A target is spread over the year
with a back-loaded curve, because agreements are signed in spring and money moves late:

    end of Q1: 10 %   end of Q2: 25 %   end of Q3: 50 %   end of year: 100 %

A pair whose figure is below the expected share at the last completed quarter is *behind*
("under half of a money target by the end of Q3"); after the year has ended a figure
below its target is *missed*. A need in a helped region that is still open (published, not fully
pledged) N days after publication (default 90) is *unfunded*.

Pure: no database, no HTTP. Everything here is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fupin.i18n import N_

MONEY, PEOPLE, COUNT = "money", "people", "count"
EAST_WEST, DESIGNATED = "east_west", "designated"
BOTH = (EAST_WEST, DESIGNATED)


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str  # gettext source (Chinese), marked with N_
    unit: str  # MONEY (integer fen) | PEOPLE | COUNT
    kinds: tuple[str, ...]  # pair kinds whose agreements usually carry it
    group: str  # assessment area (docs/rules.md §6.1: the six areas of the 2017 rules)


#: The indicators of docs/rules.md §6, in the order of the assessment areas. Money is integer fen.
INDICATORS: tuple[Indicator, ...] = (
    # 资金使用 (funds)
    Indicator("fiscal_aid", N_("财政援助资金"), MONEY, (EAST_WEST,), "funds"),
    Indicator("funds_invested", N_("直接投入帮扶资金"), MONEY, (DESIGNATED,), "funds"),
    Indicator("funds_attracted", N_("引进帮扶资金"), MONEY, (DESIGNATED,), "funds"),
    Indicator("social_funds", N_("动员社会帮扶资金（款物）"), MONEY, BOTH, "funds"),
    # 人才交流 (cadre and talent exchange)
    Indicator("cadres_exchanged", N_("互派挂职干部"), PEOPLE, BOTH, "talent"),
    Indicator("talent_exchanged", N_("交流专业技术人才"), PEOPLE, (EAST_WEST,), "talent"),
    Indicator("cadres_trained", N_("培训基层干部"), PEOPLE, BOTH, "talent"),
    Indicator("technicians_trained", N_("培训专业技术人员"), PEOPLE, BOTH, "talent"),
    Indicator("leader_visits", N_("领导干部调研督导"), PEOPLE, (DESIGNATED,), "leadership"),
    # 产业合作 (industrial cooperation)
    Indicator("parks", N_("共建产业园区"), COUNT, (EAST_WEST,), "industry"),
    Indicator("enterprises_invested", N_("引导落地投资企业"), COUNT, (EAST_WEST,), "industry"),
    Indicator("investment", N_("实际到位投资额"), MONEY, (EAST_WEST,), "industry"),
    Indicator("products_purchased", N_("购买脱贫地区农产品"), MONEY, BOTH, "consumption"),
    Indicator("products_sold", N_("帮助销售农产品"), MONEY, BOTH, "consumption"),
    # 劳务协作 (labour cooperation)
    Indicator("labour_placed", N_("帮助农村劳动力就业"), PEOPLE, (EAST_WEST,), "labour"),
    Indicator("labour_placed_poor", N_("其中脱贫人口"), PEOPLE, (EAST_WEST,), "labour"),
    Indicator("workshops", N_("帮扶车间"), COUNT, (EAST_WEST,), "labour"),
    Indicator("workshop_workers", N_("帮扶车间吸纳就业"), PEOPLE, (EAST_WEST,), "labour"),
    # 携手奔小康 (pairings below the pair)
    Indicator("pairings_county", N_("县县结对"), COUNT, (EAST_WEST,), "pairing"),
    Indicator("pairings_township", N_("乡镇结对"), COUNT, (EAST_WEST,), "pairing"),
    Indicator("pairings_village", N_("村村结对"), COUNT, (EAST_WEST,), "pairing"),
    Indicator("pairings_enterprise", N_("企业结对帮扶村"), COUNT, BOTH, "pairing"),
    Indicator("pairings_social_org", N_("社会组织结对帮扶"), COUNT, BOTH, "pairing"),
    Indicator("pairings_school", N_("学校结对"), COUNT, (EAST_WEST,), "pairing"),
    Indicator("pairings_hospital", N_("医院结对"), COUNT, (EAST_WEST,), "pairing"),
    # projects and people reached
    Indicator("projects", N_("实施帮扶项目"), COUNT, BOTH, "projects"),
    Indicator("beneficiaries", N_("带动脱贫人口受益"), PEOPLE, BOTH, "projects"),
)
INDICATOR_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}

GROUP_LABELS: dict[str, str] = {
    "leadership": N_("组织领导"),
    "funds": N_("资金使用"),
    "talent": N_("人才交流"),
    "industry": N_("产业合作"),
    "consumption": N_("消费帮扶"),
    "labour": N_("劳务协作"),
    "pairing": N_("携手奔小康"),
    "projects": N_("项目与受益"),
}

#: The platform's own money figure is compared with the target for social funds mobilised:
#: it is the part of that indicator the platform can see (docs/rules.md §6.2, last paragraph).
PLATFORM_MONEY_INDICATOR = "social_funds"

#: Largest figure accepted for any indicator: 10^15 fen is ¥10 trillion, far above any pair
#: (the 2023 national total of fiscal aid was 231.9 亿 = 2.3 × 10^12 fen) and inside BIGINT.
MAX_FIGURE = 10**15

#: Expected share (percent) of a yearly target by the number of completed quarters.
QUARTER_SCHEDULE: dict[int, int] = {0: 0, 1: 10, 2: 25, 3: 50, 4: 100}

#: Days after publication after which a still-open need in a helped region is flagged.
UNFUNDED_DAYS_DEFAULT = 90

ON_TRACK, BEHIND, MISSED, DONE, NO_TARGET, NOT_STARTED = (
    "on_track",
    "behind",
    "missed",
    "done",
    "no_target",
    "not_started",
)
STATUS_LABELS: dict[str, str] = {
    ON_TRACK: N_("按进度"),
    BEHIND: N_("进度滞后"),
    MISSED: N_("未完成"),
    DONE: N_("已完成"),
    NO_TARGET: N_("无目标"),
    NOT_STARTED: N_("未开始"),
}


def indicators_for(kind: str) -> tuple[Indicator, ...]:
    """The indicators usually agreed for a pair of this kind, in catalogue order."""
    return tuple(i for i in INDICATORS if kind in i.kinds)


def completed_quarters(year: int, today: date) -> int:
    """Quarters of ``year`` that have ended by ``today`` (0–4)."""
    if year < today.year:
        return 4
    if year > today.year:
        return 0
    return (today.month - 1) // 3


def expected_share_pct(year: int, today: date) -> int:
    return QUARTER_SCHEDULE[completed_quarters(year, today)]


@dataclass(frozen=True)
class Progress:
    status: str
    expected_pct: int  # share of the target expected by now
    actual_pct: int  # share of the target reached (floored, may exceed 100)
    quarters: int


def assess(target: int | None, actual: int | None, year: int, today: date) -> Progress:
    """Compare one figure with its yearly target along QUARTER_SCHEDULE.

    Integer arithmetic only: ``actual * 100 < target * expected`` avoids rounding a figure that
    is exactly on the line into "behind".
    """
    quarters = completed_quarters(year, today)
    expected = QUARTER_SCHEDULE[quarters]
    reached = actual or 0
    if not target or target <= 0:
        return Progress(NO_TARGET, expected, 0, quarters)
    actual_pct = reached * 100 // target
    if reached >= target:
        return Progress(DONE, expected, actual_pct, quarters)
    if quarters == 0:
        return Progress(NOT_STARTED, expected, actual_pct, quarters)
    if reached * 100 < target * expected:
        return Progress(MISSED if quarters == 4 else BEHIND, expected, actual_pct, quarters)
    return Progress(ON_TRACK, expected, actual_pct, quarters)


def is_lagging(progress: Progress) -> bool:
    return progress.status in (BEHIND, MISSED)


@dataclass(frozen=True)
class FigureAlert:
    indicator: str
    target: int
    actual: int
    progress: Progress
    source: str  # "reported" (entered by the office) or "platform" (computed from records)


def figure_alerts(
    *,
    year: int,
    today: date,
    targets: dict[str, int | None],
    reported: dict[str, int | None],
    platform_money_fen: int | None = None,
) -> list[FigureAlert]:
    """Every indicator of one pair-year that is behind the schedule.

    For social funds the better of the reported figure and the platform's own received money
    counts: the platform sees only part of what a pair mobilises, so its figure alone must not
    make a pair look behind when the reported one is on track.
    """
    alerts: list[FigureAlert] = []
    for indicator in INDICATORS:
        target = targets.get(indicator.code)
        if not target:
            continue
        actual = reported.get(indicator.code) or 0
        source = "reported"
        if (
            indicator.code == PLATFORM_MONEY_INDICATOR
            and platform_money_fen is not None
            and platform_money_fen > actual
        ):
            actual, source = platform_money_fen, "platform"
        progress = assess(target, actual, year, today)
        if is_lagging(progress):
            alerts.append(FigureAlert(indicator.code, target, actual, progress, source))
    return alerts


def unfunded_cutoff(now: datetime, days: int = UNFUNDED_DAYS_DEFAULT) -> datetime:
    """Needs published at or before this instant and still open count as unfunded."""
    if days < 1:
        raise ValueError("days must be positive")
    return now - timedelta(days=days)


def top_share_pct_x100(amounts: list[int], share_pct: int = 10) -> int:
    """Concentration: the share (in hundredths of a percent) of the total that reaches the top
    ``share_pct`` % of units (villages), ranked by amount. The top group has ceil(n × share / 100)
    members, at least one. 0 when nothing was received."""
    if not amounts:
        return 0
    total = sum(amounts)
    if total <= 0:
        return 0
    ranked = sorted(amounts, reverse=True)
    top_n = max(1, -(-len(ranked) * share_pct // 100))
    return sum(ranked[:top_n]) * 10000 // total


def honour_rate_pct_x100(honoured_fen: int, due_fen: int) -> int | None:
    """Honoured share of what was due, in hundredths of a percent; None when nothing was due."""
    if due_fen <= 0:
        return None
    return min(honoured_fen, due_fen) * 10000 // due_fen
