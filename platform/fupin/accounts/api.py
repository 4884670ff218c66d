"""GET/POST /participants, GET /participants/{pid}."""

from __future__ import annotations

from starlette.requests import Request

from fupin.accounts.schemas import (
    CommendationConsent,
    Participant,
    ParticipantCreate,
    ParticipantPath,
    ParticipantPrivate,
    ParticipantQuery,
)
from fupin.accounts.service import participants
from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page
from fupin.core.web import client_ip


async def list_participants(
    request: Request, *, query: ParticipantQuery
) -> participants.ParticipantPage:
    return await participants.list_participants(
        kind=query.kind, q=query.q, page=query.page, per_page=query.per_page
    )


async def get_participant(
    request: Request, *, actor: Actor | None, path: ParticipantPath
) -> Participant:
    participant = await participants.get_participant(path.pid)
    if participants.may_see_identity(actor, participant):
        return ParticipantPrivate.model_validate(participant)
    return Participant.model_validate(participant)


async def create_participant(
    request: Request, *, actor: Actor, body: ParticipantCreate
) -> ParticipantPrivate:
    created = await participants.create_participant(
        actor=actor,
        kind=body.kind,
        name=body.name,
        uscc=body.uscc or "",
        id_number=body.id_number or "",
        region_code=body.region_code or "",
        description=body.description or "",
        pepper=str(request.app.state.settings.secret_key),
    )
    return ParticipantPrivate.model_validate(created)


async def set_commendation_consent(
    request: Request, *, actor: Actor, path: ParticipantPath, body: CommendationConsent
) -> ParticipantPrivate:
    changed = await participants.set_commendation_consent(
        actor=actor,
        participant_id=path.pid,
        consent=body.consent,
        ip=client_ip(request),
        via="api",
    )
    return ParticipantPrivate.model_validate(changed)


endpoints = [
    Endpoint(
        "GET",
        "/participants",
        list_participants,
        "Participant directory",
        query=ParticipantQuery,
        response=Page[Participant],
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/participants",
        create_participant,
        "Register a participant (offices)",
        body=ParticipantCreate,
        auth="required",
        response=ParticipantPrivate,
        status=201,
        errors=(403,),
        action="participant.create",
    ),
    Endpoint(
        "GET",
        "/participants/{pid}",
        get_participant,
        "One participant; the masked ID number only for itself and the offices",
        params=ParticipantPath,
        auth="optional",
        response=ParticipantPrivate | Participant,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "PUT",
        "/participants/{pid}/commendation-consent",
        set_commendation_consent,
        "Give or withdraw consent to be recommended and named in a commendation notice "
        "(the participant's own members only)",
        params=ParticipantPath,
        body=CommendationConsent,
        auth="required",
        response=ParticipantPrivate,
        errors=(403, 404),
        action="participant.consent",
    ),
]
