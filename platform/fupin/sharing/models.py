"""Webhooks for partner systems (docs/webhooks.md): the endpoints offices and participants
register, the events the platform publishes, the persistent delivery queue and its log.

Feeds and open data need no table of their own: they are read from the records (feeds) or
written as files under the var directory (open-data snapshots, docs/open-data.md).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

#: Delivery states: waiting (first try or a retry is due later), delivered, or given up.
DELIVERY_STATES = ("pending", "delivered", "failed")


class WebhookEndpoint(Model):
    """Where a partner system wants events sent. Owned either by a participant (its members
    manage it) or by an office (its region: the office's users within that region manage it)."""

    id = fields.IntField(primary_key=True)
    #: "participant" or "office"
    owner_kind = fields.CharField(max_length=12)
    participant: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Participant", related_name="webhook_endpoints", null=True, on_delete=fields.CASCADE
    )
    participant_id: int | None
    #: The owning office's region ("" for the national office and for participants).
    office_region_code = fields.CharField(max_length=12, default="", db_index=True)
    office_province_code = fields.CharField(max_length=12, default="")
    office_county_code = fields.CharField(max_length=12, default="")
    url = fields.CharField(max_length=500)
    description = fields.CharField(max_length=200, default="")
    #: Event types wanted (sharing.rules.events.EVENT_TYPES).
    event_types: Any = fields.JSONField(default=list)
    #: Filters: a region code (a province, county or village, "" = everywhere) and categories
    #: (empty = all).
    place_code = fields.CharField(max_length=12, default="")
    categories: Any = fields.JSONField(default=list)
    #: The signing secret. It must be readable to sign, so it is stored, and shown to a person
    #: only once, when it is made (creation, rotation).
    secret = fields.CharField(max_length=64)
    secret_rotated_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    #: Failed deliveries in a row (a success resets it). At the limit the endpoint is disabled.
    consecutive_failures = fields.IntField(default=0)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=300, default="")
    created_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.User", related_name="webhook_endpoints", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_endpoint"
        ordering = ["id"]


class WebhookEvent(Model):
    """One thing that happened, as partners receive it. ``key`` names its source record, so
    reading the same record twice never publishes a second event."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=80, unique=True)
    type = fields.CharField(max_length=40, db_index=True)
    occurred_at = fields.DatetimeField()
    province_code = fields.CharField(max_length=12, default="")
    county_code = fields.CharField(max_length=12, default="")
    region_code = fields.CharField(max_length=12, default="")
    category = fields.CharField(max_length=20, default="")
    data: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_event"
        ordering = ["id"]


class WebhookScan(Model):
    """How far the event scan has read one source (an instant, read again with an overlap so a
    change committed late is still seen; the event key keeps it from being sent twice)."""

    source = fields.CharField(max_length=40, primary_key=True)
    scanned_until = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_scan"


class WebhookDelivery(Model):
    """One event for one endpoint: the persistent queue row. A worker claims it by moving
    ``next_attempt_at`` forward (a lease), sends it, and records the outcome."""

    id = fields.BigIntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "models.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int
    state = fields.CharField(max_length=12, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, default="")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_delivery"
        ordering = ["-id"]
        indexes = (("state", "next_attempt_at"),)


class WebhookAttempt(Model):
    """The delivery log: one row per try (when, the answer's status code or the error)."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="log", on_delete=fields.CASCADE
    )
    delivery_id: int
    at = fields.DatetimeField(auto_now_add=True)
    status_code = fields.IntField(null=True)
    error = fields.CharField(max_length=300, default="")
    duration_ms = fields.IntField(default=0)
    #: "worker" or "manual" (a redelivery by hand)
    trigger = fields.CharField(max_length=8, default="worker")

    class Meta:
        table = "webhook_attempt"
        ordering = ["-id"]
