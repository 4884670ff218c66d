"""Per pair-year targets and reported figures, and the history of every pair (docs/domain.md §3.3).

The annual cooperation agreement (east–west) or responsibility letter (designated assistance)
fixes a target per indicator of docs/rules.md §6; at year end the office records what the pair
reports. One ``PairYear`` per pair and year holds the assessment notes; one ``PairFigure`` per
indicator holds target and reported figure (integer fen for money, people or count otherwise).
``PairEvent`` keeps the history of a pair: added, ended, re-drawn, figures changed.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model
from tortoise.validators import MinValueValidator

#: Grades of the 2021+ east–west assessment (docs/rules.md §6.1): 好 / 较好 / 一般 / 差.
GRADES = ("", "good", "fairly_good", "average", "poor")
PAIR_EVENT_ACTIONS = ("add", "end", "redraw", "replaced", "figures")


class PairYear(Model):
    id = fields.IntField(primary_key=True)
    pair: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Pair", related_name="years", on_delete=fields.CASCADE
    )
    pair_id: int
    year = fields.SmallIntField()
    # The assessment grade the office gave (2021+ scheme), empty until graded.
    grade = fields.CharField(max_length=12, default="")
    # The pair's own summary for its annual self-assessment report (docs/rules.md §6.1 timetable).
    summary = fields.TextField(default="")
    note = fields.TextField(default="")
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="pair_years", null=True, on_delete=fields.SET_NULL
    )
    updated_by_id: int | None

    class Meta:
        table = "pair_year"
        unique_together = (("pair", "year"),)
        ordering = ["pair_id", "year"]


class PairFigure(Model):
    id = fields.IntField(primary_key=True)
    pair_year: fields.ForeignKeyRelation[PairYear] = fields.ForeignKeyField(
        "models.PairYear", related_name="figures", on_delete=fields.CASCADE
    )
    pair_year_id: int
    # An indicator code of fupin.pairs.rules.alerts.INDICATORS.
    indicator = fields.CharField(max_length=32)
    # None: not agreed / not reported. Never negative (validated here and in the domain).
    target = fields.BigIntField(null=True, validators=[MinValueValidator(0)])
    reported = fields.BigIntField(null=True, validators=[MinValueValidator(0)])
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "pair_figure"
        unique_together = (("pair_year", "indicator"),)
        ordering = ["id"]


class PairEvent(Model):
    """One change in the life of a pair, kept for its history page (re-drawn in 2016, 2021)."""

    id = fields.IntField(primary_key=True)
    pair: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Pair", related_name="events", on_delete=fields.CASCADE
    )
    pair_id: int
    action = fields.CharField(max_length=12)
    # The other pair of a re-drawing (the successor on "replaced", the predecessor on "redraw").
    other_pair: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Pair", related_name="related_events", null=True, on_delete=fields.SET_NULL
    )
    other_pair_id: int | None
    year = fields.SmallIntField(null=True)
    detail = fields.JSONField(default=dict)
    reason = fields.TextField(default="")
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="pair_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_label = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pair_event"
        ordering = ["id"]
