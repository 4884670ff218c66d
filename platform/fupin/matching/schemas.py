"""The matching API contract (docs/domain.md §3.11): the caller's recommendations with their
reasons, "not for us" marks, a need's likely donors, invitations and the participant's inbox.

No request names a participant: recommendations, marks and the inbox are always those of the
participant the caller acts for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasPath,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
    create_model,
)
from pydantic_core import PydanticCustomError

from fupin.core.categories import CATEGORY_CODES
from fupin.core.schemas import Body, Id, Out, Page, PageQuery, PathParams, Query
from fupin.matching.models import INVITATION_RESPONSES
from fupin.matching.rules.weights import (
    DEFAULT_WEIGHTS,
    WEIGHT_RANGES,
    WeightOutOfRange,
    Weights,
    check_weight,
    weights_from_mapping,
)

Category = Literal[CATEGORY_CODES]  # the tuple spreads: Literal["drinking_water", …]
#: Recommendations and likely donors shown at most.
MAX_LIMIT = 50
#: A "not for us" mark's optional reason.
NOT_FOR_US_REASON_MAX = 200
#: An invitation's optional message.
MESSAGE_MAX = 500
#: ``weight.<name>``: a ranking weight overridden for one request.
WEIGHT_PREFIX = "weight."
#: A timestamp as ``isoformat()`` writes it (``…+00:00``), as this API always has.
Instant = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


# ---- needs for you ----------------------------------------------------------------------------


def _weight(name: str) -> Any:
    """The ``weight.<name>`` parameter: a number inside the weight's range
    (``fupin.matching.rules.weights``); anything else is refused with the weight's own error."""
    allowed = WEIGHT_RANGES[name]

    def check(value: Any, handler: Any) -> Any:
        try:
            number = handler(value)
        except ValidationError:
            number = value  # not a number: refused below, naming the range
        try:
            check_weight(name, number, WEIGHT_RANGES)
        except WeightOutOfRange as exc:
            raise PydanticCustomError(exc.code, exc.message) from None
        return number

    kind = int if allowed.integer else float
    return (
        Annotated[kind | None, WrapValidator(check)],
        Field(
            None,
            alias=WEIGHT_PREFIX + name,
            description=f"Override the ranking weight {name} (allowed [{allowed.low}, {allowed.high}])",
        ),
    )


class RecommendationFilterQuery(Query):
    """The filters of "needs for you" (the recommendations page's filter form too)."""

    category: Category | None = Field(None, description="Only needs of this category")
    province: str | None = Field(
        None, pattern=r"^[0-9]{2}0000$", description="Only needs in this province"
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class WeightedQuery(RecommendationFilterQuery):
    def weights(self) -> Weights:
        """The default weights with the ones given replaced (each already checked)."""
        given = {
            name: getattr(self, f"weight_{name}")
            for name in WEIGHT_RANGES
            if getattr(self, f"weight_{name}") is not None
        }
        return weights_from_mapping(given, DEFAULT_WEIGHTS) if given else DEFAULT_WEIGHTS


#: ``GET /recommendations``: the filters, and ``weight.<name>`` for every ranking weight.
#: The query with one ``weight.<name>`` parameter per weight (generated from the weight table, so
#: a new weight is a data change); typed as its base for the handlers.
RecommendationQuery: type[WeightedQuery] = create_model(
    "RecommendationQuery",
    __base__=WeightedQuery,
    **{f"weight_{name}": _weight(name) for name in WEIGHT_RANGES},
)


def unknown_weights(names: Any) -> list[str]:
    """The ``weight.<name>`` parameters among ``names`` that name no weight."""
    return [
        n
        for n in names
        if n.startswith(WEIGHT_PREFIX) and n[len(WEIGHT_PREFIX) :] not in WEIGHT_RANGES
    ]


class MatchReason(Out):
    """Why a need is recommended, or a donor likely."""

    code: str = Field(description="Stable reason code (docs/matching.md), e.g. in_paired_region")
    params: dict[str, str | int | float] = Field(
        description="The facts the reason states (county name, amount in fen, days…)"
    )
    text: str = Field(description="The reason in the request's language")


def _need(name: str) -> Any:
    return Field(validation_alias=AliasPath("need", name))


def _candidate(name: str) -> Any:
    return Field(validation_alias=AliasPath("candidate", name))


class Recommendation(Out):
    """A public, open need recommended to the caller's participant, with its reasons."""

    need_id: int = _need("id")
    title: str = _need("title")
    category: Category = _need("category")
    region_code: str = _need("region_id")
    region_name: str
    county_code: str = _need("county_code")
    county_name: str = _candidate("county_name")
    province_code: str = _need("province_code")
    target_fen: int = _candidate("target_fen")
    open_fen: int = _candidate("open_fen")
    deadline: date = _candidate("deadline")
    beneficiary_people: int = _candidate("beneficiary_people")
    score: float = Field(validation_alias="rounded_score")
    reasons: list[MatchReason]


class RecommendationFilters(Out):
    category: str | None
    province: str | None


class RecommendationList(Out):
    items: list[Recommendation]
    filters: RecommendationFilters = Field(validation_alias="narrowing")
    candidates: int = Field(
        validation_alias="candidate_count",
        description="How many open needs were ranked for the caller",
    )


# ---- not for us -------------------------------------------------------------------------------


class NeedPath(PathParams):
    need_id: Id


class NotForUsCreate(Body):
    """Why the need is not for us (optional; private to the participant and the offices). The
    "not for us" button of the recommendations page posts the same field."""

    reason: str = Field("", max_length=NOT_FOR_US_REASON_MAX)


class NotForUsMark(Out):
    need_id: int
    reason: str
    created_at: Instant | None


# ---- likely donors ----------------------------------------------------------------------------


class LikelyDonorQuery(Query):
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


def _participant(name: str) -> Any:
    return Field(validation_alias=AliasPath("participant", name))


class LikelyDonor(Out):
    participant_id: int = _participant("id")
    name: str = _participant("name")
    kind: str = _participant("kind")
    score: float = Field(validation_alias="rounded_score")
    reasons: list[MatchReason]
    invited: bool = Field(description="Already invited to this need")
    invitations_this_week: int = Field(
        description="Invitations the participant received in the last 7 days"
    )


class LikelyDonorList(Out):
    need_id: int = _need("id")
    open: bool = Field(validation_alias="is_open", description="Published with money still open")
    items: list[LikelyDonor]
    weekly_limit: int


# ---- invitations and the inbox ----------------------------------------------------------------


class InvitationForm(Body):
    """The invite form of a need's likely-donors page (the need is the page's)."""

    participant_id: Id
    message: str = Field("", max_length=MESSAGE_MAX)


class InvitationCreate(InvitationForm):
    need_id: Id


def _unanswered_is_null(value: Any) -> Any:
    return value or None


class Invitation(Out):
    """An office's invitation to consider one need, as the participant's inbox shows it."""

    model_config = ConfigDict(serialize_by_alias=True)  # "from" is a Python keyword

    id: int
    need_id: int
    need_title: str | None
    from_: str = Field(
        validation_alias="sender_label",
        serialization_alias="from",
        description="The sending office, e.g. 广南县扶贫办",
    )
    sender_role: str
    message: str
    created_at: Instant | None
    read: bool
    read_at: Instant | None
    response: Annotated[
        Literal[INVITATION_RESPONSES] | None, BeforeValidator(_unanswered_is_null)
    ] = Field(description="null while unanswered")
    responded_at: Instant | None


class InboxQuery(PageQuery):
    unread: bool = Field(False, description="Only the unread invitations")


class InvitationInbox(Page[Invitation]):
    unread: int = Field(description="Unread invitations in all")


class InvitationPath(PathParams):
    invitation_id: Id


class InvitationAnswer(Body):
    """The inbox's answer buttons post the same field."""

    response: Literal[INVITATION_RESPONSES] = Field(
        description="declined also marks the need 'not for us'"
    )
