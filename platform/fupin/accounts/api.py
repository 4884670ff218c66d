"""GET/POST /participants, GET /participants/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.accounts.models import KINDS
from fupin.accounts.service import participants
from fupin.core.jsonapi import (
    PAGE_PARAMS,
    api_actor,
    error_responses,
    json_body,
    json_response,
    page_of,
    page_params,
    paginated,
)
from fupin.core.policy import can
from fupin.errors import InvalidInput
from fupin.i18n import _


async def list_participants(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    listing = await participants.list_participants(
        kind=request.query_params.get("kind") or None,
        q=request.query_params.get("q") or None,
        page=page,
        per_page=per_page,
    )
    return paginated(
        [participants.participant_dict(p) for p in listing.items],
        total=listing.total,
        page=page,
        per_page=per_page,
    )


def _parse_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("参与方编号无效。"), field="id") from None


async def get_participant(request: Request) -> JSONResponse:
    participant = await participants.get_participant(_parse_id(request.path_params["pid"]))
    actor = api_actor(request, required=False)
    private = actor is not None and (
        actor.participant_id == participant.id or can(actor, "participant.create")
    )
    return JSONResponse(participants.participant_dict(participant, private=private))


async def create_participant(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    for key in ("kind", "name", "uscc", "id_number", "region_code", "description"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise InvalidInput(_("字段必须是字符串。"), field=key)
    created = await participants.create_participant(
        actor=actor,
        kind=body.get("kind") or "",
        name=body.get("name") or "",
        uscc=body.get("uscc") or "",
        id_number=body.get("id_number") or "",
        region_code=body.get("region_code") or "",
        description=body.get("description") or "",
        pepper=str(request.app.state.settings.secret_key),
    )
    return JSONResponse(participants.participant_dict(created, private=True), status_code=201)


routes = [
    Route("/participants", list_participants, methods=["GET"], name="participants"),
    Route("/participants", create_participant, methods=["POST"], name="participants_create"),
    Route("/participants/{pid}", get_participant, name="participant"),
]

schemas = {
    "Participant": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "name": {"type": "string"},
            "uscc": {"type": ["string", "null"]},
            "region_code": {"type": ["string", "null"]},
            "description": {"type": "string"},
            "id_number_masked": {
                "type": "string",
                "description": "Only for the participant itself and the offices",
            },
        },
    },
    "ParticipantCreate": {
        "type": "object",
        "required": ["kind", "name"],
        "properties": {
            "kind": {"type": "string", "enum": list(KINDS)},
            "name": {"type": "string", "maxLength": 128},
            "uscc": {
                "type": "string",
                "maxLength": 18,
                "description": "Unified social credit code (GB 32100-2015)",
            },
            "id_number": {
                "type": "string",
                "maxLength": 18,
                "description": "Individuals only; stored hashed and masked",
            },
            "region_code": {"type": "string", "maxLength": 12},
            "description": {"type": "string", "maxLength": 4000},
        },
    },
}

openapi = {
    "/participants": {
        "get": {
            "summary": "Participant directory",
            "security": [],
            "parameters": [
                {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 64}},
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("Participant")), **error_responses(422)},
        },
        "post": {
            "summary": "Register a participant (offices)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ParticipantCreate"}
                    }
                },
            },
            "responses": {
                "201": json_response({"$ref": "#/components/schemas/Participant"}, "Created"),
                **error_responses(401, 403, 422),
            },
        },
    },
    "/participants/{pid}": {
        "get": {
            "summary": "One participant",
            "security": [],
            "parameters": [
                {"name": "pid", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/Participant"}),
                **error_responses(404, 422),
            },
        }
    },
}
