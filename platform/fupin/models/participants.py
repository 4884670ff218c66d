"""Participants: the seven kinds of social forces of 国办发〔2014〕58号 (BRIEF §3.2)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

KINDS = (
    "enterprise",
    "social_org",
    "individual",
    "central_unit",
    "east_partner",
    "democratic_party",
    "military",
)


class Participant(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=20, db_index=True)
    name = fields.CharField(max_length=128)
    # Unified social credit code for organisations (validated with its check character).
    uscc = fields.CharField(max_length=18, null=True, unique=True)
    # Individuals: HMAC of the resident ID number (for duplicate detection) and its mask.
    # The full number is never stored, so it can never be shown again (BRIEF §3.2).
    id_number_hash = fields.CharField(max_length=64, null=True, unique=True)
    id_number_masked = fields.CharField(max_length=18, default="")
    region: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Region", related_name="participants", null=True, on_delete=fields.RESTRICT
    )
    description = fields.TextField(default="")
    contact_email = fields.CharField(max_length=128, default="")
    # Matching preferences (BRIEF §3.11): category codes and region codes the donor supports.
    stated_categories = fields.JSONField(default=list)
    stated_region_codes = fields.JSONField(default=list)
    # Public opt-in to be named in commendation notices (RULES §5.3).
    commendation_opt_in = fields.BooleanField(default=False)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "participant"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
