"""The commendation API contract, and the office's and the public's forms.

Rounds and their categories, the ranked list (the office's view with figures and exclusion
reasons, the public's with headline figures only), a nominee's evidence pack, objections and
their resolution. The forms post what the API takes where they can (an objection, a resolution,
the notice's start); the round and category forms take yuan text and percentages where the API
takes integer fen and basis points, so they have small schemas of their own at the end, which
convert through ``core.money.parse_yuan`` (the one grammar of typed amounts).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from fupin.accounts.schemas import Kind
from fupin.commendation.models import (
    CATEGORY_LIMITS,
    NOMINATION_STATUSES,
    OBJECTION_CHANNEL_MAX,
    OBJECTION_CONTENT_MAX,
    OBJECTION_CONTENT_MIN,
    OBJECTION_STATES,
    OBJECTOR_CONTACT_MAX,
    OBJECTOR_NAME_MAX,
    RESOLUTION_MAX,
    ROUND_TITLE_MAX,
)
from fupin.commendation.rules.ranking import AwardType, Scope
from fupin.commendation.rules.rounds import (
    CANCEL_REASON_MAX,
    CANCEL_REASON_REQUIRED,
    DECISION_REQUIRED,
    EARLIEST_WINDOW_YEAR,
    LATEST_WINDOW_YEAR,
    MAX_NOTICE_WORKING_DAYS,
    NOMINATION_REQUIRED,
    OBJECTION_CONTENT_REQUIRED,
    OBJECTOR_CONTACT_REQUIRED,
    OBJECTOR_NAME_REQUIRED,
    RESOLUTION_REQUIRED,
    ROUND_STATES,
    TITLE_REQUIRED,
)
from fupin.core.schemas import Body, Id, Out, PathParams, typed_yuan
from fupin.i18n import N_, _

AwardTypeName = Literal[tuple(a.value for a in AwardType)]
ScopeName = Literal[tuple(s.value for s in Scope)]
RoundState = Literal[ROUND_STATES]
NominationStatus = Literal[NOMINATION_STATUSES]
ObjectionState = Literal[OBJECTION_STATES]
#: The award lines a round may have (docs/rules.md §5.1; contribution/individual has no candidates).
CATEGORY_CHOICES: tuple[tuple[str, str], ...] = (
    ("dedication", "collective"),
    ("dedication", "individual"),
    ("contribution", "collective"),
)
#: pydantic's own error types; any other type is a ``PydanticCustomError`` of ours.
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))
#: A timestamp as it was always written: ISO 8601 with its offset (``+00:00``, not ``Z``).
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class _RequiredMessages(Body):
    """A body whose missing fields (an empty form field) are said in our own sentence, the one
    the service says: ``required_messages`` maps a field to its message id; the error code
    stays ``required``. Other problems keep the shared messages of ``core.schemas``."""

    required_messages: ClassVar[dict[str, str]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _say_what_is_missing(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            if not any(cls._has_message(e) for e in errors):
                raise
            raise ValidationError.from_exception_data(
                exc.title, [cls._restated(e) for e in errors]
            ) from None

    @classmethod
    def _has_message(cls, error: ErrorDetails) -> bool:
        loc = error["loc"]
        return error["type"] == "missing" and len(loc) == 1 and loc[0] in cls.required_messages

    @classmethod
    def _restated(cls, error: ErrorDetails) -> InitErrorDetails:
        """The error again, with our message if it is a missing field that has one."""
        loc, value = error["loc"], error["input"]
        if cls._has_message(error):
            message = _(cls.required_messages[str(loc[0])])
            return {"type": PydanticCustomError("required", message), "loc": loc, "input": value}
        if error["type"] not in _PYDANTIC_TYPES:  # one of ours: code and message as they are
            kind = PydanticCustomError(error["type"], error["msg"])
            return {"type": kind, "loc": loc, "input": value}
        restated: InitErrorDetails = {"type": error["type"], "loc": loc, "input": value}
        if "ctx" in error:
            restated["ctx"] = error["ctx"]
        return restated


# ---- parameters ------------------------------------------------------------------------------


class CommendationRoundPath(PathParams):
    rid: Id


class CommendationNominationPath(PathParams):
    rid: Id
    nid: Id


class CommendationObjectionPath(PathParams):
    oid: Id


# ---- requests --------------------------------------------------------------------------------


class CommendationCategoryCreate(Body):
    """An award line of a round (award type × scope), its quota and criteria."""

    award_type: AwardTypeName
    scope: ScopeName = Field(description="individual for individuals, collective otherwise")
    quota: int = Field(
        le=CATEGORY_LIMITS["quota"],
        description="How many are awarded; must be positive (0 is refused: quota_not_positive)",
    )
    min_confirmed_money_fen: int = Field(0, ge=0, le=CATEGORY_LIMITS["min_confirmed_money_fen"])
    min_completed_needs: int = Field(0, ge=0, le=CATEGORY_LIMITS["min_completed_needs"])
    min_villages_reached: int = Field(0, ge=0, le=CATEGORY_LIMITS["min_villages_reached"])
    min_honour_rate_bp: int = Field(
        0, ge=0, le=CATEGORY_LIMITS["min_honour_rate_bp"], description="Basis points: 9000 = 90 %"
    )


class CommendationRoundCreate(_RequiredMessages):
    """A round for a window of five calendar years (last_year − first_year = 4), none before
    2014, overlapping no other round's."""

    required_messages = {"title": TITLE_REQUIRED}

    title: str = Field(max_length=ROUND_TITLE_MAX)
    first_year: int = Field(ge=EARLIEST_WINDOW_YEAR, le=LATEST_WINDOW_YEAR)
    last_year: int = Field(ge=EARLIEST_WINDOW_YEAR, le=LATEST_WINDOW_YEAR)
    notice_working_days: int = Field(5, ge=1, le=MAX_NOTICE_WORKING_DAYS)
    objection_channel: str = Field(
        "", max_length=OBJECTION_CHANNEL_MAX, description="The office receiving objections"
    )
    categories: list[CommendationCategoryCreate] = Field(max_length=10)


class CommendationNoticeStart(Body):
    start: date | None = Field(None, description="First day of the notice; today if absent")


class CommendationObjectionCreate(_RequiredMessages):
    """A real-name objection (docs/rules.md §5.1); name and contact are never published."""

    required_messages = {
        "nomination_id": NOMINATION_REQUIRED,
        "name": OBJECTOR_NAME_REQUIRED,
        "contact": OBJECTOR_CONTACT_REQUIRED,
        "content": OBJECTION_CONTENT_REQUIRED,
    }

    nomination_id: Id = Field(description="A nominee on the notice list")
    name: str = Field(max_length=OBJECTOR_NAME_MAX)
    contact: str = Field(max_length=OBJECTOR_CONTACT_MAX, description="Phone or address")
    content: str = Field(
        max_length=OBJECTION_CONTENT_MAX,
        description=f"The facts and reasons, at least {OBJECTION_CONTENT_MIN} characters",
    )


class CommendationResolution(_RequiredMessages):
    """The office's finding: an upheld objection takes the nominee off the list."""

    required_messages = {"decision": DECISION_REQUIRED, "resolution": RESOLUTION_REQUIRED}

    decision: Literal["upheld", "dismissed"]
    resolution: str = Field(max_length=RESOLUTION_MAX)


class CommendationCancel(_RequiredMessages):
    """Why a round ends without a final list (kept, audited, and shown with the round)."""

    required_messages = {"reason": CANCEL_REASON_REQUIRED}

    reason: str = Field(min_length=1, max_length=CANCEL_REASON_MAX)


# ---- responses -------------------------------------------------------------------------------


class CommendationCategory(Out):
    id: int
    award_type: AwardTypeName
    scope: ScopeName
    quota: int
    min_confirmed_money_fen: int
    min_completed_needs: int
    min_villages_reached: int
    min_honour_rate_bp: int


class CommendationRound(Out):
    id: int
    title: str
    first_year: int
    last_year: int
    state: RoundState
    notice_working_days: int
    notice_start: date | None
    notice_end: date | None = Field(description="Last day objections are accepted")
    objection_channel: str
    cancel_reason: str = Field(description="Why the round was cancelled; empty unless cancelled")


class CommendationRoundDetail(CommendationRound):
    categories: list[CommendationCategory]


class CommendationRoundList(Out):
    """Rounds whose list is published (the public), or every round (the office, auditors)."""

    items: list[CommendationRound]


class CommendationFigures(Out):
    """What the participant did in the window (docs/rules.md §5.3), at ranking time."""

    confirmed_cash_fen: int
    in_kind_fen: int
    targeted_fen: int
    reversed_donations: int
    donations: int
    needs_funded: int
    completed_needs: int
    villages_reached: int
    counties_reached: int
    poverty_county_fen: int
    sanqu_sanzhou_fen: int
    beneficiary_households: int
    beneficiary_people: int
    pledges_due: int
    pledges_honoured: int
    withdrawn_or_lapsed_fen: int
    gave_anonymously: bool
    upheld_objections: int
    previous_award: bool
    total_confirmed_fen: int


class CommendationReason(Out):
    code: str
    message: str


class CommendationNomination(Out):
    """An entry of the ranked list as the office sees it."""

    id: int
    category_id: int
    award_type: AwardTypeName
    scope: ScopeName
    participant_id: int
    name: str
    status: NominationStatus
    rank: int | None
    tie_at_cut: bool = Field(description="At the quota cut inside a tie on the ranking keys")
    figures: CommendationFigures
    reasons: list[CommendationReason] = Field(description="Why an entry is excluded")


class CommendationRanking(Out):
    round: CommendationRound
    nominations: list[CommendationNomination]


class CommendationNominationList(Out):
    """The office's list: every ranked, reserve and excluded entry."""

    round: CommendationRound
    items: list[CommendationNomination]


class CommendationPublicEntry(Out):
    """A nominee as the public list shows it: never the evidence pack, never an objector."""

    nomination_id: int
    name: str
    kind: Kind
    category: str
    award_type: AwardTypeName
    scope: ScopeName
    rank: int | None
    status: NominationStatus
    total_confirmed_fen: int
    completed_needs: int
    villages_reached: int
    counties_reached: int


class CommendationPublicList(Out):
    """The published list: on notice the nominees (and those removed after an upheld
    objection), once final the awarded."""

    round: CommendationRound
    items: list[CommendationPublicEntry]


class CommendationEvidenceReceipt(Out):
    donation_id: int
    received_on: date
    amount_fen: int
    kind: str
    targeted: bool
    anonymous: bool
    need_id: int
    need_title: str
    county_code: str
    receipt_number: str
    official_receipt: str = Field(description="票据代码/号码, empty if not entered")
    ledger_seq: int | None


class CommendationEvidenceNeed(Out):
    need_id: int
    title: str
    region_code: str
    region_name: str
    state: str
    completed_at: str = Field(description="YYYY-MM-DD, empty if unknown")
    village_confirmed_at: str = Field(description="YYYY-MM-DD, empty if unknown")
    households: int
    people: int


class CommendationPairFigure(Out):
    year: int
    indicator: str
    target: int | None
    reported: int | None


class CommendationEvidencePair(Out):
    pair_id: int
    kind: str
    helped_region_code: str
    helped_region_name: str
    start_year: int
    end_year: int | None
    platform_money_fen: int
    reported: list[CommendationPairFigure]


class CommendationEvidencePack(Out):
    """Receipts, completed needs and pair contributions behind a nominee's figures."""

    receipts: list[CommendationEvidenceReceipt]
    receipts_total: int
    receipts_truncated: bool
    completed_needs: list[CommendationEvidenceNeed]
    pairs: list[CommendationEvidencePair]


class CommendationNoEvidence(Out):
    """An excluded entry has no evidence pack."""


class CommendationEvidence(CommendationNomination):
    evidence: CommendationEvidencePack | CommendationNoEvidence


class CommendationObjection(Out):
    """An objection with the objector's name and contact (office, auditors only)."""

    id: int
    nomination_id: int
    name: str
    contact: str
    content: str
    state: ObjectionState
    resolution: str
    submitted_at: Timestamp
    resolved_at: Timestamp | None


class CommendationObjectionList(Out):
    items: list[CommendationObjection]


class CommendationObjectionState(Out):
    id: int
    state: ObjectionState


# ---- the office's forms: yuan text and percentages -------------------------------------------

INTEGER_REQUIRED = N_("请填写整数。")
CATEGORY_REQUIRED = N_("请选择类别。")
_INTEGER = re.compile(r"-?[0-9]{1,12}")


def _form_integer(value: Any) -> Any:
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value.strip()):
            raise PydanticCustomError("not_integer", _(INTEGER_REQUIRED))
        return int(value)
    return value


def _percent(value: Any) -> Any:
    """ "60" or "62.5%" → basis points."""
    if not isinstance(value, str):
        return value
    try:
        number = Decimal(value.strip().removesuffix("%"))
    except InvalidOperation:
        raise PydanticCustomError("bad_format", _("请填写 0 到 100 之间的百分比。")) from None
    if (
        not number.is_finite()
        or not 0 <= number <= 100
        or number != number.quantize(Decimal("0.01"))
    ):
        raise PydanticCustomError("out_of_range", _("请填写 0 到 100 之间、最多两位小数的百分比。"))
    return int(number * 100)


FormInteger = Annotated[int, BeforeValidator(_form_integer)]
YuanFen = Annotated[int, BeforeValidator(typed_yuan())]
PercentBp = Annotated[int, BeforeValidator(_percent)]


class CommendationCategoryForm(_RequiredMessages):
    """The quota and criteria of one category as the office types them (money in yuan, the
    honour rate in percent); on the new-round form each field has the prefix
    ``<award_type>_<scope>_``."""

    required_messages = {"quota": INTEGER_REQUIRED}

    quota: FormInteger
    min_money: YuanFen = 0
    min_completed: FormInteger = 0
    min_villages: FormInteger = 0
    min_honour: PercentBp = 0


class _CategoryChoice(Body):
    category: str = Field(description="<award_type>:<scope>, one of CATEGORY_CHOICES")

    @field_validator("category")
    @classmethod
    def _one_of_the_choices(cls, value: str) -> str:
        if tuple(value.split(":", 1)) not in CATEGORY_CHOICES:
            raise PydanticCustomError("invalid_choice", _(CATEGORY_REQUIRED))
        return value

    @property
    def award_line(self) -> tuple[str, str]:
        award_type, scope = self.category.split(":", 1)
        return award_type, scope


class CommendationCategoryChoiceForm(CommendationCategoryForm, _CategoryChoice):
    """The add-or-change-category form: the award line first, then its quota and criteria."""

    required_messages = {"category": CATEGORY_REQUIRED, "quota": INTEGER_REQUIRED}


class CommendationRoundForm(_RequiredMessages):
    """The new-round form, without its categories (``CommendationCategoryForm`` each)."""

    required_messages = {
        "title": TITLE_REQUIRED,
        "first_year": INTEGER_REQUIRED,
        "last_year": INTEGER_REQUIRED,
        "notice_working_days": INTEGER_REQUIRED,
    }

    title: str = Field(max_length=ROUND_TITLE_MAX)
    first_year: FormInteger
    last_year: FormInteger
    notice_working_days: FormInteger
    objection_channel: str = Field("", max_length=OBJECTION_CHANNEL_MAX)
