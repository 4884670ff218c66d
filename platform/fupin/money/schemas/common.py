"""What the money schemas share: amounts (fen in the API, yuan text in the forms), times as the
API has always written them, the Idempotency-Key, the donor as a reader sees it, a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from fupin.core.schemas import Body, Headers, Out, typed_yuan
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.money.rules import idempotency
from fupin.money.rules.schedules import MAX_AMOUNT_FEN, check_amount

FEN = "Money in fen (分): 1234567 is ¥12,345.67"


def _checked_amount(value: int) -> int:
    """``rules.schedules.check_amount``: positive, at most ¥10 billion, in its own words."""
    try:
        return check_amount(value)
    except InvalidInput as exc:
        raise PydanticCustomError(exc.code, exc.message) from None


#: An amount in a request: whole fen, positive, at most ¥10 billion.
Fen = Annotated[
    int,
    AfterValidator(_checked_amount),
    Field(description=FEN, json_schema_extra={"minimum": 1, "maximum": MAX_AMOUNT_FEN}),
]
#: An amount in a response (a reversing donation's is negative).
FenOut = Annotated[int, Field(description=FEN)]


#: An amount typed in yuan in a form field, as fen (the bounds of ``Fen``).
Yuan = Annotated[
    int,
    BeforeValidator(typed_yuan(required=True)),
    AfterValidator(_checked_amount),
    WithJsonSchema({"type": "string", "description": "Yuan as typed: 1000000.00, ¥12.5, 100万"}),
]

#: A time as the API has always written it, ``isoformat()``: ``2024-05-01T08:00:00+00:00``.
IsoDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _key_checker(field: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if (problem := idempotency.key_problem(value, field=field)) is not None:
            raise PydanticCustomError(idempotency.CODE, problem)
        return value

    return BeforeValidator(check)


_KEY_SCHEMA = {
    "type": "string",
    "minLength": 8,
    "maxLength": 128,
    "pattern": "^[\\x21-\\x7e]{8,128}$",
}


#: The ``Idempotency-Key`` header of a money-creating call.
IdempotencyKey = Annotated[str, _key_checker(idempotency.HEADER), WithJsonSchema(_KEY_SCHEMA)]
#: The hidden ``idempotency_key`` field of a money-creating form (the same grammar).
FormKey = Annotated[str, _key_checker(idempotency.FORM_FIELD), WithJsonSchema(_KEY_SCHEMA)]


class IdempotencyHeaders(Headers):
    """The ``Idempotency-Key`` header of a money-creating call."""

    idempotency_key: IdempotencyKey | None = Field(
        None,
        alias=idempotency.HEADER,
        description="8–128 visible ASCII characters. A retry with the same key returns the "
        "first result — the same status and body, with the response header "
        "Idempotent-Replayed: true — and records nothing again, even when retries race. A "
        "malformed key is refused with 422 naming the header before anything else is looked "
        "at; the same key with a different body is refused with 409.",
    )


class KeyForm(Body):
    """A form whose only input is its idempotency key (confirm a donation, issue a receipt)."""

    idempotency_key: FormKey | None = None


class Reason(Body):
    """Why (withdrawing a pledge, reversing a donation, voiding or re-issuing a receipt). Which
    operations require one is the service's rule; the API and the forms take it alike."""

    reason: str = Field("", max_length=500)


def _stated_reason(value: str) -> str:
    """A reason that says something: withdrawing a pledge takes money a village counted on, so
    its donor says why (the need's history and the recipient read it)."""
    value = value.strip()
    if not value:
        raise PydanticCustomError("required", _("请说明撤回原因。"))
    return value


#: A reason that must be given: 1–500 characters, not only spaces.
StatedReason = Annotated[
    str,
    Field(max_length=500, json_schema_extra={"minLength": 1}),
    AfterValidator(_stated_reason),
]


class WithdrawReason(Body):
    """Why the pledge is withdrawn: required (422 naming ``reason`` when missing or blank)."""

    reason: StatedReason


class WithdrawForm(Body):
    """The withdrawal confirmation form: the reason (a blank field is refused in the same words
    as a missing one) and the form's idempotency key."""

    reason: StatedReason = Field("", validate_default=True)
    idempotency_key: FormKey | None = None


class ReasonForm(Reason):
    """A reason posted by a money-creating form, with its idempotency key."""

    idempotency_key: FormKey | None = None


class Donor(Out):
    """The donor; ``id`` and ``kind`` are null and the name is 匿名捐赠人 when the donor gave
    anonymously and the reader is neither the donor nor an office over the need."""

    id: int | None
    name: str
    kind: str | None
