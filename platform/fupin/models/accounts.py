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
    # Scope of participant members: the organisation or individual they act for.
    participant: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Participant", related_name="members", null=True, on_delete=fields.RESTRICT
    )
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
