"""One need: as read (public, private, just drafted), its in-kind items and attachments, its
history; and the single-need requests besides its content (a lifecycle step, an upload)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, computed_field, model_validator

from fupin.core.categories import CATEGORIES
from fupin.core.clock import today_cn
from fupin.core.schemas import Body, Id, Out, PathParams
from fupin.i18n import _
from fupin.needs.rules import (
    ACTION_LABELS,
    MAX_REASON,
    ROLE_LABELS,
    STATE_LABELS,
    effective_state,
)
from fupin.needs.schemas.choices import Action, CategoryCode, ContentType, Purpose, State


class NeedPath(PathParams):
    need_id: Id


class NeedDeadlineExtension(Body):
    """A later deadline for a need that takes pledges (the county; a reason is required)."""

    deadline: date = Field(description="After the current deadline and today, within 3 years")
    reason: str = Field(max_length=MAX_REASON, description="Why the deadline moves")


class NeedTransition(Body):
    """A step of the lifecycle (submit, publish, return, start, deliver, confirm_receipt, close,
    dispute, withdraw); the form's buttons post the same fields."""

    action: Action
    reason: str = Field(
        "",
        max_length=MAX_REASON,
        description="Required for return, withdraw, deliver, close and dispute",
    )
    acknowledge_duplicates: bool = Field(
        False,
        description="Publish although possible duplicates were found "
        "(409 possible_duplicate otherwise)",
    )


class NeedAttachmentUpload(Body):
    """A photo (JPEG/PNG/WebP) or a PDF; its content must match its name."""

    file: bytes = Field(description="The file; its type is decided from its content")
    purpose: Purpose = "photo"


# ---- a need as read ------------------------------------------------------------------------------

#: A moment as ``datetime.isoformat()`` writes it (``…+00:00``), as the API always has.
Moment = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str),
    Field(json_schema_extra={"format": "date-time"}),
]


def _rows(relation: Any) -> Any:
    """A prefetched relation (Tortoise's ``ReverseRelation``) as the list of its rows."""
    return relation if isinstance(relation, list) else list(relation)


class NeedRegion(Out):
    """Where the need is: its village, or its county for a county-wide need."""

    code: str
    name: str
    level: str
    full_name: str
    is_generated: bool = Field(description="A demo village generated under a real township")


class NeedSummary(Out):
    """A need in a list (money in fen). ``state`` is the state a reader sees: a published need
    past its deadline is expired, even before the sweep has recorded it."""

    id: int
    title: str
    description: str = Field(description="Plain text; shown escaped")
    category: CategoryCode
    state: State
    region: NeedRegion
    county_code: str
    province_code: str
    target_fen: int
    pledged_fen: int
    received_fen: int
    open_fen: int
    beneficiary_households: int
    beneficiary_people: int
    deadline: date
    published_at: Moment | None
    is_demo: bool

    @model_validator(mode="after")
    def _as_seen_today(self) -> NeedSummary:
        self.state = effective_state(self.state, self.deadline, today_cn())
        return self

    @computed_field
    @property
    def category_label(self) -> str:
        return _(CATEGORIES.get(self.category, self.category))

    @computed_field
    @property
    def state_label(self) -> str:
        return _(STATE_LABELS.get(self.state, self.state))

    @computed_field
    @property
    def county_wide(self) -> bool:
        return self.region.level == "county"

    @computed_field
    @property
    def url(self) -> str:
        return f"/needs/{self.id}"


class NeedSummaryPrivate(NeedSummary):
    """What the offices in the need's scope also see."""

    source: str = Field(description="web, api, import or demo")
    external_ref: str = Field(description="The county's project number")
    created_by_id: int | None
    published_by_id: int | None
    created_at: Moment | None
    updated_at: Moment | None


class NeedItem(Out):
    name: str
    quantity: int
    unit: str
    unit_value_fen: int

    @computed_field
    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_value_fen


class NeedAttachment(Out):
    id: int
    need_id: int = Field(exclude=True)
    purpose: Purpose
    content_type: ContentType
    size: int

    @computed_field
    @property
    def url(self) -> str:
        return f"/needs/{self.need_id}/attachments/{self.id}"


class NeedAttachmentPrivate(NeedAttachment):
    original_name: str = Field(description="The uploader's file name")


class NeedAttachmentStored(NeedAttachment):
    """An attachment just uploaded: also the content's SHA-256 (files are stored by it)."""

    sha256: str


Items = Annotated[list[NeedItem], BeforeValidator(_rows)]


class Need(NeedSummary):
    """One need, as anyone may read it once published."""

    items: Items
    attachments: Annotated[list[NeedAttachment], BeforeValidator(_rows)]
    available_actions: list[Action] = Field(
        [], description="The transitions the caller may make now"
    )


class NeedCreated(NeedSummaryPrivate):
    """A need as its drafter reads it right after drafting."""

    items: Items
    attachments: Annotated[list[NeedAttachmentPrivate], BeforeValidator(_rows)]


class NeedPrivate(NeedCreated):
    """One need, as the offices in its scope read it."""

    available_actions: list[Action] = Field(
        [], description="The transitions the caller may make now"
    )


class NeedEvent(Out):
    """One step of a need's history: the acting office or role, never a personal name."""

    id: int
    action: str
    from_state: Annotated[str | None, BeforeValidator(lambda state: state or None)]
    to_state: str
    reason: str
    at: Moment | None
    actor_role: str = Field(exclude=True)
    actor_label: str = Field(exclude=True)

    @computed_field
    @property
    def action_label(self) -> str:
        return _(ACTION_LABELS.get(self.action, self.action))

    @computed_field
    @property
    def actor(self) -> str:
        """The acting office or role (系统 for derived and timed steps)."""
        role = self.actor_role or ("system" if self.actor_label == "system" else "")
        return _(ROLE_LABELS[role]) if role in ROLE_LABELS else ""


class NeedEventPrivate(NeedEvent):
    @computed_field
    @property
    def actor_username(self) -> str:
        return self.actor_label


class NeedEvents(Out):
    items: list[NeedEvent]


class NeedEventsPrivate(Out):
    items: list[NeedEventPrivate]
