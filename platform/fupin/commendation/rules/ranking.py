"""Pure rules of the five-year social poverty-alleviation commendation (docs/rules.md §5; docs/domain.md §3.9).

A round covers exactly five calendar years (中办发〔2013〕25号: a commendation every five years;
national practice caps recurring commendations at "generally once every 5 years"). Its categories
follow the national award lines of 2016–2020 (docs/rules.md §5.1), mapped onto Fupin's participant kinds:

* 奉献奖-type (``dedication``) — "social assistance bodies: social organisations, non-public
  enterprises and individual citizens": ``social_org``, ``enterprise``, ``individual``.
  Fupin's ``enterprise`` kind is treated as non-public; central SOEs take part as
  ``central_unit`` (designated assistance) and so fall under 贡献奖.
* 贡献奖-type (``contribution``) — "poverty work" bodies: Party/government organs, state
  enterprises and institutions, army and armed police, democratic parties and ACFIC:
  ``central_unit``, ``east_partner``, ``democratic_party``, ``military``.

Scope: ``individual`` participants are individuals, every other kind is a collective. So the
possible categories are dedication/individual, dedication/collective and contribution/collective;
a contribution/individual category would never have a candidate and is refused.

Ranking (within a category, among those not excluded), documented and deterministic:
total confirmed money (cash + in-kind) descending, then completed needs descending, then villages
reached descending, then participant id ascending. The id is the last resort only so the order is
total; ``CategoryRanking.tie_at_quota_cut`` says when the quota cut falls inside a tie on the
substantive keys, so officers can look at it rather than trust the id.

Exclusions, all reasons listed (not just the first): previous award (prior winners are not
re-nominated, docs/rules.md §5.1), upheld complaint, anonymous giving without opt-in (docs/rules.md §5.3:
an anonymous donor counts privately but must opt in before being nominated or named), and each
criterion not met. Reversed donations are shown as an integrity figure but do not exclude by
themselves: confirmed totals are already net of reversals.

The working-day calendar of the public notice is ``rules.calendar``; the round's lifecycle
(``ROUND_MACHINE``) is ``rules.rounds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from fupin.core.reasons import Reason
from fupin.errors import InvalidInput
from fupin.i18n import N_, _

BASIS_POINTS = 10_000

#: The seven participant kinds of docs/domain.md §3.2 (the policy text's list).
PARTICIPANT_KINDS: tuple[str, ...] = (
    "enterprise",
    "social_org",
    "individual",
    "central_unit",
    "east_partner",
    "democratic_party",
    "military",
)


class AwardType(StrEnum):
    DEDICATION = "dedication"  # 奉献奖
    CONTRIBUTION = "contribution"  # 贡献奖


class Scope(StrEnum):
    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"


AWARD_TYPE_LABELS: dict[AwardType, str] = {
    AwardType.DEDICATION: N_("奉献奖"),
    AwardType.CONTRIBUTION: N_("贡献奖"),
}
SCOPE_LABELS: dict[Scope, str] = {
    Scope.COLLECTIVE: N_("集体"),
    Scope.INDIVIDUAL: N_("个人"),
}

#: Participant kind → award line (docs/rules.md §5.1 categories; see the module docstring).
AWARD_TYPE_BY_KIND: dict[str, AwardType] = {
    "social_org": AwardType.DEDICATION,
    "enterprise": AwardType.DEDICATION,
    "individual": AwardType.DEDICATION,
    "central_unit": AwardType.CONTRIBUTION,
    "east_partner": AwardType.CONTRIBUTION,
    "democratic_party": AwardType.CONTRIBUTION,
    "military": AwardType.CONTRIBUTION,
}


def scope_of(kind: str) -> Scope:
    return Scope.INDIVIDUAL if kind == "individual" else Scope.COLLECTIVE


def category_of(kind: str) -> tuple[AwardType, Scope]:
    """The (award line, scope) a participant kind competes in."""
    if kind not in AWARD_TYPE_BY_KIND:
        raise CommendationRuleError("unknown_kind", kind=kind)
    return AWARD_TYPE_BY_KIND[kind], scope_of(kind)


# --- reasons and errors -----------------------------------------------------------------------

SRC_NO_REPEAT = N_("全国脱贫攻坚奖评选：已获奖者不再推荐")
SRC_ANONYMOUS = N_("匿名捐赠计入捐赠人本人统计，须本人同意后方可推荐或公示（docs/rules.md §5.3）")
SRC_ROUND_CRITERIA = N_("本轮表彰公告规定的评选条件")
SRC_INTEGRITY = N_("表彰对象须无经查实的投诉（docs/rules.md §5.3 诚信情况）")

COMMENDATION_REASONS: dict[str, str] = {
    "excluded_previous_award": N_("曾获表彰，不再推荐"),
    "excluded_upheld_complaint": N_("有%(count)s件经查实的投诉"),
    "excluded_anonymous_without_opt_in": N_("有匿名捐赠，且未同意被推荐和公示"),
    "below_min_money": N_("确认到账的捐赠总额低于本类别的最低要求"),
    "below_min_completed_needs": N_("已完成的项目数低于本类别的最低要求（%(required)s个）"),
    "below_min_villages": N_("帮扶的村数低于本类别的最低要求（%(required)s个）"),
    "below_min_honour_rate": N_("认捐兑现率低于本类别的最低要求（%(required)s）"),
}

ERROR_MESSAGES: dict[str, str] = {
    "window_not_calendar_years": N_("表彰周期须从1月1日开始、到12月31日结束"),
    "window_not_five_years": N_("表彰周期须恰好为五个自然年度（现为%(years)s年）"),
    "no_categories": N_("表彰轮次至少需要一个类别"),
    "quota_not_positive": N_("类别“%(category)s”的名额必须大于零"),
    "duplicate_category": N_("类别“%(category)s”重复"),
    "category_without_kinds": N_("没有任何参与方类型属于类别“%(category)s”"),
    "criteria_negative": N_("评选条件不能为负数"),
    "honour_rate_out_of_range": N_("兑现率要求须在0到10000个基点（0–100%）之间"),
    "unknown_kind": N_("未知的参与方类型：%(kind)s"),
    "aggregate_negative": N_("参与方%(participant_id)s的统计数不能为负数"),
    "honoured_exceeds_due": N_("参与方%(participant_id)s的已兑现认捐数不能大于到期认捐数"),
    "duplicate_participant": N_("参与方%(participant_id)s重复出现"),
    "working_days_negative": N_("工作日数不能为负数"),
    "notice_days_not_positive": N_("公示期至少为一个工作日"),
    "no_working_day_found": N_("在合理范围内找不到足够的工作日，请检查节假日数据"),
}


class CommendationRuleError(InvalidInput):
    """A round, category or aggregate the rules refuse (HTTP 422 through ``fupin.errors``).
    ``code`` is stable, ``params`` fill the message, ``message`` is translated when raised."""

    def __init__(self, code: str, *, field: str | None = None, **params: str | int) -> None:
        super().__init__(_(ERROR_MESSAGES[code], **params), code=code, field=field)
        self.params = params


def _reason(code: str, citation: str, **params: str | int) -> Reason:
    return Reason(
        code=code,
        msgid=COMMENDATION_REASONS[code],
        citation_msgid=citation,
        params=tuple(params.items()),
    )


# --- round definition -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Criteria:
    """Minimums a candidate must meet. ``min_honour_rate_bp`` is in basis points (9000 = 90 %)."""

    min_confirmed_money_fen: int = 0
    min_completed_needs: int = 0
    min_villages_reached: int = 0
    min_honour_rate_bp: int = 0

    def __post_init__(self) -> None:
        if (
            min(
                self.min_confirmed_money_fen,
                self.min_completed_needs,
                self.min_villages_reached,
                self.min_honour_rate_bp,
            )
            < 0
        ):
            raise CommendationRuleError("criteria_negative", field="criteria")
        if self.min_honour_rate_bp > BASIS_POINTS:
            raise CommendationRuleError("honour_rate_out_of_range", field="min_honour_rate_bp")


@dataclass(frozen=True, kw_only=True)
class CategorySpec:
    award_type: AwardType
    scope: Scope
    quota: int
    criteria: Criteria = field(default_factory=Criteria)

    @property
    def code(self) -> str:
        return f"{self.award_type.value}_{self.scope.value}"

    @property
    def label(self) -> str:
        return _(AWARD_TYPE_LABELS[self.award_type]) + "（" + _(SCOPE_LABELS[self.scope]) + "）"

    def admits(self, kind: str) -> bool:
        return category_of(kind) == (self.award_type, self.scope)


@dataclass(frozen=True, kw_only=True)
class RoundSpec:
    window_start: date
    window_end: date
    categories: tuple[CategorySpec, ...]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.window_start.year, self.window_end.year + 1))


def five_year_window(first_year: int) -> tuple[date, date]:
    """1 January of ``first_year`` to 31 December four years later."""
    return date(first_year, 1, 1), date(first_year + 4, 12, 31)


def validate_round(
    *, window_start: date, window_end: date, categories: Sequence[CategorySpec]
) -> RoundSpec:
    """Build a round, refusing anything but exactly five calendar years and sound categories."""
    if (window_start.month, window_start.day) != (1, 1) or (window_end.month, window_end.day) != (
        12,
        31,
    ):
        raise CommendationRuleError("window_not_calendar_years", field="window_start")
    years = window_end.year - window_start.year + 1
    if years != 5:
        raise CommendationRuleError("window_not_five_years", field="window_end", years=years)
    if not categories:
        raise CommendationRuleError("no_categories", field="categories")
    seen: set[str] = set()
    for category in categories:
        if category.quota <= 0:
            raise CommendationRuleError("quota_not_positive", field="quota", category=category.code)
        if category.code in seen:
            raise CommendationRuleError(
                "duplicate_category", field="categories", category=category.code
            )
        if not any(category.admits(kind) for kind in PARTICIPANT_KINDS):
            raise CommendationRuleError(
                "category_without_kinds", field="categories", category=category.code
            )
        seen.add(category.code)
    return RoundSpec(window_start=window_start, window_end=window_end, categories=tuple(categories))


# --- per-participant aggregates and ranking ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ParticipantAggregate:
    """One participant's confirmed record over the round's window (docs/rules.md §5.3), computed by
    the caller from confirmed donations and completed needs only."""

    participant_id: int
    kind: str
    name: str
    confirmed_cash_fen: int
    in_kind_fen: int
    targeted_fen: int
    completed_needs: int
    villages_reached: int
    counties_reached: int
    pledges_honoured: int  # honour-rate numerator
    pledges_due: int  # honour-rate denominator
    gave_anonymously: bool
    anonymous_opt_in: bool
    previous_award: bool
    upheld_complaints: int
    reversed_donations: int

    def __post_init__(self) -> None:
        if self.kind not in AWARD_TYPE_BY_KIND:
            raise CommendationRuleError("unknown_kind", kind=self.kind)
        counts = (
            self.confirmed_cash_fen,
            self.in_kind_fen,
            self.targeted_fen,
            self.completed_needs,
            self.villages_reached,
            self.counties_reached,
            self.pledges_honoured,
            self.pledges_due,
            self.upheld_complaints,
            self.reversed_donations,
        )
        if min(counts) < 0:
            raise CommendationRuleError("aggregate_negative", participant_id=self.participant_id)
        if self.pledges_honoured > self.pledges_due:
            raise CommendationRuleError("honoured_exceeds_due", participant_id=self.participant_id)

    @property
    def total_confirmed_fen(self) -> int:
        return self.confirmed_cash_fen + self.in_kind_fen

    @property
    def honour_rate_bp(self) -> int | None:
        """Honoured / due in basis points, rounded down; ``None`` when no pledge fell due."""
        if self.pledges_due == 0:
            return None
        return self.pledges_honoured * BASIS_POINTS // self.pledges_due


def ranking_key(aggregate: ParticipantAggregate) -> tuple[int, int, int, int]:
    """Sort key: money desc, completed needs desc, villages desc, participant id asc."""
    return (
        -aggregate.total_confirmed_fen,
        -aggregate.completed_needs,
        -aggregate.villages_reached,
        aggregate.participant_id,
    )


def exclusion_reasons(aggregate: ParticipantAggregate, criteria: Criteria) -> tuple[Reason, ...]:
    """Every reason the participant cannot be nominated in a category with these criteria.

    A participant with no pledge due passes the honour-rate criterion: giving without pledging
    breaks no promise.
    """
    reasons: list[Reason] = []
    if aggregate.previous_award:
        reasons.append(_reason("excluded_previous_award", SRC_NO_REPEAT))
    if aggregate.upheld_complaints > 0:
        reasons.append(
            _reason("excluded_upheld_complaint", SRC_INTEGRITY, count=aggregate.upheld_complaints)
        )
    if aggregate.gave_anonymously and not aggregate.anonymous_opt_in:
        reasons.append(_reason("excluded_anonymous_without_opt_in", SRC_ANONYMOUS))
    if aggregate.total_confirmed_fen < criteria.min_confirmed_money_fen:
        reasons.append(_reason("below_min_money", SRC_ROUND_CRITERIA))
    if aggregate.completed_needs < criteria.min_completed_needs:
        reasons.append(
            _reason(
                "below_min_completed_needs",
                SRC_ROUND_CRITERIA,
                required=criteria.min_completed_needs,
            )
        )
    if aggregate.villages_reached < criteria.min_villages_reached:
        reasons.append(
            _reason(
                "below_min_villages", SRC_ROUND_CRITERIA, required=criteria.min_villages_reached
            )
        )
    # Exact comparison honoured/due >= min_bp/10000, without rounding the rate.
    if (
        aggregate.pledges_due > 0
        and aggregate.pledges_honoured * BASIS_POINTS
        < criteria.min_honour_rate_bp * aggregate.pledges_due
    ):
        reasons.append(
            _reason(
                "below_min_honour_rate",
                SRC_ROUND_CRITERIA,
                required=_format_bp(criteria.min_honour_rate_bp),
            )
        )
    return tuple(reasons)


@dataclass(frozen=True, kw_only=True)
class RankedEntry:
    rank: int  # 1-based, no shared ranks (ties are broken by the documented keys)
    participant: ParticipantAggregate
    within_quota: bool


@dataclass(frozen=True, kw_only=True)
class Exclusion:
    participant: ParticipantAggregate
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True, kw_only=True)
class CategoryRanking:
    category: CategorySpec
    ranked: tuple[RankedEntry, ...]
    excluded: tuple[Exclusion, ...]  # by participant id

    @property
    def nominees(self) -> tuple[RankedEntry, ...]:
        return tuple(entry for entry in self.ranked if entry.within_quota)

    @property
    def reserves(self) -> tuple[RankedEntry, ...]:
        return tuple(entry for entry in self.ranked if not entry.within_quota)

    @property
    def tie_at_quota_cut(self) -> bool:
        """True when the last nominee and the first reserve tie on money, needs and villages,
        i.e. only the participant id decided who is in."""
        quota = self.category.quota
        if len(self.ranked) <= quota:
            return False
        last_in = ranking_key(self.ranked[quota - 1].participant)[:3]
        first_out = ranking_key(self.ranked[quota].participant)[:3]
        return last_in == first_out


@dataclass(frozen=True, kw_only=True)
class RoundRanking:
    categories: tuple[CategoryRanking, ...]
    #: participants whose kind has no category in this round (not ranked, not excluded)
    unplaced: tuple[ParticipantAggregate, ...]


def rank_category(
    *, category: CategorySpec, aggregates: Iterable[ParticipantAggregate]
) -> CategoryRanking:
    """Rank the participants admitted to ``category``; others in ``aggregates`` are ignored.

    The result does not depend on the order of ``aggregates``.
    """
    candidates = _unique([a for a in aggregates if category.admits(a.kind)])
    eligible: list[ParticipantAggregate] = []
    excluded: list[Exclusion] = []
    for aggregate in sorted(candidates, key=lambda a: a.participant_id):
        reasons = exclusion_reasons(aggregate, category.criteria)
        if reasons:
            excluded.append(Exclusion(participant=aggregate, reasons=reasons))
        else:
            eligible.append(aggregate)
    ranked = tuple(
        RankedEntry(rank=index + 1, participant=aggregate, within_quota=index < category.quota)
        for index, aggregate in enumerate(sorted(eligible, key=ranking_key))
    )
    return CategoryRanking(category=category, ranked=ranked, excluded=tuple(excluded))


def rank_round(
    *, round_spec: RoundSpec, aggregates: Iterable[ParticipantAggregate]
) -> RoundRanking:
    """Rank every category of a round (each participant competes in at most one category)."""
    pool = _unique(list(aggregates))
    rankings = tuple(
        rank_category(category=category, aggregates=pool) for category in round_spec.categories
    )
    unplaced = tuple(
        aggregate
        for aggregate in sorted(pool, key=lambda a: a.participant_id)
        if not any(category.admits(aggregate.kind) for category in round_spec.categories)
    )
    return RoundRanking(categories=rankings, unplaced=unplaced)


def _unique(aggregates: list[ParticipantAggregate]) -> list[ParticipantAggregate]:
    seen: set[int] = set()
    for aggregate in aggregates:
        if aggregate.participant_id in seen:
            raise CommendationRuleError(
                "duplicate_participant", participant_id=aggregate.participant_id
            )
        seen.add(aggregate.participant_id)
    return aggregates


def _format_bp(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"
