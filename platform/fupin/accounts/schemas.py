"""The accounts API contract: participants in the directory, and registering one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from fupin.accounts.models import KINDS
from fupin.core.schemas import Body, Id, Out, PageQuery, PathParams, RegionCode, Uscc

Kind = Literal[KINDS]  # the tuple spreads: Literal["enterprise", "social_org", …]


class Participant(Out):
    """A participant as the directory shows it: never an ID number."""

    id: int
    kind: Kind
    name: str
    uscc: str | None = Field(description="Unified social credit code (GB 32100-2015)")
    region_code: str | None = Field(validation_alias="region_id")
    description: str


class ParticipantPrivate(Participant):
    """What the participant itself and the offices see: also the masked ID number."""

    id_number_masked: str = Field(description="Individuals only; empty for organisations")
    commendation_opt_in: bool = Field(
        description="Consents to be recommended for a commendation and named in its notice"
    )
    commendation_consent_at: datetime | None = Field(
        description="When the consent was last given or withdrawn; null: never asked"
    )


class CommendationConsent(Body):
    """The participant's own answer: may it be recommended and named in a public notice, also
    where it gave anonymously (docs/rules.md §5.4)."""

    consent: bool


class ParticipantCreate(Body):
    kind: Kind
    name: str = Field(min_length=1, max_length=128)
    uscc: Uscc | None = None
    id_number: str | None = Field(
        None, max_length=18, description="Individuals only; stored hashed and masked"
    )
    region_code: RegionCode | None = None
    description: str | None = Field(None, max_length=4000)


class ParticipantQuery(PageQuery):
    kind: Kind | None = None
    q: str | None = Field(None, max_length=64, description="Part of the name")


class ParticipantPath(PathParams):
    pid: Id
