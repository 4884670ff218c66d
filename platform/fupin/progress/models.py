"""Progress updates on needs, their photos and who follows a need.

An update is what the county's officers or the village's workers tell the donors after funding
(started, an interim report, delivered, accepted), with photos stored like need attachments
(under their content hash). Who hears of it is told by a notification (``fupin.notify``, kind
``need_progress``): progress keeps no inbox of its own.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class NeedUpdate(Model):
    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="progress_updates", on_delete=fields.RESTRICT
    )
    need_id: int
    # A kind of ``fupin.progress.rules.UPDATE_KINDS``.
    kind = fields.CharField(max_length=12)
    text = fields.TextField()
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="progress_updates", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    # The author's role, so the public page says who reported (村级信息员, 县扶贫办) without
    # naming the person.
    author_role = fields.CharField(max_length=24)
    created_at = fields.DatetimeField(auto_now_add=True)
    photos: fields.ReverseRelation[NeedUpdatePhoto]

    class Meta:
        table = "need_update"
        ordering = ["id"]
        indexes = (("need_id", "id"),)


class NeedUpdatePhoto(Model):
    id = fields.IntField(primary_key=True)
    update: fields.ForeignKeyRelation[NeedUpdate] = fields.ForeignKeyField(
        "models.NeedUpdate", related_name="photos", on_delete=fields.RESTRICT
    )
    update_id: int
    sha256 = fields.CharField(max_length=64)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    original_name = fields.CharField(max_length=255, default="")

    class Meta:
        table = "need_update_photo"
        ordering = ["id"]
        indexes = (("update_id",),)


class NeedFollow(Model):
    """A participant that asked to hear of a need's progress."""

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="followers", on_delete=fields.RESTRICT
    )
    need_id: int
    participant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="followed_needs", on_delete=fields.RESTRICT
    )
    participant_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "need_follow"
        ordering = ["id"]
        unique_together = (("need", "participant"),)
        indexes = (("participant_id",),)
