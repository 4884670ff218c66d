"""Five-year commendation rounds, their categories, nominations and public objections
(docs/domain.md §3.9, docs/rules.md §5).

A round moves draft → nominations → notice → final → closed, or ends cancelled (the transition table is
``ROUND_MACHINE`` in ``fupin.commendation.rules.rounds``). Nothing about a round is money, but
every figure of a nomination is a snapshot of the confirmed record at ranking time (``figures``)
and can be recomputed from the public ledger.

Overlapping windows are refused twice: by the service (a clear message) and by the database —
each round claims its five calendar years in ``CommendationRoundYear`` whose ``year`` is unique,
so two concurrent creations of overlapping rounds cannot both commit.

Objections (异议) are real-name: the practice of the national award was that objections are
made "by phone or in writing, with real names, to the office named in the notice" (docs/rules.md
§5.1). Name and contact are therefore required, kept private (office only, never on a public
page, never in an export) and used only to reply.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

ROUND_STATES = ("draft", "nominations", "notice", "final", "closed", "cancelled")
#: Nomination statuses. ``nominee``: ranked within the quota (on the notice list). ``reserve``:
#: ranked below the quota. ``excluded``: not eligible (reasons kept). ``removed``: taken off the
#: list by an upheld objection. ``awarded``: on the published final list.
NOMINATION_STATUSES = ("nominee", "reserve", "excluded", "removed", "awarded")
OBJECTION_STATES = ("open", "upheld", "dismissed")

#: Lengths of the texts people type (the columns, and what the API and the forms accept).
ROUND_TITLE_MAX = 120
OBJECTION_CHANNEL_MAX = 255
OBJECTOR_NAME_MAX = 64
OBJECTOR_CONTACT_MAX = 128
OBJECTION_CONTENT_MIN = 10
OBJECTION_CONTENT_MAX = 5000
RESOLUTION_MAX = 5000
#: Upper bounds of a category's numbers (the columns are 32-bit, money 64-bit fen).
CATEGORY_LIMITS = {
    "quota": 100_000,
    "min_confirmed_money_fen": 10**15,
    "min_completed_needs": 1_000_000,
    "min_villages_reached": 1_000_000,
    "min_honour_rate_bp": 10_000,
}


class CommendationRound(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=ROUND_TITLE_MAX)
    first_year = fields.SmallIntField()
    last_year = fields.SmallIntField()
    window_start = fields.DateField()
    window_end = fields.DateField()
    state = fields.CharField(max_length=12, default="draft", db_default="draft", db_index=True)
    # Length of the public notice (公示) in working days, about 5 in practice (docs/rules.md §5.1).
    notice_working_days = fields.SmallIntField(default=5)
    notice_start = fields.DateField(null=True)
    notice_end = fields.DateField(null=True)  # last day (inclusive) objections are accepted
    # Set when the built-in holiday table did not cover the notice: weekends only were used.
    notice_calendar_note = fields.TextField(default="")
    # The office named in the notice that receives objections (phone / address).
    objection_channel = fields.CharField(max_length=OBJECTION_CHANNEL_MAX, default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="commendation_rounds", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    ranked_at = fields.DatetimeField(null=True)
    notice_published_at = fields.DatetimeField(null=True)
    final_published_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    # A cancelled round keeps its record and says why; its years are free for another round.
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.TextField(default="")
    is_demo = fields.BooleanField(default=False)

    class Meta:
        table = "commendation_round"
        ordering = ["-first_year", "-id"]

    def __str__(self) -> str:
        return self.title


class CommendationRoundYear(Model):
    """One calendar year claimed by a round: the unique ``year`` makes overlaps impossible."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[CommendationRound] = fields.ForeignKeyField(
        "models.CommendationRound", related_name="years", on_delete=fields.CASCADE
    )
    round_id: int
    year = fields.SmallIntField(unique=True)

    class Meta:
        table = "commendation_round_year"


class RoundCategory(Model):
    """An award line of a round (奉献奖/贡献奖 × collective/individual), its quota and criteria."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[CommendationRound] = fields.ForeignKeyField(
        "models.CommendationRound", related_name="categories", on_delete=fields.CASCADE
    )
    round_id: int
    award_type = fields.CharField(max_length=16)
    scope = fields.CharField(max_length=12)
    quota = fields.IntField()
    min_confirmed_money_fen = fields.BigIntField(default=0)
    min_completed_needs = fields.IntField(default=0)
    min_villages_reached = fields.IntField(default=0)
    min_honour_rate_bp = fields.IntField(default=0)  # basis points: 9000 = 90 %

    class Meta:
        table = "commendation_category"
        ordering = ["id"]
        unique_together = (("round", "award_type", "scope"),)


class Nomination(Model):
    """One participant's place in one round: ranked (nominee/reserve) or excluded with reasons.

    ``figures`` is the aggregate of docs/rules.md §5.3 at ranking time (integer fen and counts),
    ``evidence`` the evidence pack (receipts, completed needs, pair contributions), ``reasons``
    the exclusion reasons as ``[{"code", "params"}]``.
    """

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[CommendationRound] = fields.ForeignKeyField(
        "models.CommendationRound", related_name="nominations", on_delete=fields.CASCADE
    )
    round_id: int
    category: fields.ForeignKeyRelation[RoundCategory] = fields.ForeignKeyField(
        "models.RoundCategory", related_name="nominations", on_delete=fields.CASCADE
    )
    category_id: int
    participant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="nominations", on_delete=fields.RESTRICT
    )
    participant_id: int
    status = fields.CharField(max_length=10, db_index=True)
    rank = fields.IntField(null=True)
    # The participant's name as it stood when ranked: the name on the public lists.
    public_name = fields.CharField(max_length=128)
    figures = fields.JSONField(default=dict)
    evidence = fields.JSONField(default=dict)
    reasons = fields.JSONField(default=list)
    # True when this entry sits at the quota cut inside a tie on the substantive keys.
    tie_at_cut = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "commendation_nomination"
        ordering = ["category_id", "rank", "id"]
        unique_together = (("round", "participant"),)


class Objection(Model):
    """A public objection (异议) to a nominee, filed during the notice period, and its resolution.

    ``name`` and ``contact`` are required (real-name practice, docs/rules.md §5.1) and private.
    ``source_hash`` is a keyed hash of the sender's network address, never the address itself:
    it lets the form refuse a flood from one sender without keeping who sent it."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[CommendationRound] = fields.ForeignKeyField(
        "models.CommendationRound", related_name="objections", on_delete=fields.CASCADE
    )
    round_id: int
    nomination: fields.ForeignKeyRelation[Nomination] = fields.ForeignKeyField(
        "models.Nomination", related_name="objections", on_delete=fields.CASCADE
    )
    nomination_id: int
    name = fields.CharField(max_length=OBJECTOR_NAME_MAX)
    contact = fields.CharField(max_length=OBJECTOR_CONTACT_MAX)
    content = fields.TextField()
    submitted_at = fields.DatetimeField(auto_now_add=True)
    source_hash = fields.CharField(max_length=64, default="", db_index=True)
    state = fields.CharField(max_length=10, default="open", db_index=True)
    resolution = fields.TextField(default="")
    resolved_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="objections_resolved", null=True, on_delete=fields.SET_NULL
    )
    resolved_by_id: int | None
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "commendation_objection"
        ordering = ["id"]
