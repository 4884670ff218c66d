"""The search outbox: written in the same transaction as every change to a need (BRIEF §3.12)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SearchOutbox(Model):
    id = fields.BigIntField(primary_key=True)
    need_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.TextField(default="")
    done_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "search_outbox"
        ordering = ["id"]
