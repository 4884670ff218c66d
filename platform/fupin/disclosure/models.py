"""Public notices (公告公示) and complaints (举报) (docs/domain.md §3.10, docs/rules.md §7).

A ``Disclosure`` is published once and never edited: the guidance asks that a notice "stays
valid and can be checked at any time", so a mistake is corrected by a new notice that points to
the one it corrects (``corrects``), and a notice can be taken down only after its minimum display
period (``display_until``; none for portal notices, which stay up).

A ``Complaint`` is filed by anyone, named or anonymous, and followed with its ``tracking_code``
without an account. The complainant's name and contact are personal data: only the office that
handles the complaint sees them; ``source_hash`` is a keyed hash of the sender's address (never
the address) that bounds floods from one sender.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

#: Lengths of what people type (the columns, the API and the forms accept the same).
TITLE_MAX = 120
BODY_MAX = 20_000
CHANNEL_MAX = 255
REASON_MAX = 2000
COMPLAINT_CONTENT_MIN = 10
COMPLAINT_CONTENT_MAX = 5000
COMPLAINANT_NAME_MAX = 64
COMPLAINANT_CONTACT_MAX = 128
HANDLING_TEXT_MAX = 5000
TRACKING_CODE_LENGTH = 12


class Disclosure(Model):
    id = fields.IntField(primary_key=True)
    #: county | township | village | project (docs/rules.md §7)
    level = fields.CharField(max_length=10)
    #: one of the nine kinds of the 2017 guidance (``rules.notices.KINDS``)
    kind = fields.CharField(max_length=16, db_index=True)
    #: before (公示, before implementation) | after (公告, after completion) | "" (other notices)
    stage = fields.CharField(max_length=8, default="")
    #: The place the notice is about: the county, a township or a village.
    region: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Region", related_name="disclosures", on_delete=fields.RESTRICT
    )
    region_id: str
    county_code = fields.CharField(max_length=12, db_index=True)
    province_code = fields.CharField(max_length=12, db_index=True)
    need: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Need", related_name="disclosures", null=True, on_delete=fields.RESTRICT
    )
    need_id: int | None
    title = fields.CharField(max_length=TITLE_MAX)
    body = fields.TextField()
    complaint_channel = fields.CharField(max_length=CHANNEL_MAX)
    publisher: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="disclosures", null=True, on_delete=fields.SET_NULL
    )
    publisher_id: int | None
    #: The office that publishes (县扶贫办 of the county), shown on the notice.
    publisher_label = fields.CharField(max_length=64)
    published_at = fields.DatetimeField(db_index=True)
    #: None: a portal notice, kept public long-term (no take-down period).
    min_display_days = fields.SmallIntField(null=True)
    #: Last day (China time, inclusive) of the minimum display period, None for portal notices.
    display_until = fields.DateField(null=True)
    #: published | taken_down
    state = fields.CharField(max_length=12, default="published", db_index=True)
    taken_down_at = fields.DatetimeField(null=True)
    taken_down_reason = fields.TextField(default="")
    corrects: fields.ForeignKeyNullableRelation[Disclosure] = fields.ForeignKeyField(
        "models.Disclosure", related_name="corrections", null=True, on_delete=fields.RESTRICT
    )
    corrects_id: int | None
    attachments: fields.ReverseRelation[DisclosureAttachment]
    corrections: fields.ReverseRelation[Disclosure]

    class Meta:
        table = "disclosure"
        ordering = ["-published_at", "-id"]
        indexes = (("county_code", "published_at"), ("need_id", "stage"))


class DisclosureAttachment(Model):
    """A file of a notice: stored by content hash with the need attachments (same checks)."""

    id = fields.IntField(primary_key=True)
    disclosure: fields.ForeignKeyRelation[Disclosure] = fields.ForeignKeyField(
        "models.Disclosure", related_name="attachments", on_delete=fields.CASCADE
    )
    disclosure_id: int
    sha256 = fields.CharField(max_length=64)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    original_name = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "disclosure_attachment"
        ordering = ["id"]


class Complaint(Model):
    id = fields.IntField(primary_key=True)
    #: What a person follows it with, without an account (random, unguessable).
    tracking_code = fields.CharField(max_length=TRACKING_CODE_LENGTH, unique=True)
    #: need | disclosure | donation | county (the county's handling)
    subject = fields.CharField(max_length=12)
    need: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Need", related_name="complaints", null=True, on_delete=fields.RESTRICT
    )
    need_id: int | None
    disclosure: fields.ForeignKeyNullableRelation[Disclosure] = fields.ForeignKeyField(
        "models.Disclosure", related_name="complaints", null=True, on_delete=fields.RESTRICT
    )
    disclosure_id: int | None
    donation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Donation", related_name="complaints", null=True, on_delete=fields.RESTRICT
    )
    donation_id: int | None
    county_code = fields.CharField(max_length=12, db_index=True)
    province_code = fields.CharField(max_length=12, db_index=True)
    #: The office handling it now: county | province | national (escalation moves it up).
    handler_level = fields.CharField(max_length=10, db_index=True)
    content = fields.TextField()
    anonymous = fields.BooleanField(default=True)
    name = fields.CharField(max_length=COMPLAINANT_NAME_MAX, default="")
    contact = fields.CharField(max_length=COMPLAINANT_CONTACT_MAX, default="")
    source_hash = fields.CharField(max_length=64, default="", db_index=True)
    #: public | supervisor (an observation of a 扶贫监督员)
    origin = fields.CharField(max_length=12, default="public")
    filed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="complaints_filed", null=True, on_delete=fields.SET_NULL
    )
    filed_by_id: int | None
    state = fields.CharField(max_length=14, default="received", db_index=True)
    received_at = fields.DatetimeField(db_index=True)
    #: The handling deadline set when it was received (the statistics count against it).
    due_on = fields.DateField(db_index=True)
    #: The deadline of the office handling it now (a new one after each escalation).
    level_due_on = fields.DateField(db_index=True)
    escalations = fields.SmallIntField(default=0)
    not_accepted_reason = fields.TextField(default="")
    #: upheld | partly_upheld | not_upheld
    outcome = fields.CharField(max_length=16, default="")
    measures = fields.TextField(default="")
    public_summary = fields.TextField(default="")
    concluded_at = fields.DatetimeField(null=True)
    #: The day (China time) it was closed (concluded or not accepted), for "on time".
    closed_on = fields.DateField(null=True)
    events: fields.ReverseRelation[ComplaintEvent]
    attachments: fields.ReverseRelation[ComplaintAttachment]

    class Meta:
        table = "complaint"
        ordering = ["-id"]
        indexes = (("county_code", "received_at"), ("state", "level_due_on"))


class ComplaintEvent(Model):
    """One step of a complaint: who (the office's role, never the person, on public pages),
    when, from which state to which, and the note given."""

    id = fields.IntField(primary_key=True)
    complaint: fields.ForeignKeyRelation[Complaint] = fields.ForeignKeyField(
        "models.Complaint", related_name="events", on_delete=fields.CASCADE
    )
    complaint_id: int
    action = fields.CharField(max_length=16)
    from_state = fields.CharField(max_length=14, default="")
    to_state = fields.CharField(max_length=14)
    handler_level = fields.CharField(max_length=10, default="")
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="complaint_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_role = fields.CharField(max_length=24, default="")
    note = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "complaint_event"
        ordering = ["id"]


class ComplaintAttachment(Model):
    id = fields.IntField(primary_key=True)
    complaint: fields.ForeignKeyRelation[Complaint] = fields.ForeignKeyField(
        "models.Complaint", related_name="attachments", on_delete=fields.CASCADE
    )
    complaint_id: int
    sha256 = fields.CharField(max_length=64)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    original_name = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "complaint_attachment"
        ordering = ["id"]
