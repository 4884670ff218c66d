"""Commendation API (BRIEF §3.9): rounds, categories, ranking, public notice, objections, final
list. The public reads published lists and files objections during the notice; the national
office runs rounds; auditors read everything."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.commendation import service
from fupin.core.jsonapi import api_actor, client_source, error_responses, json_body, json_response
from fupin.errors import InvalidInput, NotFound
from fupin.i18n import _


def _int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(_("编号无效。"), field=name)
    return int(raw)


def round_dict(found: Any, categories: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": found.id,
        "title": found.title,
        "first_year": found.first_year,
        "last_year": found.last_year,
        "state": found.state,
        "notice_working_days": found.notice_working_days,
        "notice_start": found.notice_start.isoformat() if found.notice_start else None,
        "notice_end": found.notice_end.isoformat() if found.notice_end else None,
        "objection_channel": found.objection_channel,
    }
    if categories is not None:
        data["categories"] = [
            {
                "id": c.id,
                "award_type": c.award_type,
                "scope": c.scope,
                "quota": c.quota,
                "min_confirmed_money_fen": c.min_confirmed_money_fen,
                "min_completed_needs": c.min_completed_needs,
                "min_villages_reached": c.min_villages_reached,
                "min_honour_rate_bp": c.min_honour_rate_bp,
            }
            for c in categories
        ]
    return data


def _private_nomination(n: Any) -> dict[str, Any]:
    return {
        "id": n.id,
        "category_id": n.category_id,
        "award_type": n.category.award_type,
        "scope": n.category.scope,
        "participant_id": n.participant_id,
        "name": n.public_name,
        "status": n.status,
        "rank": n.rank,
        "tie_at_cut": n.tie_at_cut,
        "figures": n.figures,
        "reasons": [
            {"code": r.get("code"), "message": service.reason_text(r)} for r in n.reasons or []
        ],
    }


async def _visible_round(request: Request, round_id: int) -> tuple[Any, bool]:
    actor = api_actor(request, required=False)
    if service.can_view_private(actor):
        return await service.get_round(round_id), True
    return await service.get_public_round(round_id), False


async def list_rounds(request: Request) -> JSONResponse:
    actor = api_actor(request, required=False)
    private = service.can_view_private(actor)
    rounds = await service.list_rounds(public=not private)
    return JSONResponse({"items": [round_dict(r) for r in rounds]})


def _category_inputs(raw: Any) -> list[service.CategoryInput]:
    if not isinstance(raw, list) or len(raw) > 10:
        raise InvalidInput(_("categories 应为数组。"), field="categories")
    result = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInput(_("类别应为对象。"), field=f"categories[{index}]")
        result.append(_category_input(item, f"categories[{index}]"))
    return result


def _category_input(item: dict[str, Any], prefix: str) -> service.CategoryInput:
    for key in ("award_type", "scope"):
        if not isinstance(item.get(key), str):
            raise InvalidInput(_("必须是字符串。"), field=f"{prefix}.{key}")
    numbers: dict[str, int] = {}
    for key in (
        "quota",
        "min_confirmed_money_fen",
        "min_completed_needs",
        "min_villages_reached",
        "min_honour_rate_bp",
    ):
        value = item.get(key, None if key == "quota" else 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(_("必须是整数。"), field=f"{prefix}.{key}")
        numbers[key] = value
    return service.CategoryInput(award_type=item["award_type"], scope=item["scope"], **numbers)


async def create_round(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    for key in ("title", "objection_channel"):
        if key in body and not isinstance(body[key], str):
            raise InvalidInput(_("必须是字符串。"), field=key)
    created = await service.create_round(
        actor=actor,
        title=body.get("title") or "",
        first_year=body.get("first_year"),  # type: ignore[arg-type]
        last_year=body.get("last_year"),  # type: ignore[arg-type]
        categories=_category_inputs(body.get("categories")),
        notice_working_days=body.get("notice_working_days", 5),
        objection_channel=body.get("objection_channel") or "",
    )
    return JSONResponse(
        round_dict(created, await service.categories_of(created.id)), status_code=201
    )


async def get_round(request: Request) -> JSONResponse:
    found, _private = await _visible_round(request, _int(request, "rid"))
    return JSONResponse(round_dict(found, await service.categories_of(found.id)))


async def save_category(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    row = await service.save_category(
        actor=actor, round_id=_int(request, "rid"), category=_category_input(body, "category")
    )
    found = await service.get_round(row.round_id)
    return JSONResponse(round_dict(found, await service.categories_of(found.id)))


async def rank_round(request: Request) -> JSONResponse:
    actor = api_actor(request)
    result = await service.rank(actor=actor, round_id=_int(request, "rid"))
    nominations = await service.nominations_of(result.round.id)
    return JSONResponse(
        {
            "round": round_dict(result.round),
            "nominations": [_private_nomination(n) for n in nominations],
        }
    )


async def publish_notice(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    start = None
    if body.get("start") is not None:
        if not isinstance(body["start"], str):
            raise InvalidInput(_("日期格式应为 YYYY-MM-DD。"), field="start")
        try:
            start = date.fromisoformat(body["start"])
        except ValueError:
            raise InvalidInput(_("日期格式应为 YYYY-MM-DD。"), field="start") from None
    found = await service.publish_notice(actor=actor, round_id=_int(request, "rid"), start=start)
    return JSONResponse(round_dict(found))


async def publish_final(request: Request) -> JSONResponse:
    actor = api_actor(request)
    found = await service.publish_final(actor=actor, round_id=_int(request, "rid"))
    return JSONResponse(round_dict(found))


async def close_round(request: Request) -> JSONResponse:
    actor = api_actor(request)
    found = await service.close_round(actor=actor, round_id=_int(request, "rid"))
    return JSONResponse(round_dict(found))


async def list_nominations(request: Request) -> JSONResponse:
    found, private = await _visible_round(request, _int(request, "rid"))
    if private:
        nominations = await service.nominations_of(found.id)
        items = [_private_nomination(n) for n in nominations]
    else:
        nominations = await service.nominations_of(
            found.id, statuses=service.public_statuses(found)
        )
        items = [service.public_entry(n) for n in nominations]
    return JSONResponse({"round": round_dict(found), "items": items})


async def get_evidence(request: Request) -> JSONResponse:
    service.require_view_private(api_actor(request))
    found = await service.get_round(_int(request, "rid"))
    nomination = await service.get_nomination(found.id, _int(request, "nid"))
    return JSONResponse({**_private_nomination(nomination), "evidence": nomination.evidence})


async def list_objections(request: Request) -> JSONResponse:
    service.require_view_private(api_actor(request))
    found = await service.get_round(_int(request, "rid"))
    return JSONResponse(
        {
            "items": [
                {
                    "id": o.id,
                    "nomination_id": o.nomination_id,
                    "name": o.name,
                    "contact": o.contact,
                    "content": o.content,
                    "state": o.state,
                    "resolution": o.resolution,
                    "submitted_at": o.submitted_at.isoformat(),
                    "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
                }
                for o in await service.list_objections(found.id)
            ]
        }
    )


async def file_objection(request: Request) -> JSONResponse:
    body = await json_body(request)
    for key in ("name", "contact", "content"):
        if key in body and not isinstance(body[key], str):
            raise InvalidInput(_("必须是字符串。"), field=key)
    nomination_id = body.get("nomination_id")
    if nomination_id is not None and (
        isinstance(nomination_id, bool) or not isinstance(nomination_id, int)
    ):
        raise InvalidInput(_("必须是整数。"), field="nomination_id")
    objection = await service.file_objection(
        round_id=_int(request, "rid"),
        nomination_id=nomination_id,
        name=body.get("name") or "",
        contact=body.get("contact") or "",
        content=body.get("content") or "",
        source=client_source(request),
    )
    return JSONResponse({"id": objection.id, "state": objection.state}, status_code=201)


async def resolve_objection(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    decision = body.get("decision")
    if decision not in ("upheld", "dismissed"):
        raise InvalidInput(_("decision 应为 upheld 或 dismissed。"), field="decision")
    resolution = body.get("resolution")
    if not isinstance(resolution, str):
        raise InvalidInput(_("请填写处理意见。"), field="resolution", code="required")
    objection = await service.resolve_objection(
        actor=actor,
        objection_id=_int(request, "oid"),
        upheld=decision == "upheld",
        resolution=resolution,
    )
    if objection is None:  # pragma: no cover
        raise NotFound(_("异议不存在。"))
    return JSONResponse({"id": objection.id, "state": objection.state})


routes = [
    Route("/commendation/rounds", list_rounds, methods=["GET"]),
    Route("/commendation/rounds", create_round, methods=["POST"]),
    Route("/commendation/rounds/{rid}", get_round, methods=["GET"]),
    Route("/commendation/rounds/{rid}/categories", save_category, methods=["POST"]),
    Route("/commendation/rounds/{rid}/rank", rank_round, methods=["POST"]),
    Route("/commendation/rounds/{rid}/notice", publish_notice, methods=["POST"]),
    Route("/commendation/rounds/{rid}/final", publish_final, methods=["POST"]),
    Route("/commendation/rounds/{rid}/close", close_round, methods=["POST"]),
    Route("/commendation/rounds/{rid}/nominations", list_nominations, methods=["GET"]),
    Route("/commendation/rounds/{rid}/nominations/{nid}", get_evidence, methods=["GET"]),
    Route("/commendation/rounds/{rid}/objections", list_objections, methods=["GET"]),
    Route("/commendation/rounds/{rid}/objections", file_objection, methods=["POST"]),
    Route("/commendation/objections/{oid}/resolve", resolve_objection, methods=["POST"]),
]

_RID = {"name": "rid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_NID = {"name": "nid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_OID = {"name": "oid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_ROUND = {"$ref": "#/components/schemas/CommendationRound"}
_EMPTY_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {"type": "object"}}},
}

schemas = {
    "CommendationCategory": {
        "type": "object",
        "required": ["award_type", "scope", "quota"],
        "properties": {
            "award_type": {"type": "string", "enum": ["dedication", "contribution"]},
            "scope": {"type": "string", "enum": ["collective", "individual"]},
            "quota": {"type": "integer", "minimum": 1},
            "min_confirmed_money_fen": {"type": "integer", "minimum": 0},
            "min_completed_needs": {"type": "integer", "minimum": 0},
            "min_villages_reached": {"type": "integer", "minimum": 0},
            "min_honour_rate_bp": {"type": "integer", "minimum": 0, "maximum": 10000},
        },
    },
    "CommendationRound": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "first_year": {"type": "integer"},
            "last_year": {"type": "integer"},
            "state": {
                "type": "string",
                "enum": ["draft", "nominations", "notice", "final", "closed"],
            },
            "notice_working_days": {"type": "integer"},
            "notice_start": {"type": ["string", "null"], "format": "date"},
            "notice_end": {"type": ["string", "null"], "format": "date"},
            "objection_channel": {"type": "string"},
            "categories": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CommendationCategory"},
            },
        },
    },
    "CommendationRoundCreate": {
        "type": "object",
        "required": ["title", "first_year", "last_year", "categories"],
        "properties": {
            "title": {"type": "string", "maxLength": 120},
            "first_year": {
                "type": "integer",
                "description": "Five calendar years: last − first = 4",
            },
            "last_year": {"type": "integer"},
            "notice_working_days": {"type": "integer", "minimum": 1, "maximum": 30, "default": 5},
            "objection_channel": {"type": "string", "maxLength": 255},
            "categories": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CommendationCategory"},
            },
        },
    },
    "ObjectionCreate": {
        "type": "object",
        "required": ["nomination_id", "name", "contact", "content"],
        "description": "Real-name objection (RULES.md §5.1); name and contact are never published.",
        "properties": {
            "nomination_id": {"type": "integer"},
            "name": {"type": "string", "maxLength": 64},
            "contact": {"type": "string", "maxLength": 128},
            "content": {"type": "string", "minLength": 10, "maxLength": 5000},
        },
    },
}


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


openapi = {
    "/commendation/rounds": {
        "get": {
            "summary": "Rounds: published ones for the public, all for the office and auditors",
            "security": [],
            "responses": {"200": json_response({"type": "object"})},
        },
        "post": {
            "summary": "Open a round for a five-year window (national office)",
            "requestBody": _body("CommendationRoundCreate"),
            "responses": {
                "201": json_response(_ROUND, "Created"),
                **error_responses(401, 403, 422),
            },
        },
    },
    "/commendation/rounds/{rid}": {
        "get": {
            "summary": "One round with its categories",
            "security": [],
            "parameters": [_RID],
            "responses": {"200": json_response(_ROUND), **error_responses(404, 422)},
        }
    },
    "/commendation/rounds/{rid}/categories": {
        "post": {
            "summary": "Add or change a category of a draft round",
            "parameters": [_RID],
            "requestBody": _body("CommendationCategory"),
            "responses": {"200": json_response(_ROUND), **error_responses(401, 403, 404, 409, 422)},
        }
    },
    "/commendation/rounds/{rid}/rank": {
        "post": {
            "summary": "Rank from confirmed records and store the nomination list",
            "parameters": [_RID],
            "requestBody": _EMPTY_BODY,
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    },
    "/commendation/rounds/{rid}/notice": {
        "post": {
            "summary": "Publish the nomination list for public notice",
            "parameters": [_RID],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"start": {"type": "string", "format": "date"}},
                        }
                    }
                },
            },
            "responses": {"200": json_response(_ROUND), **error_responses(401, 403, 404, 409, 422)},
        }
    },
    "/commendation/rounds/{rid}/final": {
        "post": {
            "summary": "Publish the final list (after the notice, all objections resolved)",
            "parameters": [_RID],
            "requestBody": _EMPTY_BODY,
            "responses": {"200": json_response(_ROUND), **error_responses(401, 403, 404, 409)},
        }
    },
    "/commendation/rounds/{rid}/close": {
        "post": {
            "summary": "Close a round whose final list is published",
            "parameters": [_RID],
            "requestBody": _EMPTY_BODY,
            "responses": {"200": json_response(_ROUND), **error_responses(401, 403, 404, 409)},
        }
    },
    "/commendation/rounds/{rid}/nominations": {
        "get": {
            "summary": "The published list (public) or every ranked and excluded entry (office)",
            "security": [],
            "parameters": [_RID],
            "responses": {"200": json_response({"type": "object"}), **error_responses(404, 422)},
        }
    },
    "/commendation/rounds/{rid}/nominations/{nid}": {
        "get": {
            "summary": "A nominee's figures and evidence pack (office, auditors)",
            "parameters": [_RID, _NID],
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
    "/commendation/rounds/{rid}/objections": {
        "get": {
            "summary": "Objections of a round with the objectors' names (office, auditors)",
            "parameters": [_RID],
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404, 422),
            },
        },
        "post": {
            "summary": "File a real-name objection during the public notice",
            "description": "At most 10 per round per sender (address or contact) in 24 hours; "
            "past that, 429.",
            "security": [],
            "parameters": [_RID],
            "requestBody": _body("ObjectionCreate"),
            "responses": {
                "201": json_response({"type": "object"}, "Created"),
                **error_responses(404, 409, 422, 429),
            },
        },
    },
    "/commendation/objections/{oid}/resolve": {
        "post": {
            "summary": "Record the resolution of an objection (upheld removes the nominee)",
            "parameters": [_OID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["decision", "resolution"],
                            "properties": {
                                "decision": {"type": "string", "enum": ["upheld", "dismissed"]},
                                "resolution": {"type": "string", "maxLength": 5000},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": json_response({"type": "object"}),
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    },
}
