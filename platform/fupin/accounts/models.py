"""Users, roles, API tokens and login attempts (BRIEF §5 security bar)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

ROLES = (
    "national_admin",
    "province_office",
    "county_officer",
    "village_worker",
    "participant_member",
    "auditor",
)


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, default="")
    # Argon2id hash (memory-hard), never the password.
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=24, db_index=True)
    # Scope of office roles: the province, county or village the user acts for.
    region: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Region", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    region_id: int | None
    # Scope of participant members: the organisation or individual they act for.
    participant: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Participant", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    participant_id: int | None
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_account"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(Model):
    """Per-user bearer token for the JSON API: only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=64, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class LoginAttempt(Model):
    """Failed logins, kept in the database so the rate limit holds across processes."""

    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_attempt"


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
    region_id: int | None
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


PAIR_KINDS = ("east_west", "designated")
#: Which participant kinds may be the helper of each kind of pair.
HELPER_KINDS = {"east_west": ("east_partner",), "designated": ("central_unit", "democratic_party")}


class Pair(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=12, db_index=True)
    helper: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="pairs", on_delete=fields.RESTRICT
    )
    helper_id: int
    helped_region: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Region", related_name="helping_pairs", on_delete=fields.RESTRICT
    )
    helped_region_id: int
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
    replaces_id: int | None
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pair"
        ordering = ["id"]
