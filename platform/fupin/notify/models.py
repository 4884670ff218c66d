"""Notifications and their e-mail outbox.

A ``Notification`` is the in-app copy, the user's inbox row: it commits with the change that
caused it (a donation's confirmation, an invitation), so an event the database kept is never
without its notice. E-mail is a ``NotificationDelivery`` row in the same transaction — the
outbox the worker drains after the commit (a down mail server loses nothing) — and every
attempt to send it is a ``DeliveryAttempt`` (the delivery log).

The text is not stored: the kind and its parameters are, and the text is written when read
(``notify.rules.render``), in the reader's language.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

#: Where a delivery is: waiting (or waiting again after a failure), handed to the mail server
#: by one worker right now, done, given up, or not sent on purpose (no mail server configured).
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "skipped")
#: One e-mail per notification, or one e-mail a day gathering the user's notifications.
DELIVERY_CHANNELS = ("email", "digest")


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=32)
    #: The values the text of the kind is written from (need title, amount as text, dates).
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: A path on the site the notice leads to ("/donations/12").
    link = fields.CharField(max_length=255, default="", db_default="")
    #: Set by senders that may run twice (the reminder sweep in several processes): one
    #: notification per key and user.
    dedupe_key = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        ordering = ["-id"]
        unique_together = (("user", "dedupe_key"),)
        indexes = (("user_id", "read_at"),)


class NotificationDelivery(Model):
    """The outbox: one e-mail to send. Claimed with a lease (``lease_until``, ``claimed_by``)
    so several workers share the queue and a worker that dies gives its batch back."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    notification_id: int
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="notification_deliveries", on_delete=fields.CASCADE
    )
    user_id: int
    channel = fields.CharField(max_length=8, default="email")
    #: The address when the notification was made (preferences may change afterwards).
    address = fields.CharField(max_length=254)
    state = fields.CharField(max_length=8, default="pending")
    attempts = fields.SmallIntField(default=0)
    #: When it may be sent (again): now, after a backoff, or at the next daily digest.
    due_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, default="", db_default="")
    last_error = fields.CharField(max_length=500, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification_delivery"
        ordering = ["id"]
        indexes = (("state", "due_at"),)


class DeliveryAttempt(Model):
    """The delivery log: every attempt and what came of it (never the address or the text)."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[NotificationDelivery] = fields.ForeignKeyField(
        "models.NotificationDelivery", related_name="log", on_delete=fields.CASCADE
    )
    delivery_id: int
    at = fields.DatetimeField(auto_now_add=True)
    #: sent | retry | failed | interrupted | skipped
    outcome = fields.CharField(max_length=12)
    detail = fields.CharField(max_length=500, default="", db_default="")
    worker = fields.CharField(max_length=64, default="", db_default="")

    class Meta:
        table = "notification_attempt"
        ordering = ["id"]


class NotificationPreference(Model):
    """What a user chose: per kind of notification in-app only, in-app and e-mail, or off,
    the address e-mail goes to, and whether e-mail comes once a day as a digest."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "models.User", related_name="notification_preference", on_delete=fields.CASCADE
    )
    user_id: int
    email = fields.CharField(max_length=254, default="", db_default="")
    daily_digest = fields.BooleanField(default=False, db_default=False)
    #: kind → "in_app", "email" or "off" (a kind not listed takes its default).
    channels: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_preference"
