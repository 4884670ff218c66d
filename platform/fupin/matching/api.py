"""Matching API (issue 8, BRIEF §3.11): the caller's recommendations with reasons, "not for
us", a need's likely donors, invitations and the participant's inbox.

There is no parameter naming a participant anywhere here: recommendations and the inbox are
always those of the participant the caller acts for (API token or session).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fupin.core.categories import CATEGORIES
from fupin.core.jsonapi import (
    PAGE_PARAMS,
    api_actor,
    error_responses,
    json_body,
    json_response,
    page_params,
)
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.matching.models import INVITATION_RESPONSES
from fupin.matching.rules.weights import (
    DEFAULT_WEIGHTS,
    WEIGHT_RANGES,
    Weights,
    weights_from_mapping,
)
from fupin.matching.service import invitations, recommendations

WEIGHT_PREFIX = "weight."


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("%(name)s 必须是整数。", name=name), field=name) from None


def _weights(request: Request) -> Weights:
    """``weight.<name>=<number>`` query parameters over the default weights; unknown names,
    non-numbers and values out of range → 422 naming the weight (matching_weights)."""
    data: dict[str, Any] = {}
    for key, raw in request.query_params.multi_items():
        if not key.startswith(WEIGHT_PREFIX):
            continue
        name = key[len(WEIGHT_PREFIX) :]
        value: Any = raw
        allowed = WEIGHT_RANGES.get(name)
        try:
            value = int(raw) if allowed is not None and allowed.integer else float(raw)
        except ValueError:
            value = raw  # refused below with the weight's name and range
        data[name] = value
    if not data:
        return DEFAULT_WEIGHTS
    return weights_from_mapping(data, DEFAULT_WEIGHTS)


def _path_int(request: Request, name: str) -> int:
    return int(request.path_params[name])


async def get_recommendations(request: Request) -> JSONResponse:
    actor = api_actor(request)
    result = await recommendations.my_recommendations(
        actor,
        category=request.query_params.get("category") or None,
        province=request.query_params.get("province") or None,
        limit=_int_param(request, "limit"),
        weights=_weights(request),
    )
    return JSONResponse(
        {
            "items": [item.as_dict() for item in result.items],
            "filters": {
                "category": result.narrowing.category,
                "province": result.narrowing.province,
            },
            "candidates": result.candidate_count,
        }
    )


async def post_not_for_us(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    mark = await recommendations.mark_not_for_us(
        actor, _path_int(request, "need_id"), reason=body.get("reason") or ""
    )
    return JSONResponse(
        {
            "need_id": mark.need_id,
            "reason": mark.reason,
            "created_at": mark.created_at.isoformat() if mark.created_at else None,
        },
        status_code=201,
    )


async def delete_not_for_us(request: Request) -> Response:
    actor = api_actor(request)
    await recommendations.undo_not_for_us(actor, _path_int(request, "need_id"))
    return Response(status_code=204)


async def get_likely_donors(request: Request) -> JSONResponse:
    actor = api_actor(request)
    limit = _int_param(request, "limit")
    result = await recommendations.likely_donors(
        actor, _path_int(request, "need_id"), limit=recommendations.check_limit(limit)
    )
    return JSONResponse(
        {
            "need_id": result.need.id,
            "open": result.is_open,
            "items": [item.as_dict() for item in result.items],
            "weekly_limit": invitations.WEEKLY_LIMIT,
        }
    )


async def post_invitation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    need_id = body.get("need_id")
    if not isinstance(need_id, int) or isinstance(need_id, bool):
        raise InvalidInput(_("need_id 必须是整数。"), field="need_id")
    invitation = await invitations.send_invitation(
        actor,
        need_id=need_id,
        participant_id=body.get("participant_id"),  # type: ignore[arg-type]  # checked there
        message=body.get("message", ""),
    )
    await invitation.fetch_related("need")
    return JSONResponse(invitations.invitation_dict(invitation), status_code=201)


async def get_inbox(request: Request) -> JSONResponse:
    actor = api_actor(request)
    page, per_page = page_params(request)
    unread = request.query_params.get("unread", "")
    if unread not in ("", "0", "1", "true", "false"):
        raise InvalidInput(_("unread 只能是 true 或 false。"), field="unread")
    listing = await invitations.inbox(
        actor, page=page, per_page=per_page, unread_only=unread in ("1", "true")
    )
    return JSONResponse(
        {
            "items": [invitations.invitation_dict(i) for i in listing.items],
            "total": listing.total,
            "unread": listing.unread,
            "page": listing.page,
            "per_page": listing.per_page,
        }
    )


async def post_inbox_read(request: Request) -> JSONResponse:
    actor = api_actor(request)
    invitation = await invitations.mark_read(actor, _path_int(request, "invitation_id"))
    await invitation.fetch_related("need")
    return JSONResponse(invitations.invitation_dict(invitation))


async def post_inbox_respond(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    invitation = await invitations.respond(
        actor, _path_int(request, "invitation_id"), body.get("response")
    )
    await invitation.fetch_related("need")
    return JSONResponse(invitations.invitation_dict(invitation))


routes = [
    Route("/recommendations", get_recommendations, methods=["GET"]),
    Route("/recommendations/{need_id:int}/not-for-us", post_not_for_us, methods=["POST"]),
    Route("/recommendations/{need_id:int}/not-for-us", delete_not_for_us, methods=["DELETE"]),
    Route("/needs/{need_id:int}/likely-donors", get_likely_donors, methods=["GET"]),
    Route("/invitations", post_invitation, methods=["POST"]),
    Route("/inbox", get_inbox, methods=["GET"]),
    Route("/inbox/{invitation_id:int}/read", post_inbox_read, methods=["POST"]),
    Route("/inbox/{invitation_id:int}/respond", post_inbox_respond, methods=["POST"]),
]

# ---- OpenAPI ----------------------------------------------------------------------------------

_REASON = {
    "type": "object",
    "required": ["code", "params", "text"],
    "properties": {
        "code": {
            "type": "string",
            "description": "Stable reason code (docs/matching.md), e.g. in_paired_region",
        },
        "params": {
            "type": "object",
            "description": "The facts the reason states (county name, amount in fen, days…)",
        },
        "text": {"type": "string", "description": "The reason in the request's language"},
    },
}

schemas = {
    "MatchReason": _REASON,
    "Recommendation": {
        "type": "object",
        "properties": {
            "need_id": {"type": "integer"},
            "title": {"type": "string"},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "region_code": {"type": "string"},
            "region_name": {"type": "string"},
            "county_code": {"type": "string"},
            "county_name": {"type": "string"},
            "province_code": {"type": "string"},
            "target_fen": {"type": "integer"},
            "open_fen": {"type": "integer"},
            "deadline": {"type": "string", "format": "date"},
            "beneficiary_people": {"type": "integer"},
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/MatchReason"}},
        },
    },
    "RecommendationList": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Recommendation"}},
            "filters": {
                "type": "object",
                "properties": {
                    "category": {"type": ["string", "null"]},
                    "province": {"type": ["string", "null"]},
                },
            },
            "candidates": {
                "type": "integer",
                "description": "How many open needs were ranked for the caller",
            },
        },
    },
    "NotForUs": {
        "type": "object",
        "properties": {
            "need_id": {"type": "integer"},
            "reason": {"type": "string"},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "LikelyDonor": {
        "type": "object",
        "properties": {
            "participant_id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/MatchReason"}},
            "invited": {"type": "boolean", "description": "Already invited to this need"},
            "invitations_this_week": {
                "type": "integer",
                "description": "Invitations the participant received in the last 7 days",
            },
        },
    },
    "LikelyDonorList": {
        "type": "object",
        "properties": {
            "need_id": {"type": "integer"},
            "open": {"type": "boolean", "description": "Published with money still open"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/LikelyDonor"}},
            "weekly_limit": {"type": "integer"},
        },
    },
    "Invitation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "need_id": {"type": "integer"},
            "need_title": {"type": ["string", "null"]},
            "from": {"type": "string", "description": "The sending office, e.g. 广南县扶贫办"},
            "sender_role": {"type": "string"},
            "message": {"type": "string"},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
            "read": {"type": "boolean"},
            "read_at": {"type": ["string", "null"], "format": "date-time"},
            "response": {"type": ["string", "null"], "enum": [*INVITATION_RESPONSES, None]},
            "responded_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "InvitationCreate": {
        "type": "object",
        "required": ["need_id", "participant_id"],
        "properties": {
            "need_id": {"type": "integer"},
            "participant_id": {"type": "integer"},
            "message": {"type": "string", "maxLength": invitations.MESSAGE_MAX},
        },
    },
    "InvitationInbox": {
        "type": "object",
        "required": ["items", "total", "unread", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}},
            "total": {"type": "integer"},
            "unread": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
}

_WEIGHT_PARAMS = [
    {
        "name": f"{WEIGHT_PREFIX}{name}",
        "in": "query",
        "required": False,
        "description": f"Override the ranking weight {name} (allowed [{r.low}, {r.high}])",
        "schema": {"type": "integer" if r.integer else "number"},
    }
    for name, r in WEIGHT_RANGES.items()
]
_NEED_ID = {"name": "need_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_INVITATION_ID = {
    "name": "invitation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": recommendations.MAX_LIMIT},
}


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


openapi = {
    "/recommendations": {
        "get": {
            "summary": "Needs for you: the caller's participant's recommendations with reasons",
            "description": "Public, open needs ranked for the participant the caller acts for "
            "(participant members only; there is no parameter for another participant). "
            "Weights may be overridden with weight.<name> parameters; out of range → 422.",
            "parameters": [
                {"name": "category", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "province",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9]{2}0000$"},
                },
                _LIMIT,
                *_WEIGHT_PARAMS,
            ],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/RecommendationList"}),
                **error_responses(401, 403, 422),
            },
        }
    },
    "/recommendations/{need_id}/not-for-us": {
        "post": {
            "summary": "Mark a need 'not for us' (removed, similar needs demoted)",
            "parameters": [_NEED_ID],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "reason": {
                                    "type": "string",
                                    "maxLength": recommendations.NOT_FOR_US_REASON_MAX,
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": json_response({"$ref": "#/components/schemas/NotForUs"}, "Marked"),
                **error_responses(401, 403, 404, 422),
            },
        },
        "delete": {
            "summary": "Take a 'not for us' mark back",
            "parameters": [_NEED_ID],
            "responses": {
                "204": {"description": "Removed (or there was none)"},
                **error_responses(401, 403),
            },
        },
    },
    "/needs/{need_id}/likely-donors": {
        "get": {
            "summary": "Participants most likely to fund a public need, with reasons",
            "description": "For the need's county officers and the provincial and national "
            "offices. Built from non-anonymous giving only.",
            "parameters": [_NEED_ID, _LIMIT],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/LikelyDonorList"}),
                **error_responses(401, 403, 404, 409),
            },
        }
    },
    "/invitations": {
        "post": {
            "summary": "Invite a participant to consider a need",
            "description": "Offices covering the need only. At most "
            f"{invitations.WEEKLY_LIMIT} invitations per participant in any "
            f"{invitations.WINDOW_DAYS} days, one per need; over the limit → 409, nothing "
            "written. Audit-logged.",
            "requestBody": {"required": True, **_json("InvitationCreate")},
            "responses": {
                "201": json_response({"$ref": "#/components/schemas/Invitation"}, "Sent"),
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    },
    "/inbox": {
        "get": {
            "summary": "The caller's participant's invitations, newest first",
            "parameters": [
                {"name": "unread", "in": "query", "schema": {"type": "boolean"}},
                *PAGE_PARAMS,
            ],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/InvitationInbox"}),
                **error_responses(401, 403, 422),
            },
        }
    },
    "/inbox/{invitation_id}/read": {
        "post": {
            "summary": "Mark an invitation read",
            "parameters": [_INVITATION_ID],
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/Invitation"}),
                **error_responses(401, 403, 404),
            },
        }
    },
    "/inbox/{invitation_id}/respond": {
        "post": {
            "summary": "Answer an invitation (declined also marks the need 'not for us')",
            "parameters": [_INVITATION_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["response"],
                            "properties": {
                                "response": {"type": "string", "enum": list(INVITATION_RESPONSES)}
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": json_response({"$ref": "#/components/schemas/Invitation"}),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
}
