"""/needs: list, create, read, edit, transitions, attachments, history (BRIEF §3.4)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fupin.core.categories import CATEGORY_CODES
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
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.needs.rules import ATTACHMENT_PURPOSES, STATES, USER_ACTIONS
from fupin.needs.service import attachments, needs
from fupin.needs.service.search import get_service, parse_query_args, wants_search
from fupin.search.adapters import default_settings as default_search_settings

TEXT_FIELDS = ("region_code", "category", "title", "description", "deadline", "external_ref")
INT_FIELDS = ("target_fen", "beneficiary_households", "beneficiary_people")


def _need_id(request: Request) -> int:
    raw = request.path_params["need_id"]
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(_("需求编号无效。"), field="id") from None
    if not 1 <= value <= 2**31 - 1:
        raise InvalidInput(_("需求编号无效。"), field="id")
    return value


def _check_types(body: dict[str, Any]) -> None:
    """JSON types at the edge (the domain checks ranges and meaning)."""
    for key in TEXT_FIELDS:
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise InvalidInput(_("字段必须是字符串。"), field=key)
    for key in INT_FIELDS:
        value = body.get(key)
        if (
            key in body
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int))
        ):
            raise InvalidInput(_("字段必须是整数。"), field=key)
    if "items" in body and body["items"] is not None:
        items = body["items"]
        if not isinstance(items, list):
            raise InvalidInput(_("物资必须是列表。"), field="items")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidInput(_("每项物资必须是对象。"), field=f"items[{i}]")
            for key in ("name", "unit"):
                if not isinstance(item.get(key), str):
                    raise InvalidInput(_("字段必须是字符串。"), field=f"items[{i}].{key}")
            for key in ("quantity", "unit_value_fen"):
                value = item.get(key)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidInput(_("字段必须是整数。"), field=f"items[{i}].{key}")
            extra = set(item) - {"name", "quantity", "unit", "unit_value_fen"}
            if extra:
                raise InvalidInput(_("未知字段。"), field=f"items[{i}].{sorted(extra)[0]}")


def _filters(request: Request, page: int, per_page: int) -> needs.NeedFilters:
    params = request.query_params
    return needs.NeedFilters(
        province=params.get("province") or None,
        county=params.get("county") or None,
        region=params.get("region") or None,
        category=params.get("category") or None,
        state=params.get("state") or None,
        q=params.get("q") or None,
        sort=params.get("sort") or "newest",
        page=page,
        per_page=per_page,
    )


async def list_needs(request: Request) -> JSONResponse:
    if (request.query_params.get("scope") or "public") == "public" and wants_search(
        request.query_params.multi_items()
    ):
        return await search_needs(request)  # full-text search and facets (issue 5, below)
    page, per_page = page_params(request)
    actor = api_actor(request, required=False)
    scope = request.query_params.get("scope") or "public"
    if scope not in ("public", "mine"):
        raise InvalidInput(_("scope 只能是 public 或 mine。"), field="scope")
    private = scope == "mine"
    listing = await needs.list_needs(
        _filters(request, page, per_page), actor=actor, private=private
    )
    return paginated(
        [needs.need_dict(n, include_private=private) for n in listing.items],
        total=listing.total,
        page=page,
        per_page=per_page,
    )


async def create_need(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    _check_types(body)
    unknown = sorted(set(body) - set(TEXT_FIELDS) - set(INT_FIELDS) - {"items"})
    if unknown:
        raise InvalidInput(_("未知字段：%(f)s", f=", ".join(unknown)), field=unknown[0])
    need = await needs.draft_need(actor, body, source="api")
    need = await needs.get_need(actor, need.id)
    return JSONResponse(needs.need_dict(need, include_private=True), status_code=201)


def _detail(actor: Any, need: Any) -> dict[str, Any]:
    data = needs.need_dict(need, include_private=needs.may_view_private(actor, need))
    data["available_actions"] = [t.action for t in needs.available_actions(actor, need)]
    return data


async def get_need(request: Request) -> JSONResponse:
    actor = api_actor(request, required=False)
    need = await needs.get_need(actor, _need_id(request))
    return JSONResponse(_detail(actor, need))


async def patch_need(request: Request) -> JSONResponse:
    actor = api_actor(request)
    need_id = _need_id(request)
    body = await json_body(request)
    _check_types(body)
    need = await needs.edit_need(actor, need_id, body)
    return JSONResponse(_detail(actor, need))


async def transition(request: Request) -> JSONResponse:
    actor = api_actor(request)
    need_id = _need_id(request)
    body = await json_body(request)
    action = body.get("action")
    reason = body.get("reason", "")
    acknowledge = body.get("acknowledge_duplicates", False)
    if not isinstance(action, str) or not action:
        raise InvalidInput(_("请指定操作。"), field="action")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise InvalidInput(_("字段必须是字符串。"), field="reason")
    if not isinstance(acknowledge, bool):
        raise InvalidInput(_("字段必须是 true 或 false。"), field="acknowledge_duplicates")
    need = await needs.transition_need(
        actor, need_id, action, reason=reason, acknowledge_duplicates=acknowledge
    )
    return JSONResponse(_detail(actor, need))


async def upload_attachment(request: Request) -> JSONResponse:
    actor = api_actor(request)
    need_id = _need_id(request)
    settings = request.app.state.settings
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 65536:
        raise InvalidInput(_("文件过大。"), field="file", code="too_large")
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("请以 multipart/form-data 上传文件字段 file。"), field="file")
    purpose = form.get("purpose") or "photo"
    data = await upload.read(settings.max_upload_bytes + 1)
    row = await attachments.add_attachment(
        actor,
        need_id,
        data=data,
        filename=upload.filename or "",
        purpose=str(purpose),
        attachments_dir=settings.attachments_dir,
        max_bytes=settings.max_upload_bytes,
    )
    return JSONResponse(
        {
            "id": row.id,
            "purpose": row.purpose,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "url": needs.attachment_url(need_id, row),
        },
        status_code=201,
    )


async def list_events(request: Request) -> JSONResponse:
    actor = api_actor(request, required=False)
    need_id = _need_id(request)
    events = await needs.need_events(actor, need_id)
    need = await needs.get_need(actor, need_id, details=False)
    private = needs.may_view_private(actor, need)
    return JSONResponse({"items": [needs.event_dict(e, include_private=private) for e in events]})


routes = [
    Route("/needs", list_needs, methods=["GET"], name="needs"),
    Route("/needs", create_need, methods=["POST"], name="needs_create"),
    Route("/needs/{need_id}", get_need, methods=["GET"], name="need"),
    Route("/needs/{need_id}", patch_need, methods=["PATCH"], name="need_patch"),
    Route("/needs/{need_id}/transitions", transition, methods=["POST"], name="need_transition"),
    Route("/needs/{need_id}/attachments", upload_attachment, methods=["POST"], name="need_attach"),
    Route("/needs/{need_id}/events", list_events, methods=["GET"], name="need_events"),
]

_ITEM = {
    "type": "object",
    "required": ["name", "quantity", "unit", "unit_value_fen"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "quantity": {"type": "integer", "minimum": 1, "maximum": needs.MAX_ITEM_QUANTITY},
        "unit": {"type": "string", "minLength": 1, "maxLength": 16},
        "unit_value_fen": {"type": "integer", "minimum": 1, "maximum": needs.MAX_ITEM_VALUE_FEN},
    },
}
_FIELDS = {
    "region_code": {
        "type": "string",
        "pattern": "^([0-9]{6}|[0-9]{12})$",
        "description": "12-digit village code, or 6-digit county code for a county-wide need",
    },
    "category": {"type": "string", "enum": list(CATEGORY_CODES)},
    "title": {"type": "string", "minLength": needs.MIN_TITLE, "maxLength": needs.MAX_TITLE},
    "description": {
        "type": "string",
        "minLength": needs.MIN_DESCRIPTION,
        "maxLength": needs.MAX_DESCRIPTION,
        "description": "Plain text; shown escaped",
    },
    "target_fen": {
        "type": "integer",
        "minimum": 0,
        "maximum": needs.MAX_TARGET_FEN,
        "description": "Money target in fen (0 with items: the items' total value)",
    },
    "beneficiary_households": {"type": "integer", "minimum": 0, "maximum": needs.MAX_HOUSEHOLDS},
    "beneficiary_people": {"type": "integer", "minimum": 0, "maximum": needs.MAX_PEOPLE},
    "deadline": {
        "type": "string",
        "format": "date",
        "description": "After today, within three years",
    },
    "items": {"type": "array", "maxItems": needs.MAX_ITEMS, "items": _ITEM},
    "external_ref": {"type": "string", "maxLength": needs.MAX_EXTERNAL_REF},
}

schemas = {
    "Need": {
        "type": "object",
        "required": [
            "id",
            "title",
            "category",
            "state",
            "target_fen",
            "pledged_fen",
            "received_fen",
            "deadline",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "category": {"type": "string", "enum": list(CATEGORY_CODES)},
            "category_label": {"type": "string"},
            "state": {"type": "string", "enum": list(STATES)},
            "state_label": {"type": "string"},
            "region": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "level": {"type": "string"},
                    "full_name": {"type": "string"},
                    "is_generated": {"type": "boolean"},
                },
            },
            "county_wide": {"type": "boolean"},
            "county_code": {"type": "string"},
            "province_code": {"type": "string"},
            "target_fen": {"type": "integer"},
            "pledged_fen": {"type": "integer"},
            "received_fen": {"type": "integer"},
            "open_fen": {"type": "integer"},
            "beneficiary_households": {"type": "integer"},
            "beneficiary_people": {"type": "integer"},
            "deadline": {"type": "string", "format": "date"},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "is_demo": {"type": "boolean"},
            "url": {"type": "string"},
            "items": {"type": "array", "items": {**_ITEM, "additionalProperties": True}},
            "attachments": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/NeedAttachment"},
            },
            "available_actions": {
                "type": "array",
                "items": {"type": "string", "enum": list(USER_ACTIONS)},
            },
            "source": {"type": "string", "description": "Private: web, api, import or demo"},
            "external_ref": {"type": "string", "description": "Private"},
            "created_by_id": {"type": ["integer", "null"], "description": "Private"},
            "published_by_id": {"type": ["integer", "null"], "description": "Private"},
            "created_at": {"type": ["string", "null"], "description": "Private"},
            "updated_at": {"type": ["string", "null"], "description": "Private"},
        },
    },
    "NeedCreate": {
        "type": "object",
        "required": ["region_code", "category", "title", "description", "deadline"],
        "additionalProperties": False,
        "properties": _FIELDS,
    },
    "NeedPatch": {
        "type": "object",
        "additionalProperties": False,
        "description": "Only while draft or returned (drafting side) or submitted (county review)",
        "properties": _FIELDS,
    },
    "NeedTransition": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": list(USER_ACTIONS)},
            "reason": {
                "type": "string",
                "maxLength": needs.MAX_REASON,
                "description": "Required for return, withdraw, deliver, close and dispute",
            },
            "acknowledge_duplicates": {
                "type": "boolean",
                "description": "Publish although possible duplicates were found (409 possible_duplicate otherwise)",
            },
        },
    },
    "NeedEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "action": {"type": "string"},
            "action_label": {"type": "string"},
            "from_state": {"type": ["string", "null"]},
            "to_state": {"type": "string"},
            "actor": {
                "type": "string",
                "description": "The acting office or role, never a personal name",
            },
            "actor_username": {"type": "string", "description": "Private"},
            "reason": {"type": "string"},
            "at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "NeedAttachment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "purpose": {"type": "string", "enum": list(ATTACHMENT_PURPOSES)},
            "content_type": {
                "type": "string",
                "enum": ["image/jpeg", "image/png", "image/webp", "application/pdf"],
            },
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "url": {"type": "string"},
            "original_name": {"type": "string", "description": "Private"},
        },
    },
}

_ID = {
    "name": "need_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_NEED = json_response({"$ref": "#/components/schemas/Need"})

openapi = {
    "/needs": {
        "get": {
            "summary": "Needs: public list, or (scope=mine) the needs of the caller's village/county/province",
            "security": [],
            "parameters": [
                {
                    "name": "province",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9]{6}$"},
                },
                {
                    "name": "county",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9]{6}$"},
                },
                {
                    "name": "region",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9]{6,12}$"},
                },
                {
                    "name": "category",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(CATEGORY_CODES)},
                },
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(STATES)},
                },
                {
                    "name": "sort",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(needs.SORTS), "default": "newest"},
                },
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": 64},
                    "description": "Text query (routed to search when configured)",
                },
                {
                    "name": "scope",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["public", "mine"], "default": "public"},
                },
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("Need")), **error_responses(401, 403, 422)},
        },
        "post": {
            "summary": "Draft a need (village worker: own village; county officer: own county)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NeedCreate"}}
                },
            },
            "responses": {
                "201": json_response({"$ref": "#/components/schemas/Need"}, "Created"),
                **error_responses(401, 403, 422),
            },
        },
    },
    "/needs/{need_id}": {
        "get": {
            "summary": "One need (public once published; drafts only within the caller's scope)",
            "security": [],
            "parameters": [_ID],
            "responses": {"200": _NEED, **error_responses(404, 422)},
        },
        "patch": {
            "summary": "Edit a need's content",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NeedPatch"}}
                },
            },
            "responses": {"200": _NEED, **error_responses(401, 403, 404, 409, 422)},
        },
    },
    "/needs/{need_id}/transitions": {
        "post": {
            "summary": "Move a need through its lifecycle (submit, publish, return, start, deliver, confirm_receipt, close, dispute, withdraw)",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NeedTransition"}}
                },
            },
            "responses": {"200": _NEED, **error_responses(401, 403, 404, 409, 422)},
        }
    },
    "/needs/{need_id}/attachments": {
        "post": {
            "summary": "Attach a photo (JPEG/PNG/WebP) or PDF; the content must match the name",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "purpose": {
                                    "type": "string",
                                    "enum": list(ATTACHMENT_PURPOSES),
                                    "default": "photo",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": json_response({"$ref": "#/components/schemas/NeedAttachment"}, "Created"),
                **error_responses(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/needs/{need_id}/events": {
        "get": {
            "summary": "The need's history: every transition with who, when and why",
            "security": [],
            "parameters": [_ID],
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/NeedEvent"},
                            }
                        },
                    }
                ),
                **error_responses(404, 422),
            },
        }
    },
}


# ---- full-text search (issue 5; maintained by the search work) --------------------------------
# GET /needs with q, a facet the database list has no filter for (contiguous_area, amount_band),
# facet counts (facets=…), sort=relevance or several values of one facet is answered by the
# search service (fupin.needs.service.search): public needs only, hits with highlights, the total and
# facet counts. Province and county filters take codes (as above) or names (the facet values).


async def search_needs(request: Request) -> JSONResponse:
    service = get_service(request.app.state)
    args = parse_query_args(request.query_params.multi_items(), settings=service.settings)
    page = await service.search(args)
    return JSONResponse(page.as_json())


_MAX_Q = default_search_settings().max_query_chars
_FACETS = ["province", "county", "category", "state", "contiguous_area", "amount_band"]
_HIT_TEXT = ("title", "description", "category_label", "province", "province_code", "prefecture",
             "county", "county_code", "township", "village", "contiguous_area", "amount_band",
             "deadline")  # fmt: skip
_HIT_INT = ("id", "target_fen", "pledged_fen", "received_fen", "open_fen", "deadline_ts",
            "published_ts", "beneficiary_people", "beneficiary_households")  # fmt: skip
schemas["NeedHit"] = {
    "type": "object",
    "description": "A public need as search found it; `highlight` is escaped HTML with <mark>",
    "required": ["id", "title", "state", "target_fen", "pledged_fen", "open_fen", "highlight"],
    "properties": {
        **{k: {"type": "string"} for k in _HIT_TEXT},
        **{k: {"type": "integer"} for k in _HIT_INT},
        "category": {"type": "string", "enum": list(CATEGORY_CODES)},
        "state": {"type": "string", "enum": list(STATES)},
        "is_poverty_county": {"type": "boolean"},
        "highlight": {
            "type": "object",
            "required": ["title", "description"],
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}},
        },
    },
}
schemas["NeedSearchPage"] = {
    "type": "object",
    "required": ["items", "total", "page", "per_page", "facets"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/NeedHit"}},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "facets": {
            "type": "object",
            "description": "facet -> {value: number of hits}, most frequent first",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
}
_list = openapi["/needs"]["get"]
_list["summary"] += "; with q (or a search-only facet) a full-text search with facet counts"
_list["parameters"] = [
    p for p in _list["parameters"] if p["name"] not in ("q", "sort", "province", "county")
] + [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": _MAX_Q},
     "description": "Full-text search, Chinese-aware (longer than the maximum: 422 naming q); "
                    "present, even empty, it routes the request to search"},
    {"name": "sort", "in": "query",
     "schema": {"type": "string", "enum": ["relevance", *needs.SORTS], "default": "newest"},
     "description": "relevance: search only (the default there)"},
    *[{"name": f, "in": "query", "explode": True,
       "schema": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 50},
       "description": "Facet filter, repeatable (values ORed). province/county: code or name"}
      for f in ("province", "county", "contiguous_area", "amount_band")],
    {"name": "facets", "in": "query", "schema": {"type": "string"},
     "description": "Comma-separated facets to count (search; default all): " + ", ".join(_FACETS)},
]  # fmt: skip
_list["responses"]["200"] = json_response(
    {"anyOf": [page_of("Need"), {"$ref": "#/components/schemas/NeedSearchPage"}]}
)
_list["responses"].update(error_responses(503))
