"""Commendation rounds: open, rank, public notice (公示), objections, final list (BRIEF §3.9;
RULES.md §5). The pure rules (window, categories, criteria, ranking, working days) are in
``commendation_rules``; this module reads the confirmed record and keeps the round's state.

A round moves draft → nominations → notice → final → closed:

* **draft**: categories (award line × scope), quotas and criteria are edited;
* **rank** (draft or nominations → nominations): per-participant aggregates over the window are
  computed from confirmed records only and ranked; every nominee, reserve and exclusion is
  stored with its figures and, for the ranked ones, the evidence pack. Ranking again replaces the
  stored list (nothing has been published yet);
* **publish notice** (nominations → notice): the nominee list is public for N working days
  (``notice_end`` is the last day, counted with the PRC holiday table); during those days anyone
  may file a real-name objection (RULES.md §5.1);
* **resolve**: the office upholds or dismisses each objection with a written resolution; an
  upheld objection takes the nominee off the list. The next reserve is **not** promoted: a name
  that was never on public notice cannot be awarded (a new notice would be needed);
* **publish final** (notice → final): only after the notice period has ended and every objection
  is resolved; the remaining nominees are awarded;
* **close** (final → closed).

Aggregates (RULES.md §5.3), per participant, over donations *received* in the window:

* confirmed money, cash and in-kind separately, and the targeted part — net of reversals: a
  confirmed donation that was later reversed counts zero (original + reversing entry), whenever
  the reversal was made;
* distinct counties and villages reached, needs funded, needs completed — delivered with
  evidence and confirmed by the village (need state ``closed``) — with their beneficiaries;
* honour rate of the pledges settled in the window (``money.rules.honour``: honoured — counted
  on the day it was honoured — or lapsed or still open past the due date — counted on the due
  date; withdrawn pledges never count) and the amounts withdrawn or lapsed;
* integrity: reversed donations, upheld objections in earlier rounds (the platform's record of
  upheld complaints about a participant), previous awards (no repeat award);
* anonymity: anonymous donations count in the donor's totals, but a donor who gave anonymously
  is nominated only with ``Participant.commendation_opt_in`` (RULES.md §5.3).

Only participants with a positive confirmed total in the window are candidates.

Every money figure is reproducible from the public ledger: ``ledger_figures`` recomputes each
participant's confirmed money from ``donation_confirmed`` minus ``donation_reversed`` entries
(anonymous donors' ids are read from the entries' private commitments), and the places reached
from the needs those entries name.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum

from fupin.accounts.models import Pair, Participant
from fupin.commendation.models import (
    CommendationRound,
    CommendationRoundYear,
    Nomination,
    Objection,
    RoundCategory,
)
from fupin.commendation.rules import (
    AWARD_TYPE_LABELS,
    COMMENDATION_REASONS,
    PRC_HOLIDAYS,
    PRC_MAKEUP_WORKDAYS,
    ROUND_MACHINE,
    SCOPE_LABELS,
    AwardType,
    CategoryRanking,
    CategorySpec,
    CommendationRuleError,
    Criteria,
    ParticipantAggregate,
    RoundFacts,
    RoundRanking,
    Scope,
    notice_period_end,
    prc_calendar_covers,
    rank_round,
    validate_round,
)
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor, can, require
from fupin.db import transaction
from fupin.errors import (
    FupinError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    RuleViolation,
)
from fupin.i18n import N_, _
from fupin.ledger.models import LedgerEntry, LedgerSecret
from fupin.money.models import Donation, Pledge, Receipt
from fupin.money.service.honour import honour_rates_of
from fupin.needs.models import Need
from fupin.pairs.models import PairFigure
from fupin.regions.models import Region

#: The policy text is of end 2013 (published January 2014): no window starts earlier.
EARLIEST_WINDOW_YEAR = 2014
LATEST_WINDOW_YEAR = 2100
MAX_NOTICE_WORKING_DAYS = 30
#: "Needs completed (with evidence and village confirmation)", RULES.md §5.3: delivered with
#: evidence (state completed) AND confirmed by the village (→ closed); a dispute reopens it.
COMPLETED_NEED_STATES = ("closed",)
#: Evidence lists are capped per nominee; the figures are always over all records.
EVIDENCE_LIMIT = 1000

STATUS_LABELS = {
    "nominee": N_("推荐对象"),
    "reserve": N_("候补"),
    "excluded": N_("不符合条件"),
    "removed": N_("经异议核实后撤销"),
    "awarded": N_("表彰对象"),
}
OBJECTION_STATE_LABELS = {
    "open": N_("待处理"),
    "upheld": N_("异议成立"),
    "dismissed": N_("异议不成立"),
}

#: States in which the public sees the round's list.
PUBLIC_STATES = ("notice", "final", "closed")


def _require_manage(actor: Actor | None, *, system: bool) -> None:
    if actor is None and not system:
        raise NotAuthenticated(_("请先登录。"))
    if actor is not None:
        require(actor, "commendation.manage")


def can_view_private(actor: Actor | None) -> bool:
    return actor is not None and can(actor, "commendation.view_private")


def require_view_private(actor: Actor | None) -> Actor:
    return require(actor, "commendation.view_private")


# --- reading rounds ---------------------------------------------------------------------------


async def get_round(round_id: int) -> CommendationRound:
    found = await CommendationRound.get_or_none(id=round_id)
    if found is None:
        raise NotFound(_("表彰轮次不存在。"), field="round_id")
    return found


async def get_public_round(round_id: int) -> CommendationRound:
    """A round the public may see: only once its list is on notice (or later)."""
    found = await CommendationRound.get_or_none(id=round_id, state__in=PUBLIC_STATES)
    if found is None:
        raise NotFound(_("表彰轮次不存在或尚未公示。"), field="round_id")
    return found


async def list_rounds(*, public: bool) -> list[CommendationRound]:
    query = CommendationRound.all()
    if public:
        query = query.filter(state__in=PUBLIC_STATES)
    return list(await query.order_by("-first_year", "-id"))


async def categories_of(round_id: int) -> list[RoundCategory]:
    return list(await RoundCategory.filter(round_id=round_id).order_by("id"))


def category_spec(category: RoundCategory) -> CategorySpec:
    return CategorySpec(
        award_type=AwardType(category.award_type),
        scope=Scope(category.scope),
        quota=category.quota,
        criteria=Criteria(
            min_confirmed_money_fen=category.min_confirmed_money_fen,
            min_completed_needs=category.min_completed_needs,
            min_villages_reached=category.min_villages_reached,
            min_honour_rate_bp=category.min_honour_rate_bp,
        ),
    )


def category_label(category: RoundCategory | CategorySpec) -> str:
    return (
        _(AWARD_TYPE_LABELS[AwardType(category.award_type)])
        + "（"
        + _(SCOPE_LABELS[Scope(category.scope)])
        + "）"
    )


# --- creating a round and editing its categories ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CategoryInput:
    award_type: str
    scope: str
    quota: int
    min_confirmed_money_fen: int = 0
    min_completed_needs: int = 0
    min_villages_reached: int = 0
    min_honour_rate_bp: int = 0


#: Upper bounds of the category numbers (the columns are 32-bit, money 64-bit fen).
_LIMITS = {
    "quota": 100_000,
    "min_confirmed_money_fen": 10**15,
    "min_completed_needs": 1_000_000,
    "min_villages_reached": 1_000_000,
    "min_honour_rate_bp": 10_000,
}


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def clean_text(value: Any, *, field: str, max_length: int) -> str:
    """Trimmed text without control characters other than newlines and tabs (PostgreSQL
    refuses NUL, and nothing else of the kind belongs in a title or an objection)."""
    text = (value if isinstance(value, str) else "").strip()
    if _has_control(text):
        raise InvalidInput(_("包含不允许的控制字符。"), field=field, code="control_characters")
    if len(text) > max_length:
        raise InvalidInput(_("不超过 %(n)s 字。", n=max_length), field=field, code="too_long")
    return text


def _spec_of(item: CategoryInput, index: int) -> CategorySpec:
    prefix = f"categories[{index}]"
    try:
        award_type = AwardType(item.award_type)
    except ValueError:
        raise InvalidInput(_("未知的奖项类别。"), field=f"{prefix}.award_type") from None
    try:
        scope = Scope(item.scope)
    except ValueError:
        raise InvalidInput(_("请选择集体或个人。"), field=f"{prefix}.scope") from None
    for name in (
        "quota",
        "min_confirmed_money_fen",
        "min_completed_needs",
        "min_villages_reached",
        "min_honour_rate_bp",
    ):
        value = getattr(item, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(_("必须是整数。"), field=f"{prefix}.{name}")
        if abs(value) > _LIMITS[name]:
            raise InvalidInput(
                _("数值超出范围（不超过 %(max)s）。", max=_LIMITS[name]),
                field=f"{prefix}.{name}",
                code="out_of_range",
            )
    if item.quota <= 0:
        raise CommendationRuleError(
            "quota_not_positive", field=f"{prefix}.quota", category=f"{award_type}_{scope}"
        )
    try:
        criteria = Criteria(
            min_confirmed_money_fen=item.min_confirmed_money_fen,
            min_completed_needs=item.min_completed_needs,
            min_villages_reached=item.min_villages_reached,
            min_honour_rate_bp=item.min_honour_rate_bp,
        )
    except CommendationRuleError as exc:
        exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
        raise
    return CategorySpec(award_type=award_type, scope=scope, quota=item.quota, criteria=criteria)


def _check_year_value(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("请填写四位数年份。"), field=field, code="not_a_year")
    if not EARLIEST_WINDOW_YEAR <= value <= LATEST_WINDOW_YEAR:
        raise InvalidInput(
            _(
                "年份应在 %(first)s 至 %(last)s 之间。",
                first=EARLIEST_WINDOW_YEAR,
                last=LATEST_WINDOW_YEAR,
            ),
            field=field,
            code="year_out_of_range",
        )
    return value


def _check_notice_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("公示工作日数必须是整数。"), field="notice_working_days")
    if not 1 <= value <= MAX_NOTICE_WORKING_DAYS:
        raise InvalidInput(
            _(
                "公示期应为 1 至 %(max)s 个工作日（实践中通常为 5 个工作日）。",
                max=MAX_NOTICE_WORKING_DAYS,
            ),
            field="notice_working_days",
            code="notice_days_out_of_range",
        )
    return value


async def _overlapping_round(years: Collection[int], *, exclude: int | None = None) -> str | None:
    query = CommendationRoundYear.filter(year__in=list(years))
    if exclude is not None:
        query = query.exclude(round_id=exclude)
    clash = await query.order_by("year").first()
    if clash is None:
        return None
    other = await CommendationRound.get(id=clash.round_id)
    return f"{other.title}（{other.first_year}–{other.last_year}）"


def _overlap_error(other: str) -> InvalidInput:
    return InvalidInput(
        _("表彰周期与已有的表彰轮次重叠：%(other)s。每个年度只能属于一个表彰轮次。", other=other),
        field="first_year",
        code="window_overlaps",
    )


async def create_round(
    *,
    actor: Actor | None,
    title: str,
    first_year: int,
    last_year: int,
    categories: Sequence[CategoryInput],
    notice_working_days: int = 5,
    objection_channel: str = "",
    system: bool = False,
    is_demo: bool = False,
) -> CommendationRound:
    """Open a round for a five-calendar-year window. Refused, with nothing written: a window
    that is not five calendar years, one that overlaps another round's, a quota of zero, a
    category no participant kind belongs to, a duplicate category."""
    _require_manage(actor, system=system)
    title = clean_text(title, field="title", max_length=120)
    if not title:
        raise InvalidInput(
            _("请填写表彰轮次名称（不超过 120 字）。"), field="title", code="required"
        )
    first = _check_year_value(first_year, "first_year")
    last = _check_year_value(last_year, "last_year")
    if last < first:
        raise InvalidInput(_("结束年度不能早于开始年度。"), field="last_year")
    days = _check_notice_days(notice_working_days)
    channel = clean_text(objection_channel, field="objection_channel", max_length=255)
    specs = [_spec_of(item, index) for index, item in enumerate(categories)]
    spec = validate_round(
        window_start=date(first, 1, 1), window_end=date(last, 12, 31), categories=specs
    )
    years = list(range(first, last + 1))
    other = await _overlapping_round(years)
    if other is not None:
        raise _overlap_error(other)
    try:
        async with transaction():
            created = await CommendationRound.create(
                title=title,
                first_year=first,
                last_year=last,
                window_start=spec.window_start,
                window_end=spec.window_end,
                notice_working_days=days,
                objection_channel=channel,
                created_by_id=actor.user_id if actor else None,
                is_demo=is_demo,
            )
            for year in years:
                await CommendationRoundYear.create(round_id=created.id, year=year)
            for category in spec.categories:
                await _create_category(created.id, category)
            await audit.record(
                actor=actor,
                action="commendation.round.create",
                object_type="commendation_round",
                object_id=created.id,
                after={
                    "title": title,
                    "first_year": first,
                    "last_year": last,
                    "notice_working_days": days,
                    "categories": [_category_snapshot(c) for c in spec.categories],
                },
            )
    except IntegrityError:
        # A concurrent round claimed one of the years between the check and the insert.
        raise _overlap_error(await _overlapping_round(years) or "?") from None
    return created


def _category_snapshot(category: CategorySpec) -> dict[str, Any]:
    return {
        "award_type": category.award_type.value,
        "scope": category.scope.value,
        "quota": category.quota,
        "min_confirmed_money_fen": category.criteria.min_confirmed_money_fen,
        "min_completed_needs": category.criteria.min_completed_needs,
        "min_villages_reached": category.criteria.min_villages_reached,
        "min_honour_rate_bp": category.criteria.min_honour_rate_bp,
    }


async def _create_category(round_id: int, category: CategorySpec) -> RoundCategory:
    return await RoundCategory.create(round_id=round_id, **_category_snapshot(category))


async def _locked_round(round_id: int) -> CommendationRound:
    found = await CommendationRound.filter(id=round_id).select_for_update().first()
    if found is None:
        raise NotFound(_("表彰轮次不存在。"), field="round_id")
    return found


async def save_category(
    *,
    actor: Actor | None,
    round_id: int,
    category: CategoryInput,
    system: bool = False,
) -> RoundCategory:
    """Add a category to a draft round, or change the quota and criteria of an existing one
    (same award line and scope)."""
    _require_manage(actor, system=system)
    spec = _spec_of(category, 0)
    async with transaction():
        found = await _locked_round(round_id)
        ROUND_MACHINE.check(found.state, "edit_categories")
        existing = await categories_of(found.id)
        others = [
            category_spec(c)
            for c in existing
            if (c.award_type, c.scope) != (spec.award_type.value, spec.scope.value)
        ]
        validate_round(
            window_start=found.window_start, window_end=found.window_end, categories=[*others, spec]
        )
        row = next(
            (
                c
                for c in existing
                if (c.award_type, c.scope) == (spec.award_type.value, spec.scope.value)
            ),
            None,
        )
        before = None
        if row is None:
            row = await _create_category(found.id, spec)
        else:
            before = _category_snapshot(category_spec(row))
            for key, value in _category_snapshot(spec).items():
                setattr(row, key, value)
            await row.save()
        await audit.record(
            actor=actor,
            action="commendation.category.save",
            object_type="commendation_round",
            object_id=found.id,
            before=before,
            after=_category_snapshot(spec),
        )
    return row


async def remove_category(
    *, actor: Actor | None, round_id: int, category_id: int, system: bool = False
) -> None:
    _require_manage(actor, system=system)
    async with transaction():
        found = await _locked_round(round_id)
        ROUND_MACHINE.check(found.state, "edit_categories")
        row = await RoundCategory.get_or_none(id=category_id, round_id=found.id)
        if row is None:
            raise NotFound(_("类别不存在。"), field="category_id")
        if await RoundCategory.filter(round_id=found.id).count() <= 1:
            raise CommendationRuleError("no_categories", field="categories")
        before = _category_snapshot(category_spec(row))
        await row.delete()
        await audit.record(
            actor=actor,
            action="commendation.category.remove",
            object_type="commendation_round",
            object_id=found.id,
            before=before,
        )


# --- aggregates from the confirmed record -----------------------------------------------------


@dataclass
class Figures:
    """RULES.md §5.3 per participant over a window (all integers: fen or counts)."""

    participant_id: int
    confirmed_cash_fen: int = 0
    in_kind_fen: int = 0
    targeted_fen: int = 0
    reversed_donations: int = 0
    donations: int = 0  # confirmed, unreversed donations counted
    needs_funded: int = 0
    completed_needs: int = 0
    villages_reached: int = 0
    counties_reached: int = 0
    poverty_county_fen: int = 0  # received for needs in the 832 counties
    sanqu_sanzhou_fen: int = 0  # received for needs in 三区三州
    beneficiary_households: int = 0
    beneficiary_people: int = 0
    pledges_due: int = 0
    pledges_honoured: int = 0
    withdrawn_or_lapsed_fen: int = 0
    gave_anonymously: bool = False
    upheld_objections: int = 0
    previous_award: bool = False
    completed_need_ids: list[int] = field(default_factory=list)

    @property
    def total_confirmed_fen(self) -> int:
        return self.confirmed_cash_fen + self.in_kind_fen

    def as_json(self) -> dict[str, Any]:
        data = {
            key: getattr(self, key)
            for key in (
                "confirmed_cash_fen",
                "in_kind_fen",
                "targeted_fen",
                "reversed_donations",
                "donations",
                "needs_funded",
                "completed_needs",
                "villages_reached",
                "counties_reached",
                "poverty_county_fen",
                "sanqu_sanzhou_fen",
                "beneficiary_households",
                "beneficiary_people",
                "pledges_due",
                "pledges_honoured",
                "withdrawn_or_lapsed_fen",
                "gave_anonymously",
                "upheld_objections",
                "previous_award",
            )
        }
        data["total_confirmed_fen"] = self.total_confirmed_fen
        return data


def _counted_donations(start: date, end: date) -> Any:
    """Confirmed originals received in the window that were never reversed."""
    return Donation.filter(
        state="confirmed",
        reverses_id__isnull=True,
        received_on__gte=start,
        received_on__lte=end,
    ).exclude(id__in=_reversed_originals())


def _reversed_originals() -> Any:
    from tortoise.expressions import Subquery

    return Subquery(
        Donation.filter(reverses_id__not_isnull=True, state="confirmed").values("reverses_id")
    )


async def window_figures(
    start: date,
    end: date,
    *,
    participant_ids: Collection[int] | None = None,
    today: date | None = None,
    round_id: int | None = None,
) -> dict[int, Figures]:
    """The aggregates of RULES.md §5.3 for every participant with confirmed money in the
    window (or for ``participant_ids``). Sums and counts are done in SQL."""
    today = today or today_cn()
    figures: dict[int, Figures] = {}

    def of(pid: int) -> Figures:
        if pid not in figures:
            figures[pid] = Figures(participant_id=pid)
        return figures[pid]

    counted = _counted_donations(start, end)
    if participant_ids is not None:
        counted = counted.filter(donor_id__in=list(participant_ids))
    sums = (
        await counted.annotate(total=Sum("amount_fen"), n=Count("id"))
        .group_by("donor_id", "kind", "targeted")
        .order_by("donor_id", "kind", "targeted")
        .values("donor_id", "kind", "targeted", "total", "n")
    )
    for row in sums:
        target = of(int(row["donor_id"]))
        amount = int(row["total"] or 0)
        if row["kind"] == "in_kind":
            target.in_kind_fen += amount
        else:
            target.confirmed_cash_fen += amount
        if row["targeted"]:
            target.targeted_fen += amount
        target.donations += int(row["n"] or 0)
    hard = (
        await counted.annotate(total=Sum("amount_fen"))
        .group_by("donor_id", "need__county_code")
        .order_by("donor_id", "need__county_code")
        .values("donor_id", "need__county_code", "total")
    )
    county_codes = {row["need__county_code"] for row in hard if row["need__county_code"]}
    counties = {r.code: r for r in await Region.filter(code__in=list(county_codes))}
    for row in hard:
        county = counties.get(row["need__county_code"] or "")
        if county is None:
            continue
        if county.is_poverty_county:
            of(int(row["donor_id"])).poverty_county_fen += int(row["total"] or 0)
        if county.sanqu_sanzhou:
            of(int(row["donor_id"])).sanqu_sanzhou_fen += int(row["total"] or 0)
    anonymous = (
        await counted.filter(anonymous=True)
        .annotate(n=Count("id"))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "n")
    )
    for row in anonymous:
        of(int(row["donor_id"])).gave_anonymously = int(row["n"] or 0) > 0
    reversals = Donation.filter(
        state="confirmed",
        reverses_id__not_isnull=True,
        reverses__received_on__gte=start,
        reverses__received_on__lte=end,
    )
    if participant_ids is not None:
        reversals = reversals.filter(donor_id__in=list(participant_ids))
    for row in (
        await reversals.annotate(n=Count("id"))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "n")
    ):
        of(int(row["donor_id"])).reversed_donations += int(row["n"] or 0)

    # Places reached (distinct counts in SQL) and needs completed.
    for row in (
        await counted.annotate(
            needs=Count("need_id", distinct=True),
            counties=Count("need__county_code", distinct=True),
        )
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "needs", "counties")
    ):
        target = of(int(row["donor_id"]))
        target.needs_funded = int(row["needs"] or 0)
        target.counties_reached = int(row["counties"] or 0)
    for row in (
        await counted.filter(need__region__level="village")
        .annotate(villages=Count("need__region_id", distinct=True))
        .group_by("donor_id")
        .order_by("donor_id")
        .values("donor_id", "villages")
    ):
        of(int(row["donor_id"])).villages_reached = int(row["villages"] or 0)
    completed_pairs = (
        await counted.filter(need__state__in=list(COMPLETED_NEED_STATES))
        .annotate(n=Count("id"))
        .group_by("donor_id", "need_id")
        .order_by("donor_id", "need_id")
        .values("donor_id", "need_id")
    )
    completed_ids = {int(row["need_id"]) for row in completed_pairs}
    completed_needs = (
        {n.id: n for n in await Need.filter(id__in=list(completed_ids))} if completed_ids else {}
    )
    for row in completed_pairs:
        target = of(int(row["donor_id"]))
        need = completed_needs[int(row["need_id"])]
        target.completed_need_ids.append(need.id)
        target.completed_needs += 1
        target.beneficiary_households += need.beneficiary_households
        target.beneficiary_people += need.beneficiary_people

    candidates = list(figures)
    if not candidates:
        return figures
    # Honour rate in the window: the one definition (money.rules.honour), each pledge counted
    # on the day it was settled — honoured, else its due date.
    for pid, rate in (await honour_rates_of(candidates, period=(start, end), today=today)).items():
        target = of(pid)
        target.pledges_due = rate.due_count
        target.pledges_honoured = rate.honoured_count
    for row in (
        await Pledge.filter(
            participant_id__in=candidates,
            due_date__gte=start,
            due_date__lte=end,
            state__in=["withdrawn", "lapsed"],
        )
        .annotate(promised=Sum("amount_fen"), paid=Sum("paid_fen"))
        .group_by("participant_id")
        .order_by("participant_id")
        .values("participant_id", "promised", "paid")
    ):
        of(int(row["participant_id"])).withdrawn_or_lapsed_fen = int(row["promised"] or 0) - int(
            row["paid"] or 0
        )
    # Integrity: upheld objections and awards in other rounds.
    other_rounds = Nomination.filter(participant_id__in=candidates)
    objections = Objection.filter(state="upheld", nomination__participant_id__in=candidates)
    if round_id is not None:
        other_rounds = other_rounds.exclude(round_id=round_id)
        objections = objections.exclude(round_id=round_id)
    for pid in await other_rounds.filter(status="awarded").values_list("participant_id", flat=True):
        of(int(pid)).previous_award = True
    for row in (
        await objections.annotate(n=Count("id"))
        .group_by("nomination__participant_id")
        .order_by("nomination__participant_id")
        .values("nomination__participant_id", "n")
    ):
        of(int(row["nomination__participant_id"])).upheld_objections = int(row["n"] or 0)
    return figures


def aggregate_of(participant: Participant, figures: Figures) -> ParticipantAggregate:
    return ParticipantAggregate(
        participant_id=participant.id,
        kind=participant.kind,
        name=participant.name,
        confirmed_cash_fen=figures.confirmed_cash_fen,
        in_kind_fen=figures.in_kind_fen,
        targeted_fen=figures.targeted_fen,
        completed_needs=figures.completed_needs,
        villages_reached=figures.villages_reached,
        counties_reached=figures.counties_reached,
        pledges_honoured=figures.pledges_honoured,
        pledges_due=figures.pledges_due,
        gave_anonymously=figures.gave_anonymously,
        anonymous_opt_in=participant.commendation_opt_in,
        previous_award=figures.previous_award,
        upheld_complaints=figures.upheld_objections,
        reversed_donations=figures.reversed_donations,
    )


async def candidates_of(
    found: CommendationRound, *, today: date | None = None
) -> tuple[list[ParticipantAggregate], dict[int, Figures], dict[int, Participant]]:
    figures = await window_figures(
        found.window_start, found.window_end, today=today, round_id=found.id
    )
    positive = {pid: f for pid, f in figures.items() if f.total_confirmed_fen > 0}
    people = {p.id: p for p in await Participant.filter(id__in=list(positive))}
    aggregates = [
        aggregate_of(people[pid], f) for pid, f in sorted(positive.items()) if pid in people
    ]
    return aggregates, positive, people


# --- the evidence pack ------------------------------------------------------------------------


async def evidence_pack(
    participant_id: int, start: date, end: date, figures: Figures
) -> dict[str, Any]:
    """Receipts, completed needs and pair contributions behind a nominee's figures."""
    donations = list(
        await _counted_donations(start, end)
        .filter(donor_id=participant_id)
        .order_by("received_on", "id")
        .limit(EVIDENCE_LIMIT)
        .prefetch_related("need")
    )
    receipts = {
        r.live_for_id: r
        for r in await Receipt.filter(live_for_id__in=[d.id for d in donations], state="issued")
    }
    receipt_lines = []
    for d in donations:
        receipt = receipts.get(d.id)
        receipt_lines.append(
            {
                "donation_id": d.id,
                "received_on": d.received_on.isoformat(),
                "amount_fen": d.amount_fen,
                "kind": d.kind,
                "targeted": d.targeted,
                "anonymous": d.anonymous,
                "need_id": d.need_id,
                "need_title": d.need.title,
                "county_code": d.need.county_code,
                "receipt_number": receipt.number if receipt else "",
                "official_receipt": (
                    f"{d.official_receipt_code}/{d.official_receipt_number}"
                    if d.official_receipt_number
                    else ""
                ),
                "ledger_seq": d.ledger_seq,
            }
        )
    completed = list(
        await Need.filter(id__in=figures.completed_need_ids[:EVIDENCE_LIMIT])
        .order_by("id")
        .prefetch_related("region", "events")
    )
    completed_lines = []
    for need in completed:
        events = sorted(need.events, key=lambda e: e.id)
        done = next((e for e in reversed(events) if e.to_state == "completed"), None)
        confirmed = next((e for e in reversed(events) if e.to_state == "closed"), None)
        completed_lines.append(
            {
                "need_id": need.id,
                "title": need.title,
                "region_code": need.region_id,
                "region_name": need.region.full_name or need.region.name,
                "state": need.state,
                "completed_at": done.at.date().isoformat() if done else "",
                "village_confirmed_at": confirmed.at.date().isoformat() if confirmed else "",
                "households": need.beneficiary_households,
                "people": need.beneficiary_people,
            }
        )
    pair_lines = []
    pairs = list(
        await Pair.filter(helper_id=participant_id)
        .order_by("start_year", "id")
        .prefetch_related("helped_region")
    )
    via_pair = {
        int(row["pledge__pair_id"]): int(row["total"] or 0)
        for row in await _counted_donations(start, end)
        .filter(donor_id=participant_id, pledge__pair_id__not_isnull=True)
        .annotate(total=Sum("amount_fen"))
        .group_by("pledge__pair_id")
        .order_by("pledge__pair_id")
        .values("pledge__pair_id", "total")
    }
    pair_ids = {p.id for p in pairs} | set(via_pair)
    known = {p.id for p in pairs}
    extra_pairs = list(
        await Pair.filter(id__in=list(pair_ids - known)).prefetch_related("helped_region")
    )
    figures_rows = await PairFigure.filter(
        pair_year__pair_id__in=list(pair_ids),
        pair_year__year__gte=start.year,
        pair_year__year__lte=end.year,
    ).values("pair_year__pair_id", "pair_year__year", "indicator", "target", "reported")
    reported: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(figures_rows, key=lambda r: (r["pair_year__year"], r["indicator"])):
        if row["reported"] is None and row["target"] is None:
            continue
        reported[int(row["pair_year__pair_id"])].append(
            {
                "year": row["pair_year__year"],
                "indicator": row["indicator"],
                "target": row["target"],
                "reported": row["reported"],
            }
        )
    for pair in [*pairs, *extra_pairs]:
        pair_lines.append(
            {
                "pair_id": pair.id,
                "kind": pair.kind,
                "helped_region_code": pair.helped_region_id,
                "helped_region_name": pair.helped_region.name,
                "start_year": pair.start_year,
                "end_year": pair.end_year,
                "platform_money_fen": via_pair.get(pair.id, 0),
                "reported": reported.get(pair.id, []),
            }
        )
    return {
        "receipts": receipt_lines,
        "receipts_total": figures.donations,
        "receipts_truncated": figures.donations > len(receipt_lines),
        "completed_needs": completed_lines,
        "pairs": pair_lines,
    }


# --- ranking -----------------------------------------------------------------------------------


def _reasons_json(reasons: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "params": dict(r.params), "citation": r.citation_msgid} for r in reasons
    ]


def reason_text(item: dict[str, Any]) -> str:
    """A stored exclusion reason in the current locale."""
    message = COMMENDATION_REASONS.get(item.get("code", ""), item.get("code", ""))
    return _(message, **(item.get("params") or {}))


@dataclass(frozen=True)
class RankResult:
    round: CommendationRound
    ranking: RoundRanking
    figures: dict[int, Figures]


async def rank(
    *, actor: Actor | None, round_id: int, system: bool = False, today: date | None = None
) -> RankResult:
    """Compute and store the ranked list of every category (draft/nominations → nominations)."""
    _require_manage(actor, system=system)
    found = await get_round(round_id)
    ROUND_MACHINE.check(found.state, "rank")
    categories = await categories_of(found.id)
    specs = [category_spec(c) for c in categories]
    aggregates, figures, _people = await candidates_of(found, today=today)
    ranking = rank_round(
        round_spec=validate_round(
            window_start=found.window_start, window_end=found.window_end, categories=specs
        ),
        aggregates=aggregates,
    )
    packs: dict[int, dict[str, Any]] = {}
    for category_ranking in ranking.categories:
        for entry in category_ranking.ranked:
            pid = entry.participant.participant_id
            packs[pid] = await evidence_pack(
                pid, found.window_start, found.window_end, figures[pid]
            )
    async with transaction():
        locked = await _locked_round(found.id)
        ranked = ROUND_MACHINE.check(locked.state, "rank")
        await Nomination.filter(round_id=found.id).delete()
        for category, category_ranking in zip(categories, ranking.categories, strict=True):
            await _store_category(found.id, category, category_ranking, figures, packs)
        before = locked.state
        locked.state = ranked.to
        locked.ranked_at = clock.now()
        await locked.save(update_fields=["state", "ranked_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.rank",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": before},
            after={
                "state": locked.state,
                "nominees": sum(len(c.nominees) for c in ranking.categories),
                "reserves": sum(len(c.reserves) for c in ranking.categories),
                "excluded": sum(len(c.excluded) for c in ranking.categories),
            },
        )
    return RankResult(round=locked, ranking=ranking, figures=figures)


async def _store_category(
    round_id: int,
    category: RoundCategory,
    ranking: CategoryRanking,
    figures: dict[int, Figures],
    packs: dict[int, dict[str, Any]],
) -> None:
    quota = category.quota
    tie = ranking.tie_at_quota_cut
    for entry in ranking.ranked:
        pid = entry.participant.participant_id
        at_cut = tie and entry.rank in (quota, quota + 1)
        await Nomination.create(
            round_id=round_id,
            category_id=category.id,
            participant_id=pid,
            status="nominee" if entry.within_quota else "reserve",
            rank=entry.rank,
            public_name=entry.participant.name[:128],
            figures=figures[pid].as_json(),
            evidence=packs.get(pid, {}),
            tie_at_cut=at_cut,
        )
    for exclusion in ranking.excluded:
        pid = exclusion.participant.participant_id
        await Nomination.create(
            round_id=round_id,
            category_id=category.id,
            participant_id=pid,
            status="excluded",
            rank=None,
            public_name=exclusion.participant.name[:128],
            figures=figures[pid].as_json(),
            evidence={},
            reasons=_reasons_json(exclusion.reasons),
        )


async def nominations_of(
    round_id: int, *, statuses: Sequence[str] | None = None
) -> list[Nomination]:
    query = Nomination.filter(round_id=round_id)
    if statuses is not None:
        query = query.filter(status__in=list(statuses))
    return list(
        await query.order_by("category_id", "rank", "id").prefetch_related(
            "participant", "category"
        )
    )


async def get_nomination(round_id: int, nomination_id: int) -> Nomination:
    found = await Nomination.get_or_none(id=nomination_id, round_id=round_id).prefetch_related(
        "participant", "category"
    )
    if found is None:
        raise NotFound(_("推荐记录不存在。"), field="nomination_id")
    return found


#: What the public list shows: on notice the nominees (and those removed after an upheld
#: objection, marked as such); once final, the awarded.
def public_statuses(found: CommendationRound) -> tuple[str, ...]:
    if found.state == "notice":
        return ("nominee", "removed")
    return ("awarded",)


def public_entry(nomination: Nomination) -> dict[str, Any]:
    """A nominee as the public list shows it: name, kind, category, rank, headline figures.
    Never the evidence pack, never an objector."""
    f = nomination.figures or {}
    return {
        "nomination_id": nomination.id,
        "name": nomination.public_name,
        "kind": nomination.participant.kind,
        "category": category_label(nomination.category),
        "award_type": nomination.category.award_type,
        "scope": nomination.category.scope,
        "rank": nomination.rank,
        "status": nomination.status,
        "total_confirmed_fen": int(f.get("total_confirmed_fen", 0)),
        "completed_needs": int(f.get("completed_needs", 0)),
        "villages_reached": int(f.get("villages_reached", 0)),
        "counties_reached": int(f.get("counties_reached", 0)),
    }


# --- public notice, objections, final list -----------------------------------------------------


async def publish_notice(
    *,
    actor: Actor | None,
    round_id: int,
    start: date | None = None,
    today: date | None = None,
    system: bool = False,
) -> CommendationRound:
    """Put the nominee list on public notice from ``start`` (default today) for the round's
    number of working days (PRC holiday table; weekends only where the table has no data)."""
    _require_manage(actor, system=system)
    today = today or today_cn()
    start = start or today
    if start < today:
        raise InvalidInput(_("公示开始日期不能早于今天。"), field="notice_start", code="in_past")
    if (start - today).days > 366:
        raise InvalidInput(_("公示开始日期过远。"), field="notice_start", code="too_far")
    async with transaction():
        found = await _locked_round(round_id)
        noticed = ROUND_MACHINE.check(found.state, "publish_notice")
        if not await Nomination.exists(round_id=found.id, status="nominee"):
            raise RuleViolation(_("没有推荐对象，不能公示。"), code="no_nominees", field="round_id")
        end = notice_period_end(
            start=start,
            working_days=found.notice_working_days,
            holidays=PRC_HOLIDAYS,
            makeup_workdays=PRC_MAKEUP_WORKDAYS,
        )
        note = ""
        if not prc_calendar_covers(start, end):
            note = _(
                "公示期所在年份的法定节假日安排不在系统节假日表中，仅按周末计算工作日；"
                "请核对截止日期。"
            )
        found.state = noticed.to
        found.notice_start = start
        found.notice_end = end
        found.notice_calendar_note = note
        found.notice_published_at = clock.now()
        await found.save(
            update_fields=[
                "state",
                "notice_start",
                "notice_end",
                "notice_calendar_note",
                "notice_published_at",
            ]
        )
        await audit.record(
            actor=actor,
            action="commendation.round.notice",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "nominations"},
            after={"state": found.state, "notice_start": start, "notice_end": end},
        )
    return found


def notice_open(found: CommendationRound, today: date) -> bool:
    return (
        found.state == "notice"
        and found.notice_start is not None
        and found.notice_end is not None
        and found.notice_start <= today <= found.notice_end
    )


async def file_objection(
    *,
    round_id: int,
    nomination_id: int | None,
    name: str,
    contact: str,
    content: str,
    source: str = "",
    today: date | None = None,
) -> Objection:
    """A public, real-name objection to a nominee, accepted only during the notice period.
    Refused with nothing written before or after the period, or against a name not on notice.

    ``source`` is a keyed hash of the sender's address (the web layer makes it); with the
    contact it bounds how many objections one sender files per round per day, so the office's
    inbox cannot be flooded while every genuine objector is still heard."""
    today = today or today_cn()
    found = await CommendationRound.get_or_none(id=round_id)
    if found is None or found.state not in PUBLIC_STATES:
        raise NotFound(_("表彰轮次不存在或尚未公示。"), field="round_id")
    _check_objection_period(found, today)
    errors = _objection_errors(nomination_id, name, contact, content)
    if errors:
        raise errors
    assert nomination_id is not None
    async with transaction():
        locked = await _locked_round(round_id)
        _check_objection_period(locked, today)
        await _check_objection_flood(round_id, source=source, contact=contact.strip())
        nomination = await Nomination.get_or_none(id=nomination_id, round_id=round_id)
        if nomination is None or nomination.status != "nominee":
            raise InvalidInput(
                _("请选择公示名单中的推荐对象。"), field="nomination_id", code="not_on_notice"
            )
        objection = await Objection.create(
            round_id=round_id,
            nomination_id=nomination.id,
            name=name.strip(),
            contact=contact.strip(),
            content=content.strip(),
            source_hash=source,
        )
        # The objector's name and contact are personal data: the audit row keeps lengths only.
        await audit.record(
            actor=None,
            actor_label="public",
            action="commendation.objection.file",
            object_type="commendation_objection",
            object_id=objection.id,
            after={"round_id": round_id, "nomination_id": nomination.id},
        )
    return objection


#: At most this many objections per round from one sender (address or contact) in
#: OBJECTION_WINDOW: enough for anyone with real concerns about several nominees, too few to flood.
OBJECTION_LIMIT = 10
OBJECTION_WINDOW = timedelta(hours=24)


async def _check_objection_flood(round_id: int, *, source: str, contact: str) -> None:
    """Refuse (HTTP 429) a sender past OBJECTION_LIMIT. Runs under the round's lock, so racing
    submissions from one sender cannot each slip under the limit."""
    since = clock.now() - OBJECTION_WINDOW
    recent = Objection.filter(round_id=round_id, submitted_at__gte=since)
    by_contact = await recent.filter(contact=contact).count()
    by_source = await recent.filter(source_hash=source).count() if source else 0
    if max(by_contact, by_source) >= OBJECTION_LIMIT:
        raise RateLimited(
            _(
                "同一来源 24 小时内对本轮表彰最多提交 %(limit)d 条异议；"
                "如有更多情况，请在已提交的异议中补充或通过公示所列渠道反映。",
                limit=OBJECTION_LIMIT,
            ),
            code="objection_rate_limited",
        )


def _check_objection_period(found: CommendationRound, today: date) -> None:
    if found.state != "notice" or found.notice_end is None or found.notice_start is None:
        raise RuleViolation(
            _("本轮表彰不在公示期内，不再受理异议。"), code="objection_period_closed"
        )
    if today > found.notice_end:
        raise RuleViolation(
            _(
                "公示期已于 %(end)s 结束，不再受理异议。",
                end=found.notice_end.isoformat(),
            ),
            code="objection_period_closed",
        )
    if today < found.notice_start:
        raise RuleViolation(
            _("公示期自 %(start)s 开始，届时方可提出异议。", start=found.notice_start.isoformat()),
            code="objection_period_not_open",
        )


def _objection_errors(
    nomination_id: int | None, name: str, contact: str, content: str
) -> InvalidInput | None:
    from fupin.errors import FieldError

    errors: list[FieldError] = []
    if nomination_id is None or not 0 < nomination_id < 2**31:
        errors.append(FieldError("nomination_id", _("请选择异议针对的推荐对象。"), "required"))
    for field_name, text in (("name", name), ("contact", contact), ("content", content)):
        if _has_control(text or ""):
            errors.append(FieldError(field_name, _("包含不允许的控制字符。"), "control_characters"))
    if not (name or "").strip() or len((name or "").strip()) > 64:
        errors.append(
            FieldError("name", _("请填写您的真实姓名（实名提出异议，不超过 64 字）。"), "required")
        )
    if not (contact or "").strip() or len((contact or "").strip()) > 128:
        errors.append(
            FieldError(
                "contact", _("请填写联系电话或地址，便于核实回复（不超过 128 字）。"), "required"
            )
        )
    text = (content or "").strip()
    if len(text) < 10 or len(text) > 5000:
        errors.append(
            FieldError("content", _("请具体说明异议的事实和理由（10 至 5000 字）。"), "required")
        )
    if errors:
        return InvalidInput(errors=errors, code=errors[0].code)
    return None


async def list_objections(round_id: int) -> list[Objection]:
    return list(
        await Objection.filter(round_id=round_id)
        .order_by("id")
        .prefetch_related("nomination", "resolved_by")
    )


async def resolve_objection(
    *,
    actor: Actor | None,
    objection_id: int,
    upheld: bool,
    resolution: str,
    system: bool = False,
) -> Objection:
    """Record the office's finding; an upheld objection removes the nominee from the list."""
    _require_manage(actor, system=system)
    text = clean_text(resolution, field="resolution", max_length=5000)
    if len(text) < 2:
        raise InvalidInput(
            _("请填写核实情况和处理意见（不超过 5000 字）。"), field="resolution", code="required"
        )
    async with transaction():
        objection = await Objection.filter(id=objection_id).select_for_update().first()
        if objection is None:
            raise NotFound(_("异议不存在。"), field="objection_id")
        found = await _locked_round(objection.round_id)
        ROUND_MACHINE.check(found.state, "resolve_objection")
        if objection.state != "open":
            raise RuleViolation(_("该异议已处理。"), code="already_resolved")
        objection.state = "upheld" if upheld else "dismissed"
        objection.resolution = text
        objection.resolved_by_id = actor.user_id if actor else None
        objection.resolved_at = clock.now()
        await objection.save(update_fields=["state", "resolution", "resolved_by_id", "resolved_at"])
        if upheld:
            await Nomination.filter(id=objection.nomination_id, status="nominee").update(
                status="removed"
            )
        await audit.record(
            actor=actor,
            action="commendation.objection.resolve",
            object_type="commendation_objection",
            object_id=objection.id,
            before={"state": "open"},
            after={"state": objection.state, "nomination_id": objection.nomination_id},
        )
    return objection


async def publish_final(
    *, actor: Actor | None, round_id: int, today: date | None = None, system: bool = False
) -> CommendationRound:
    """Publish the final list: the notice period is over and every objection resolved."""
    _require_manage(actor, system=system)
    today = today or today_cn()
    async with transaction():
        found = await _locked_round(round_id)
        ROUND_MACHINE.check(found.state, "publish_final")
        assert found.notice_end is not None
        facts = RoundFacts(
            today=today,
            notice_end=found.notice_end,
            open_objections=await Objection.filter(round_id=found.id, state="open").count(),
        )
        final = ROUND_MACHINE.check(found.state, "publish_final", facts)
        awarded = await Nomination.filter(round_id=found.id, status="nominee").update(
            status="awarded"
        )
        found.state = final.to
        found.final_published_at = clock.now()
        await found.save(update_fields=["state", "final_published_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.final",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "notice"},
            after={"state": found.state, "awarded": awarded},
        )
    return found


async def close_round(
    *, actor: Actor | None, round_id: int, system: bool = False
) -> CommendationRound:
    _require_manage(actor, system=system)
    async with transaction():
        found = await _locked_round(round_id)
        found.state = ROUND_MACHINE.check(found.state, "close").to
        found.closed_at = clock.now()
        await found.save(update_fields=["state", "closed_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.close",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "final"},
            after={"state": "closed"},
        )
    return found


# --- reproducing the figures from the ledger ---------------------------------------------------


@dataclass
class LedgerFigures:
    participant_id: int
    confirmed_cash_fen: int = 0
    in_kind_fen: int = 0
    targeted_fen: int = 0
    reversed_donations: int = 0
    need_ids: set[int] = field(default_factory=set)

    @property
    def total_confirmed_fen(self) -> int:
        return self.confirmed_cash_fen + self.in_kind_fen


async def ledger_figures(start: date, end: date) -> dict[int, LedgerFigures]:
    """Each donor's confirmed money over a window recomputed from the public ledger alone:
    ``donation_confirmed`` entries received in the window, minus the ``donation_reversed``
    entries that reverse them (whenever the reversal was made). Anonymous donors' ids come from
    the entries' commitments (``LedgerSecret``), as an auditor opens them."""

    @dataclass
    class Original:
        donor: int
        kind: str
        targeted: bool
        need: int
        reversed: bool = False

    originals: dict[int, Original] = {}
    result: dict[int, LedgerFigures] = {}
    last = 0
    # Bounded batches over an append-only table.
    while True:
        rows = list(
            await LedgerEntry.filter(
                seq__gt=last, kind__in=["donation_confirmed", "donation_reversed"]
            )
            .order_by("seq")
            .limit(5000)
        )
        if not rows:
            break
        last = rows[-1].seq
        secrets: dict[int, Any] = {}
        for secret in await LedgerSecret.filter(
            entry_id__in=[r.seq for r in rows], field="donor_id"
        ):
            secrets[secret.entry_id] = json.loads(secret.value_json)
        for row in rows:
            payload = json.loads(row.payload_json)
            if row.kind == "donation_confirmed":
                received = date.fromisoformat(payload["received_on"])
                if not start <= received <= end:
                    continue
                donor = payload.get("donor_id")
                if not isinstance(donor, int):
                    donor = secrets.get(row.seq)
                if not isinstance(donor, int):
                    raise FupinError(f"ledger entry {row.seq}: donor not recoverable")
                original = Original(
                    donor=donor,
                    kind=str(payload["kind"]),
                    targeted=bool(payload.get("targeted")),
                    need=int(payload["need"]),
                )
                originals[int(row.subject.split(":", 1)[1])] = original
                amount = int(payload["amount_fen"])
            else:
                found = originals.get(int(payload["reverses"]))
                if found is None:
                    continue  # reverses a donation received outside the window
                original = found
                original.reversed = True
                amount = int(payload["amount_fen"])  # negative
            target = result.setdefault(original.donor, LedgerFigures(participant_id=original.donor))
            _add(target, original.kind, amount, original.targeted)
            if row.kind == "donation_reversed":
                target.reversed_donations += 1
    for original in originals.values():
        if not original.reversed:
            result[original.donor].need_ids.add(original.need)
    return result


def _add(target: LedgerFigures, kind: str, amount_fen: int, targeted: bool) -> None:
    if kind == "in_kind":
        target.in_kind_fen += amount_fen
    else:
        target.confirmed_cash_fen += amount_fen
    if targeted:
        target.targeted_fen += amount_fen


async def places_from_ledger(figures: LedgerFigures) -> tuple[int, int]:
    """(counties, villages) reached by the needs the ledger entries name."""
    needs = await Need.filter(id__in=list(figures.need_ids)).prefetch_related("region")
    counties = {n.county_code for n in needs if n.county_code}
    villages = {n.region_id for n in needs if n.region.level == "village"}
    return len(counties), len(villages)


# --- exports -------------------------------------------------------------------------------


def nomination_rows(nominations: Sequence[Nomination], *, private: bool) -> Any:
    """The list as an ``exports`` table; ``private`` adds the office's figures and reasons."""
    from fupin.accounts.service.participants import kind_label

    spec: list[tuple[str, str, str]] = [
        ("category", N_("类别"), "text"),
        ("rank", N_("名次"), "int"),
        ("name", N_("名称"), "text"),
        ("kind", N_("参与方类型"), "text"),
        ("status", N_("状态"), "text"),
        ("total", N_("确认捐赠合计（元）"), "yuan"),
        ("completed_needs", N_("已完成项目"), "int"),
        ("villages", N_("帮扶村数"), "int"),
        ("counties", N_("帮扶县数"), "int"),
    ]
    if private:
        spec += [
            ("cash", N_("现金（元）"), "yuan"),
            ("in_kind", N_("实物（元）"), "yuan"),
            ("targeted", N_("定向扶贫（元）"), "yuan"),
            ("pledges_due", N_("到期认捐"), "int"),
            ("pledges_honoured", N_("已兑现认捐"), "int"),
            ("reversed", N_("冲正笔数"), "int"),
            ("anonymous", N_("匿名捐赠"), "bool"),
            ("reasons", N_("不符合条件的原因"), "text"),
        ]
    rows = []
    for n in nominations:
        f = n.figures or {}
        row: dict[str, Any] = {
            "category": category_label(n.category),
            "rank": n.rank,
            "name": n.public_name,
            "kind": kind_label(n.participant.kind),
            "status": _(STATUS_LABELS.get(n.status, n.status)),
            "total": int(f.get("total_confirmed_fen", 0)),
            "completed_needs": int(f.get("completed_needs", 0)),
            "villages": int(f.get("villages_reached", 0)),
            "counties": int(f.get("counties_reached", 0)),
        }
        if private:
            row |= {
                "cash": int(f.get("confirmed_cash_fen", 0)),
                "in_kind": int(f.get("in_kind_fen", 0)),
                "targeted": int(f.get("targeted_fen", 0)),
                "pledges_due": int(f.get("pledges_due", 0)),
                "pledges_honoured": int(f.get("pledges_honoured", 0)),
                "reversed": int(f.get("reversed_donations", 0)),
                "anonymous": bool(f.get("gave_anonymously")),
                "reasons": "；".join(reason_text(r) for r in n.reasons or []),
            }
        rows.append(row)
    return [(key, _(label), kind) for key, label, kind in spec], rows
