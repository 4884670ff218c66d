"""The yearly targets and reported figures of a pair (docs/domain.md §3.3, docs/rules.md §6).

The annual agreement fixes a target per indicator; at year end the office records what the pair
reports, and grades the year. ``save_figures`` takes the stored values (integer fen for money,
people or counts) from the API and the HTML form (their schemas, ``fupin.pairs.schemas``, have
checked them), and form text (money in 万元, ``fupin.pairs.rules.figures``) from the command
line and the tests; nothing is written unless every figure is right.

Who: ``pair.targets.edit`` — the national office anywhere, a provincial office for pairs whose
helped region lies in its province.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError

from fupin.core import audit
from fupin.core.policy import Actor, require
from fupin.db import transaction
from fupin.errors import Conflict, FieldError, InvalidInput
from fupin.i18n import N_, _
from fupin.pairs.models import GRADES, PairFigure, PairYear
from fupin.pairs.rules.alerts import GROUP_LABELS, INDICATOR_BY_CODE, INDICATORS, Indicator
from fupin.pairs.rules.figures import FigureError
from fupin.pairs.rules.figures import parse_figure as parse_figure_value
from fupin.pairs.rules.terms import REPORT_TEXT_MAX
from fupin.pairs.service.management import (
    get_pair_for_update,
    last_year,
    pair_scope,
    parse_year,
    record_event,
)

#: Grades of the 2021+ east–west assessment (docs/rules.md §6.1): 好 / 较好 / 一般 / 差.
GRADE_LABELS = {
    "": "—",
    "good": N_("好"),
    "fairly_good": N_("较好"),
    "average": N_("一般"),
    "poor": N_("差"),
}


def parse_figure(
    raw: Any, indicator: Indicator, field: str, errors: list[FieldError]
) -> int | None:
    """One figure (``fupin.pairs.rules.figures.parse_figure``); a problem is added to
    ``errors`` naming ``field`` (``target.<code>`` or ``reported.<code>``)."""
    try:
        return parse_figure_value(raw, indicator, target=field.startswith("target"))
    except FigureError as exc:
        errors.append(FieldError(field, exc.message, exc.code))
        return None


@dataclass
class YearFigures:
    """The targets and reported figures of one pair-year, and its assessment notes."""

    pair_id: int
    year: int
    pair_year: PairYear | None
    targets: dict[str, int | None]
    reported: dict[str, int | None]

    @property
    def grade(self) -> str:
        return self.pair_year.grade if self.pair_year else ""

    @property
    def summary(self) -> str:
        return self.pair_year.summary if self.pair_year else ""

    @property
    def note(self) -> str:
        return self.pair_year.note if self.pair_year else ""


async def year_figures(pair_id: int, year: int) -> YearFigures:
    pair_year = await PairYear.get_or_none(pair_id=pair_id, year=year)
    targets: dict[str, int | None] = {}
    reported: dict[str, int | None] = {}
    if pair_year is not None:
        for figure in await PairFigure.filter(pair_year_id=pair_year.id):
            targets[figure.indicator] = figure.target
            reported[figure.indicator] = figure.reported
    return YearFigures(pair_id, year, pair_year, targets, reported)


async def save_figures(
    *,
    actor: Actor,
    pair_id: int,
    year: Any,
    targets: dict[str, Any] | None = None,
    reported: dict[str, Any] | None = None,
    grade: str | None = None,
    summary: str | None = None,
    note: str | None = None,
    today: date | None = None,
) -> YearFigures:
    """Record the agreed targets and/or the reported figures of one pair-year.

    ``targets`` / ``reported`` map indicator codes to a value: an int (fen for money) from the
    API, or form text (money in 万元); ``None`` or "" clears the figure. Indicators not
    mentioned stay as they are. The year must lie inside the pair's term; nothing is negative.
    """
    pair = await get_pair_for_update(pair_id)
    require(actor, "pair.targets.edit", pair_scope(pair))
    errors: list[FieldError] = []
    the_year = parse_year(year, "year", errors)
    if the_year is not None and not pair.start_year <= the_year <= last_year(pair, today):
        errors.append(
            FieldError(
                "year",
                _(
                    "%(y)d 年不在该结对的执行期（%(a)d–%(b)s）内。",
                    y=the_year,
                    a=pair.start_year,
                    b=str(pair.end_year) if pair.end_year else _("至今"),
                ),
                "out_of_range",
            )
        )
    changes: dict[str, dict[str, int | None]] = {}
    for kind_name, given in (("target", targets or {}), ("reported", reported or {})):
        for code, raw in given.items():
            indicator = INDICATOR_BY_CODE.get(str(code))
            field = f"{kind_name}.{code}"
            if indicator is None:
                errors.append(FieldError(field, _("未知的指标：%(code)s", code=str(code)[:40])))
                continue
            value = parse_figure(raw, indicator, field, errors)
            changes.setdefault(indicator.code, {})[kind_name] = value
    if grade is not None and grade not in GRADES:
        errors.append(FieldError("grade", _("未知的考核等次。")))
    for name, text in (("summary", summary), ("note", note)):
        if text is not None and len(text) > REPORT_TEXT_MAX:
            errors.append(FieldError(name, _("内容过长。"), "too_long"))
    if errors:
        raise InvalidInput(errors=errors)
    assert the_year is not None
    try:
        async with transaction():
            await PairYear.get_or_create(pair_id=pair.id, year=the_year)
            # Lock the pair-year so concurrent edits apply one after the other and each audit
            # row's "before" is what that edit really replaced.
            pair_year = (
                await PairYear.filter(pair_id=pair.id, year=the_year).select_for_update().get()
            )
            existing = {f.indicator: f for f in await PairFigure.filter(pair_year_id=pair_year.id)}
            before: dict[str, Any] = {
                code: {"target": f.target, "reported": f.reported} for code, f in existing.items()
            }
            before_meta = audit.snapshot(pair_year, ("grade", "summary", "note"))
            for code, values in changes.items():
                figure = existing.get(code)
                if figure is None:
                    figure = PairFigure(pair_year_id=pair_year.id, indicator=code)
                    existing[code] = figure
                for attr, value in values.items():
                    setattr(figure, attr, value)
                await figure.save()
            if grade is not None:
                pair_year.grade = grade
            if summary is not None:
                pair_year.summary = summary.strip()
            if note is not None:
                pair_year.note = note.strip()
            pair_year.updated_by_id = actor.user_id
            await pair_year.save()
            after: dict[str, Any] = {
                code: {"target": f.target, "reported": f.reported} for code, f in existing.items()
            }
            after_meta = audit.snapshot(pair_year, ("grade", "summary", "note"))
            await audit.record(
                actor=actor,
                action="pair.figures",
                object_type="pair_year",
                object_id=f"{pair.id}:{the_year}",
                before={"figures": before, **before_meta},
                after={"figures": after, **after_meta},
            )
            await record_event(
                pair=pair,
                action="figures",
                actor=actor,
                year=the_year,
                detail={"changed": sorted(changes), "grade": grade},
            )
    except IntegrityError:
        raise Conflict(_("该年度数据刚被他人修改，请刷新后重试。"), field="year") from None
    return await year_figures(pair.id, the_year)


def indicator_groups(kind: str | None = None) -> list[tuple[str, list[Indicator]]]:
    """Indicators grouped by assessment area; the pair kind's usual ones first within a group."""
    groups: dict[str, list[Indicator]] = {}
    for indicator in INDICATORS:
        groups.setdefault(indicator.group, []).append(indicator)
    ordered = []
    for group, items in groups.items():
        if kind:
            items = sorted(items, key=lambda i: kind not in i.kinds)
        ordered.append((_(GROUP_LABELS.get(group, group)), items))
    return ordered
