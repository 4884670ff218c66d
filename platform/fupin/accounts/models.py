"""Users, roles, API tokens, login attempts, server-side sessions and set-password links
(docs/domain.md §5 security bar; docs/security.md)."""

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
    # 扶贫监督员: reads across its province or county, files observations (docs/domain.md §3.10).
    "supervisor",
)


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, default="")
    # Argon2id hash (memory-hard), never the password. Empty: no password yet — an account an
    # office created waits for its person to set one through a set-password link.
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=24, db_index=True)
    # Scope of office roles: the province, county or village the user acts for.
    region: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Region", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    region_id: str | None
    # Scope of participant members: the organisation or individual they act for.
    participant: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Participant", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    participant_id: int | None
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    # Who created the account: the office user, or None for the operator (CLI, demo loader).
    # Two-person rules of other areas compare it with the acting user (``created_by_id``).
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_users", null=True, on_delete=fields.SET_NULL
    )
    # When the password was last set (by its person, or by the operator); None: never.
    password_changed_at = fields.DatetimeField(null=True)
    created_by_id: int | None

    class Meta:
        table = "user_account"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def has_password(self) -> bool:
        """False while the account waits for its person to set a password (activation)."""
        return bool(self.password_hash)


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
    # Refused from then on (chosen at creation: accounts.rules.TOKEN_LIFETIMES). Tokens made
    # before expiries existed got a year from their creation (migration 0005).
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


#: LoginAttempt.outcome: recorded before the password is checked ("pending"), then settled.
ATTEMPT_OUTCOMES = ("pending", "failed", "ok")


class LoginAttempt(Model):
    """Login attempts, kept in the database so the lock-out holds across processes. Each attempt
    is recorded before its password is checked and decided by how many failed or pending
    attempts precede it (accounts.service.users.authenticate)."""

    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    outcome = fields.CharField(max_length=8, default="failed", db_default="failed")

    class Meta:
        table = "login_attempt"


class UserSession(Model):
    """A browser session. The cookie carries an opaque random id, the table only its SHA-256,
    so a copy of the database cannot be replayed as a cookie. A session acts for its user only
    while it has not ended, is younger than its absolute lifetime (``expires_at``), was seen
    within the idle timeout, and the user is active (docs/security.md)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    # logout, ended, others_ended, all_ended, password_changed, password_set, deactivated,
    # signed_out (by an office or the operator), replaced (a new login in the same browser)
    end_reason = fields.CharField(max_length=24, default="")
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=255, default="")

    class Meta:
        table = "user_session"
        ordering = ["-id"]


class PasswordLink(Model):
    """A one-time, expiring link with which a person sets their own password: to activate an
    account an office created, or after an office reset. Only the token's SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_links", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharField(max_length=8)  # activate | reset
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="issued_password_links", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_link"


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
    # The full number is never stored, so it can never be shown again (docs/domain.md §3.2).
    id_number_hash = fields.CharField(max_length=64, null=True, unique=True)
    id_number_masked = fields.CharField(max_length=18, default="")
    region: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Region", related_name="participants", null=True, on_delete=fields.RESTRICT
    )
    region_id: str | None
    description = fields.TextField(default="")
    contact_email = fields.CharField(max_length=128, default="")
    # Matching preferences (docs/domain.md §3.11): category codes and region codes the donor supports.
    stated_categories = fields.JSONField(default=list)
    stated_region_codes = fields.JSONField(default=list)
    # Consent to be recommended for a commendation and named in its public notice, given or
    # withdrawn by the participant itself (docs/rules.md §5.4), and when it last changed; an
    # anonymous donor without it is never nominated.
    commendation_opt_in = fields.BooleanField(default=False)
    commendation_consent_at = fields.DatetimeField(null=True)
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
    helped_region_id: str
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
