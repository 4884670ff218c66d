"""The pairs API contract: cooperation pairs and their management, the targets and reported
figures of a pair-year, and the dashboards built on them.

Money is integer fen everywhere here (the HTML figures form takes 万元, through its own schema
below; the API never guesses a unit): a figure is an integer or null. Percentages are hundredths
of a percent (``*_pct_x100``, and the ``pct`` columns of a table). A dashboard table's rows are
objects keyed by its columns' keys; the keys the pages use for links (``_href`` …) never reach
the API (``public_row``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasPath,
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fupin.accounts.models import PAIR_KINDS
from fupin.core.clock import today_cn
from fupin.core.schemas import Body, Id, Out, PageQuery, PathParams, Query, RegionCode
from fupin.pairs.models import GRADES, PAIR_EVENT_ACTIONS
from fupin.pairs.rules.alerts import INDICATORS, MAX_FIGURE, UNFUNDED_DAYS_DEFAULT, Indicator
from fupin.pairs.rules.figures import FigureError, parse_figure
from fupin.pairs.rules.terms import (
    FIRST_DASHBOARD_YEAR,
    FIRST_PAIR_YEAR,
    LAST_YEAR,
    NOTE_MAX,
    PERIOD_MAX,
    REPORT_TEXT_MAX,
)

Kind = Literal[PAIR_KINDS]  # the tuple spreads: Literal["east_west", "designated"]
Grade = Literal[GRADES]
#: A grade to record, or None (null, absent): leave it as it is. One literal, not a union, so a
#: wrong value is "not one of the choices" whatever its type.
GradeOrKeep = Literal[(*GRADES, None)]
#: A year a pair may name (its start, its end, a figure's year).
PairYearNumber = Annotated[int, Field(ge=FIRST_PAIR_YEAR, le=LAST_YEAR)]
#: A year a dashboard or a pair-year of the API may name.
DashboardYear = Annotated[int, Field(ge=FIRST_DASHBOARD_YEAR, le=LAST_YEAR)]
#: Days after publication after which a need still open counts as unfunded.
Days = Annotated[int, Field(ge=1, le=3650)]
#: A timestamp as ``isoformat()`` writes it (``…+00:00``), as this API always has.
Instant = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


def this_year() -> int:
    return today_cn().year


def public_row(row: Any) -> Any:
    """A table row without the keys only the pages use (``_href``, ``_status`` …)."""
    if isinstance(row, dict):
        return {k: v for k, v in row.items() if not k.startswith("_")}
    return row


# ---- pairs --------------------------------------------------------------------------------------


class PairHelper(Out):
    """The helping participant: a central unit, an east partner, a democratic party …"""

    id: int
    name: str
    kind: str


class PairRegion(Out):
    """The helped region: a province, a prefecture or a county."""

    code: str
    name: str
    level: str
    full_name: str


class Pair(Out):
    """A cooperation pair (east–west cooperation, designated assistance) and its term."""

    id: int
    kind: Kind
    helper: PairHelper
    helped_region: PairRegion
    start_year: int
    end_year: int | None = Field(description="Last year of the term; null while in force")
    period: str = Field(description="Batch label, e.g. 2021-")
    source: str
    verification: str
    replaces_id: int | None = Field(description="The pair this one re-drew")


class PairQuery(PageQuery):
    kind: Kind | None = None
    helper: Id | None = Field(None, description="Pairs of this helper (participant id)")
    region: RegionCode | None = Field(
        None, description="Pairs helping this region or a region containing it"
    )
    year: int | None = Field(None, ge=1, le=9999, description="Pairs in force in this year")


class PairPath(PathParams):
    pair_id: Id


class PairCreate(Body):
    """A pair the office has agreed (the new-pair form posts the same fields)."""

    kind: Kind
    helper_id: Id = Field(description="The helping participant")
    helped_region_code: RegionCode
    start_year: PairYearNumber
    end_year: PairYearNumber | None = Field(None, description="Last year; null while in force")
    period: str = Field("", max_length=PERIOD_MAX, description="Batch label, e.g. 2021-")
    note: str = Field("", max_length=NOTE_MAX)


class PairEnd(Body):
    end_year: PairYearNumber = Field(description="The pair's last year")
    reason: str = Field("", max_length=NOTE_MAX)


class PairRedraw(Body):
    """A new pair replacing this one from ``start_year``; the old one ends the year before."""

    start_year: PairYearNumber
    end_year: PairYearNumber | None = None
    helper_id: Id | None = Field(None, description="The new helper; absent keeps the old one")
    helped_region_code: RegionCode | None = Field(
        None, description="The new helped region; absent keeps the old one"
    )
    period: str = Field("", max_length=PERIOD_MAX)
    reason: str = Field("", max_length=NOTE_MAX)


class PairManaged(Out):
    """A pair as its management returns it."""

    id: int
    kind: Kind
    helper_id: int
    helped_region_code: str = Field(validation_alias="helped_region_id")
    start_year: int
    end_year: int | None
    period: str
    replaces_id: int | None


class PairHistoryEvent(Out):
    id: int
    pair_id: int
    action: Literal[PAIR_EVENT_ACTIONS]
    other_pair_id: int | None = Field(
        description="The other pair of a re-drawing (successor or predecessor)"
    )
    year: int | None
    reason: str
    actor: str = Field(validation_alias="actor_label")
    at: Instant


class PairHistory(Out):
    """The events of a pair and of the pairs it replaced, oldest first."""

    pair_id: int
    events: list[PairHistoryEvent]


# ---- the figures of a pair-year -------------------------------------------------------------


#: One figure: fen for money indicators, people or a count otherwise.
Figure = Annotated[int, Field(ge=0, le=MAX_FIGURE)]
FIGURES_DESCRIPTION = (
    "indicator code → integer (fen for money indicators, people or count otherwise) or null"
)


class PairYearPath(PathParams):
    pair_id: Id
    year: int = Field(
        ge=1, le=LAST_YEAR, description="A calendar year; figures are kept inside the pair's term"
    )


class PairYearFigures(Out):
    """The targets and reported figures of one pair-year, and its assessment notes."""

    pair_id: int
    year: int
    grade: Grade
    summary: str
    note: str
    targets: dict[str, int | None] = Field(description=FIGURES_DESCRIPTION)
    reported: dict[str, int | None] = Field(description=FIGURES_DESCRIPTION)


def _relocated(exc: ValidationError, renames: dict[str, str]) -> ValidationError:
    """``exc`` with the first part of nested locations renamed (``targets.x`` → ``target.x``)."""
    errors: list[Any] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if len(loc) > 1 and loc[0] in renames:
            loc = (renames[str(loc[0])], *loc[1:])
        detail: dict[str, Any] = {"type": error["type"], "loc": loc, "input": error["input"]}
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        errors.append(detail)
    return ValidationError.from_exception_data(exc.title, errors)


class PairYearFiguresUpdate(Body):
    """Targets and/or reported figures to record; indicators not mentioned stay as they are."""

    targets: dict[str, Figure | None] | None = Field(
        None, description=FIGURES_DESCRIPTION + "; null clears the figure"
    )
    reported: dict[str, Figure | None] | None = Field(
        None, description=FIGURES_DESCRIPTION + "; null clears the figure"
    )
    grade: GradeOrKeep = None
    summary: str | None = Field(None, max_length=REPORT_TEXT_MAX)
    note: str | None = Field(None, max_length=REPORT_TEXT_MAX)

    @model_validator(mode="wrap")
    @classmethod
    def _figures_named_as_everywhere(cls, data: Any, handler: Any) -> Any:
        """A figure's problem names it ``target.<code>`` / ``reported.<code>``, as the HTML form
        and the service do (one name for one figure, whichever door it came through)."""
        try:
            return handler(data)
        except ValidationError as exc:
            raise _relocated(exc, {"targets": "target"}) from None


def _figure_field(indicator: Indicator, *, target: bool) -> Any:
    """One figure of the HTML form: text (money in 万元), the grammar of
    ``fupin.pairs.rules.figures``; its problems are named as the form names the input."""

    def parse(value: Any) -> int | None:
        try:
            return parse_figure(value, indicator, target=target)
        except FigureError as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    name = f"{'target' if target else 'reported'}.{indicator.code}"
    return (Annotated[int | None, BeforeValidator(parse)], Field(None, alias=name))


class _PairYearFiguresFormBase(Body):
    year: PairYearNumber
    grade: Grade | None = None
    summary: str | None = Field(None, max_length=REPORT_TEXT_MAX)
    note: str | None = Field(None, max_length=REPORT_TEXT_MAX)

    def figures(self, side: Literal["target", "reported"]) -> dict[str, int | None]:
        """Every indicator's figure on one side (a blank input clears the figure)."""
        return {i.code: getattr(self, f"{side}__{i.code}") for i in INDICATORS}


#: The figures form (``/dashboards/pairs/{id}/figures``): ``year``, ``grade``, ``summary``,
#: ``note``, and ``target.<code>`` / ``reported.<code>`` for every indicator, money in 万元.
PairYearFiguresForm = create_model(
    "PairYearFiguresForm",
    __base__=_PairYearFiguresFormBase,
    **{
        f"{side}__{indicator.code}": _figure_field(indicator, target=side == "target")
        for side in ("target", "reported")
        for indicator in INDICATORS
    },
)


# ---- dashboards -------------------------------------------------------------------------------


def _year_or_all(value: Any) -> Any:
    return None if value == "all" else value


#: ``?year=``: a year, or ``all`` (None: every year).
YearOrAll = Annotated[
    DashboardYear | None,
    BeforeValidator(_year_or_all),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": FIRST_DASHBOARD_YEAR, "maximum": LAST_YEAR},
                {"const": "all"},
            ]
        },
        mode="validation",
    ),
]


class RegionDashboardQuery(Query):
    year: YearOrAll = Field(
        default_factory=this_year,
        description="Calendar year (China time), or `all`; default this year",
    )
    days: Days = Field(
        UNFUNDED_DAYS_DEFAULT,
        description="Needs open this many days after publication count as unfunded",
    )


class DashboardRegionPath(PathParams):
    code: RegionCode


class AlertsQuery(Query):
    region: RegionCode | None = Field(
        None, description="A province or county code; default national"
    )
    year: DashboardYear = Field(default_factory=this_year, description="Default this year")
    days: Days = Field(
        UNFUNDED_DAYS_DEFAULT,
        description="Needs open this many days after publication count as unfunded",
    )


class YearQuery(Query):
    year: DashboardYear = Field(default_factory=this_year, description="Default this year")


class PairDashboardQuery(Query):
    year: DashboardYear | None = Field(
        None, description="Default this year, inside the pair's term"
    )
    days: Days = Field(
        UNFUNDED_DAYS_DEFAULT,
        description="Needs open this many days after publication count as unfunded",
    )


class ExportQuery(Query):
    """A dashboard page's ``?export=<table>&format=csv|xlsx``."""

    export: str | None = Field(None, max_length=40)
    format: Literal["csv", "xlsx"] = "csv"


class DashboardColumn(Out):
    key: str
    label: str
    kind: Literal["text", "int", "yuan", "pct"] = Field(
        description="yuan: integer fen; pct: hundredths of a percent, null shown as —"
    )


Cell = str | int | None


class DashboardTable(Out):
    """What a page shows as a table, a chart and an export, with the same numbers."""

    name: str
    title: str
    note: str
    columns: list[DashboardColumn]
    rows: list[dict[str, Cell]] = Field(
        description="One object per row, keyed by the columns' keys"
    )

    @field_validator("rows", mode="before")
    @classmethod
    def _public(cls, rows: Any) -> Any:
        return [public_row(row) for row in rows] if isinstance(rows, list) else rows


class DashboardHonourRate(Out):
    """The one honour rate (``money.rules.honour``) of the pledges settled in the period."""

    due_count: int
    honoured_count: int
    rate_percent: int | None
    due_fen: int
    paid_fen: int
    amount_rate_percent: int | None


class DashboardMoney(Out):
    pledged_fen: int
    received_fen: int
    pledges: int
    honour: DashboardHonourRate
    honour_pct_x100: int | None
    paid_pct_x100: int | None


class DashboardTargeting(Out):
    """Money reaching the poor places and its spread within them (national and province)."""

    received_fen: int
    to_832_fen: int
    to_sanqu_fen: int
    to_poor_villages_fen: int
    share_832_pct_x100: int | None = Field(description="Hundredths of a percent of received_fen")
    share_sanqu_pct_x100: int | None
    share_poor_villages_pct_x100: int | None
    counties_832: int = Field(description="832 counties that asked or received money")
    gini_832: float = Field(description="Gini of the money across those counties")
    top10_832: float = Field(description="Share of that money held by their top 10 %")
    poor_villages: int = Field(description="Registered poor villages that asked or received money")
    gini_poor_villages: float
    top10_poor_villages: float


def _money(name: str) -> Any:
    return Field(validation_alias=AliasPath("money", name))


class DashboardAlertCount(Out):
    """One supervision alert's count at its default threshold, as the dashboard page shows it
    (the list itself: ``/api/v1/supervision/alerts/{code}``)."""

    code: str
    label: str
    threshold: int
    unit: str
    count: int


class RegionDashboard(Out):
    """The national, a province's or a county's dashboard for a year (or all years)."""

    level: Literal["national", "province", "county"]
    region: str | None = Field(validation_alias="region_code")
    region_name: str | None
    year: int | None = Field(description="null: all years")
    needs: int
    target_fen: int
    pledged_fen: int = _money("pledged_fen")
    received_fen: int = _money("received_fen")
    pledges: int = _money("pledges")
    honour: DashboardHonourRate = _money("honour")
    honour_pct_x100: int | None = _money("honour_pct_x100")
    paid_pct_x100: int | None = _money("paid_pct_x100")
    villages_asking: int
    villages_reached: int
    poor_villages_reached: int = Field(
        description="Of the villages reached, registered poor villages (建档立卡, kept by counties)"
    )
    top_villages: int
    concentration_pct_x100: int
    lagging_pairs: int
    unfunded_needs: int
    targeting: DashboardTargeting | None = Field(description="null on a county's dashboard")
    tables: dict[str, DashboardTable]
    supervision: list[DashboardAlertCount] | None = Field(
        None,
        description="The supervision alerts' counts in the dashboard's area, of every year "
        "(null when the caller may not see supervision)",
    )


class PublicRow(Out):
    """A row of a list the pages also show: the page-only keys are dropped."""

    @model_validator(mode="before")
    @classmethod
    def _public(cls, data: Any) -> Any:
        return public_row(data)


class LaggingIndicator(PublicRow):
    """One indicator of a pair behind the schedule."""

    pair_id: int
    pair: str
    indicator: str
    indicator_code: str
    unit: str
    target: int = Field(description="Yuan for money indicators, people or count otherwise")
    actual: int
    expected_pct: int = Field(description="Hundredths of a percent")
    actual_pct: int = Field(description="Hundredths of a percent")
    status: str
    source: str


class UnfundedNeed(PublicRow):
    """A need in a helped region still open long after it was published."""

    id: int
    title: str
    place: str
    category: str
    published: date
    days_open: int
    target_fen: int
    pledged_fen: int


class DashboardAlerts(Out):
    """Pairs behind schedule and long-unfunded needs in helped regions."""

    year: int
    region: str | None = Field(validation_alias="region_code")
    schedule: str
    unfunded_days: int
    lagging: list[LaggingIndicator]
    unfunded_total: int
    unfunded: list[UnfundedNeed] = Field(description="The oldest ones")


class PairOverview(Out):
    """The pairs the caller follows in a year, target against actual."""

    year: int
    region: str | None = Field(validation_alias="region_code")
    pairs: DashboardTable = Field(validation_alias="table")
    lagging: DashboardTable


class PairParty(Out):
    id: int
    name: str


class PairPlace(Out):
    code: str
    name: str


def _pair(name: str) -> Any:
    return Field(validation_alias=AliasPath("pair", name))


def _progress(name: str) -> Any:
    return Field(validation_alias=AliasPath("progress", name))


class PairIndicator(Out):
    code: str
    unit: str
    target: int | None
    reported: int | None
    status: str = _progress("status")
    expected_pct: int = _progress("expected_pct")
    actual_pct: int = _progress("actual_pct")


class PairFigureAlert(Out):
    indicator: str
    target: int
    actual: int
    status: str = _progress("status")
    expected_pct: int = _progress("expected_pct")
    actual_pct: int = _progress("actual_pct")
    source: Literal["reported", "platform"]


class PairDashboard(Out):
    """One pair's dashboard for a year: its money on the platform, its indicators, its tables."""

    pair_id: int = _pair("id")
    year: int
    kind: Kind = _pair("kind")
    helper: PairParty = _pair("helper")
    helped_region: PairPlace = _pair("helped_region")
    start_year: int = _pair("start_year")
    end_year: int | None = _pair("end_year")
    helper_money: DashboardMoney = _money("helper")
    mobilised_money: DashboardMoney = _money("mobilised")
    total_money: DashboardMoney = _money("total")
    grade: str
    summary: str = Field(validation_alias="summary_text")
    indicators: list[PairIndicator]
    alerts: list[PairFigureAlert]
    tables: dict[str, DashboardTable]


class PairReport(PairDashboard):
    """The annual self-assessment report of a pair-year (its data)."""

    generated: date = Field(validation_alias="today")


class IndicatorInfo(Out):
    code: str
    label: str
    unit: Literal["money", "people", "count"]
    kinds: list[Kind]
    group: str


class IndicatorCatalogue(Out):
    """The indicators assessed per pair and year (docs/rules.md §6), and the lagging schedule."""

    indicators: list[IndicatorInfo]
    schedule_pct_by_completed_quarters: dict[str, int]
    unfunded_days_default: int
