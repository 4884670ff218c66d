"""The audit log: every write by a user, with before/after (docs/domain.md §3.10)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditLog(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    # Username at the time (kept even if the account is later removed), or "system"/"cli".
    actor_label = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=32, db_index=True)
    object_id = fields.CharField(max_length=64, default="", db_index=True)
    before: Any = fields.JSONField(null=True)
    after: Any = fields.JSONField(null=True)
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_log"
        ordering = ["-id"]


class DataGeneration(Model):
    """How many write transactions the database has committed (one row, id 1): bumped as the
    last statement of every ``fupin.db.transaction()``, read by the caches of derived figures,
    so that a figure cached in any process is never older than the snapshot it was read in."""

    id = fields.IntField(primary_key=True, generated=False)
    n = fields.BigIntField(default=0)

    class Meta:
        table = "data_generation"
