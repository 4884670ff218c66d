"""The append-only, hash-chained public ledger (docs/domain.md §3.7) and its private commitments."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LedgerEntry(Model):
    """One money-relevant event as published. Never updated or deleted."""

    seq = fields.BigIntField(primary_key=True)  # 1-based, gapless
    at = fields.CharField(max_length=20, db_index=True)  # YYYY-MM-DDTHH:MM:SSZ
    kind = fields.CharField(max_length=32, db_index=True)
    subject = fields.CharField(max_length=160, db_index=True)
    # Canonical JSON of the public payload (personal fields replaced by commitments).
    payload_json = fields.TextField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "ledger_entry"
        ordering = ["seq"]


class LedgerSecret(Model):
    """The private half of a redacted field: value and salt of a commitment (never published)."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[LedgerEntry] = fields.ForeignKeyField(
        "models.LedgerEntry", related_name="secrets", on_delete=fields.RESTRICT
    )
    entry_id: int
    field = fields.CharField(max_length=64)
    value_json = fields.TextField()
    salt = fields.CharField(max_length=32)

    class Meta:
        table = "ledger_secret"
        unique_together = (("entry", "field"),)


class LedgerHead(Model):
    """A single row holding the current head: locked (FOR UPDATE) by every append, so the
    chain stays linear and gapless with concurrent writers on PostgreSQL; on SQLite the
    write transaction (BEGIN IMMEDIATE) already serialises appends."""

    id = fields.IntField(primary_key=True)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)
    at = fields.CharField(max_length=20, default="")

    class Meta:
        table = "ledger_head"
