"""Cooperation pairs: east–west cooperation and designated assistance (BRIEF §3.3)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

PAIR_KINDS = ("east_west", "designated")


class Pair(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=12, db_index=True)
    helper: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="pairs", on_delete=fields.RESTRICT
    )
    helped_region: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Region", related_name="helping_pairs", on_delete=fields.RESTRICT
    )
    start_year = fields.SmallIntField()
    # Last year in force; None while in force.
    end_year = fields.SmallIntField(null=True)
    # The period of the list that states the pair (e.g. "2016-2020").
    period = fields.CharField(max_length=16, default="")
    # Source ids / addresses and the verification note from the data files.
    source = fields.TextField(default="")
    verification = fields.CharField(max_length=64, default="")
    # Re-drawn pairs keep history: the pair this one replaced.
    replaces: fields.ForeignKeyNullableRelation[Pair] = fields.ForeignKeyField(
        "models.Pair", related_name="replaced_by", null=True, on_delete=fields.SET_NULL
    )
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pair"
        ordering = ["id"]
