"""Matching: a donor's "not for us" marks and invitations from county and provincial offices
(docs/domain.md §3.11).

Neither table holds money. A mark is the donor's own preference (it removes the need from its
recommendations and demotes similar ones); an invitation is an office asking a participant to
look at one need, shown in the participant's inbox. Both are written only through
``fupin.matching.service.recommendations`` and ``fupin.matching.service.invitations``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from fupin.i18n import _
from fupin.needs.models import Need

#: What a participant answered to an invitation ("" while unanswered).
INVITATION_RESPONSES = ("interested", "declined")
#: Roles that may send an invitation (policy action ``invitation.send``).
SENDER_ROLES = ("county_officer", "province_office", "national_admin")


def office_label(role: str, region_name: str) -> str:
    """The sending office as the participant reads it: 广南县扶贫办, 云南省扶贫办, 国家扶贫办."""
    if role == "national_admin" or not region_name:
        return _("国家扶贫办")
    return _("%(region)s扶贫办", region=region_name)


class NotForUs(Model):
    """A participant waved off a need: never recommended to it again, similar needs demoted.

    One row per (participant, need); marking again keeps the first row (idempotent).
    """

    id = fields.IntField(primary_key=True)
    participant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="not_for_us_marks", on_delete=fields.CASCADE
    )
    participant_id: int
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="not_for_us_marks", on_delete=fields.CASCADE
    )
    need_id: int
    # Optional free text ("不在我们的资助范围"); private to the participant and the offices.
    reason = fields.CharField(max_length=200, default="", db_default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="not_for_us_marks", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "matching_not_for_us"
        ordering = ["-id"]
        unique_together = (("participant", "need"),)


class Invitation(Model):
    """An office invites a participant to consider one need (docs/domain.md §3.11: county officers see
    the participants most likely to fund an unfunded need and can invite them).

    ``sender_office`` is the name of the region the sending office acts for ("广南县"; "" for
    the national office), fixed when sent, so the inbox still says who asked ("广南县扶贫办",
    rendered by ``office_label``) after the account changes. At most a
    few invitations per participant per rolling week (``fupin.matching.service.invitations.WEEKLY_LIMIT``)
    so nobody is spammed.
    """

    id = fields.IntField(primary_key=True)
    sender: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL
    )
    sender_id: int | None
    sender_role = fields.CharField(max_length=24)
    # The region the sending office acts for ("" for the national office).
    sender_region_code = fields.CharField(max_length=12, default="", db_default="")
    sender_office = fields.CharField(max_length=128)
    participant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="invitations", on_delete=fields.CASCADE
    )
    participant_id: int
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="invitations", on_delete=fields.CASCADE
    )
    need_id: int
    message = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    read_at = fields.DatetimeField(null=True)
    # "" while unanswered, else one of INVITATION_RESPONSES.
    response = fields.CharField(max_length=12, default="", db_default="")
    responded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "matching_invitation"
        ordering = ["-id"]
        # One invitation per participant and need: asking twice is not a reminder, it is spam.
        unique_together = (("participant", "need"),)
        indexes = (("participant_id", "created_at"), ("participant_id", "read_at"))

    @property
    def sender_label(self) -> str:
        """Who asked, as the inbox says it ("广南县扶贫办")."""
        return office_label(self.sender_role, self.sender_office)

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def need_title(self) -> str | None:
        """The need's title when the need was fetched with the invitation."""
        need = self.need
        return need.title if isinstance(need, Need) else None
