"""Village needs, their in-kind items, attachments and history (docs/domain.md §3.4)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

NEED_STATES = (
    "draft",
    "submitted",
    "returned",
    "published",
    "funded",
    "in_progress",
    "completed",
    "closed",
    "withdrawn",
    "expired",
)
# States in which a need is visible to the public (a county officer has published it).
PUBLIC_STATES = ("published", "funded", "in_progress", "completed", "closed")


class Need(Model):
    id = fields.IntField(primary_key=True)
    # The village (or the county, for county-wide projects) the need belongs to.
    region: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Region", related_name="needs", on_delete=fields.RESTRICT
    )
    region_id: str
    # Denormalised county and province codes: scope checks and filters without joins.
    county_code = fields.CharField(max_length=12, db_index=True)
    province_code = fields.CharField(max_length=12, db_index=True)
    category = fields.CharField(max_length=20, db_index=True)
    title = fields.CharField(max_length=120)
    description = fields.TextField()
    # Money target in fen (0 when the need is in kind only).
    target_fen = fields.BigIntField(default=0)
    beneficiary_households = fields.IntField(default=0)
    beneficiary_people = fields.IntField(default=0)
    deadline = fields.DateField(db_index=True)
    state = fields.CharField(max_length=12, default="draft", db_default="draft", db_index=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="drafted_needs", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    published_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="published_needs", null=True, on_delete=fields.SET_NULL
    )
    published_by_id: int | None
    published_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Sum of active pledges and of confirmed donations, in fen. Maintained by the money
    # services in the same transaction as every pledge/donation event (the conditional
    # UPDATE on pledged_fen is what prevents over-pledging, docs/stack.md §4); a reconciliation
    # check recomputes both from the money records.
    pledged_fen = fields.BigIntField(default=0, db_default=0)
    received_fen = fields.BigIntField(default=0, db_default=0)
    is_demo = fields.BooleanField(default=False)
    # How the need entered the platform: web | api | import | demo.
    source = fields.CharField(max_length=12, default="web", db_default="web")
    # The county's own project number (bulk import), unique within the county when given, so
    # importing the same spreadsheet twice is reported instead of duplicating projects.
    external_ref = fields.CharField(max_length=64, default="", db_default="", db_index=True)

    class Meta:
        table = "need"
        ordering = ["-id"]
        indexes = (
            # Covers the public list's filter and its three sorts (newest, deadline, open
            # amount) and the expiry sweep, so a page is sorted from the index alone
            # (measured at 100k needs on SQLite: 10–40 ms instead of 120–190 ms).
            ("state", "deadline", "target_fen", "pledged_fen", "published_at"),
            # The lists' default order (still raising first, newest first) walked in order
            # and stopped after the page, the filters checked in the index alone (100k needs
            # on SQLite: page 1 0.07 ms, a county's 15 ms, instead of a 120–250 ms sort).
            # The village last: the planners pick this index for the dashboards' needs by
            # (state, published_at) too, and "villages asking" then reads it alone instead of
            # a table row per need.
            (
                "state",
                "published_at",
                "deadline",
                "pledged_fen",
                "target_fen",
                "province_code",
                "county_code",
                "category",
                "region_id",
            ),
            # county workspace counts; duplicate guard (same village + category)
            ("county_code", "state"),
            ("region_id", "category"),
            # Dashboards: needs published in a year by place, category and state, read from
            # the index alone; and "villages asking" (one covering probe per village).
            (
                "published_at",
                "state",
                "province_code",
                "county_code",
                "region_id",
                "category",
                "target_fen",
            ),
            ("region_id", "state", "published_at"),
            # The region dashboards' needs by place × category × state, walked in that group
            # order (the state first: the lists test it with IN, whose values come in order),
            # so that no sort of every public need is needed (100k needs on SQLite: the GROUP
            # BY sorted up to 90,000 index entries in a temporary B-tree).
            ("state", "province_code", "category", "published_at", "target_fen"),
            # The places that asked (a village, a county): needs grouped by county and village
            # in index order, and the 832 counties each probing their needs with the state and
            # the publication day read from the index, not from a row per need.
            ("county_code", "region_id", "state", "published_at"),
        )

    @property
    def open_fen(self) -> int:
        return max(self.target_fen - self.pledged_fen, 0)


class NeedItem(Model):
    """An in-kind item a need asks for (name, quantity, unit, unit value)."""

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="items", on_delete=fields.CASCADE
    )
    need_id: int
    name = fields.CharField(max_length=64)
    quantity = fields.IntField()
    unit = fields.CharField(max_length=16)
    unit_value_fen = fields.BigIntField()

    class Meta:
        table = "need_item"
        ordering = ["id"]


class Attachment(Model):
    """A photo or PDF stored under its content hash, its type decided from content, not name."""

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="attachments", on_delete=fields.CASCADE
    )
    need_id: int
    # photo | budget | evidence | receipt_confirmation
    purpose = fields.CharField(max_length=24, default="photo")
    sha256 = fields.CharField(max_length=64, db_index=True)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    original_name = fields.CharField(max_length=255, default="")
    uploaded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="attachments", null=True, on_delete=fields.SET_NULL
    )
    uploaded_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "attachment"
        ordering = ["id"]
        indexes = (
            # a need's last file, and the files since a day (the stalled-needs alert)
            ("need_id", "created_at"),
            ("created_at", "need_id"),
        )


class NeedEvent(Model):
    """One transition of a need: who, when, from which state to which, and why."""

    id = fields.BigIntField(primary_key=True)
    need: fields.ForeignKeyRelation[Need] = fields.ForeignKeyField(
        "models.Need", related_name="events", on_delete=fields.CASCADE
    )
    need_id: int
    action = fields.CharField(max_length=24)
    from_state = fields.CharField(max_length=12, default="")
    to_state = fields.CharField(max_length=12)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="need_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_label = fields.CharField(max_length=64, default="")
    # The actor's role when acting ("system" for derived and timed transitions), so the public
    # history can say who acted (村级信息员, 县扶贫办) without naming the person.
    actor_role = fields.CharField(max_length=24, default="", db_default="")
    reason = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "need_event"
        ordering = ["id"]
        indexes = (
            # A need's history and last step, and the needs with a step since a day (the
            # stalled-needs alert): without them every probe read the whole event table.
            ("need_id", "at"),
            ("at", "need_id"),
        )


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
