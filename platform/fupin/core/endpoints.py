"""Declared endpoints: one declaration is both the Starlette route and the OpenAPI operation.

An API module lists its ``endpoints``; the app mounts ``endpoint.route()`` for each and
``core/openapi.py`` documents each, so a route cannot exist undocumented and a documented path
cannot lack its route::

    endpoints = [
        Endpoint("GET", "/regions/{code}", get_region, "One region",
                 params=RegionPath, response=Region, errors=(404,)),
    ]

The route parses and validates, in this order, the acting user (``auth``), the request headers
it reads (``headers``: a malformed ``Idempotency-Key`` is refused before anything else is
looked at), the path parameters (``params``), the query string (``query``) and the JSON body
(``body``), and calls ``handler(request, actor=…, headers=…, path=…, query=…, body=…)`` with
the keywords it declared. A file upload declares its ``multipart/form-data`` body as ``form``
instead: the document describes it (a file field is ``bytes``), and the handler reads the form
itself — it decides how much of a file to read — and validates the other fields with
``core.schemas.validate_form``. An endpoint may declare both: JSON, or — when the caller has
files to send — the multipart form; a multipart request then reaches the handler with
``body=None`` and the handler reads the form (the document offers both media types). What the handler returns is validated against ``response`` — a
schema, ``Page[Schema]``, a union of schemas or any type pydantic knows, built by attribute from
ORM rows or dataclasses — and written as JSON with ``status``; a handler that must answer
otherwise (a file, a stream, another status, extra headers) returns a Starlette ``Response``
itself, and the response-validation test still checks it. An endpoint whose answer is not JSON
names its ``media_types`` (a ledger export: ``("application/x-ndjson", "text/csv")`` with
``response=str``); its handler always returns the ``Response``.

Error statuses documented for each operation: ``errors``, plus 401 everywhere (the middleware
refuses a presented token that is invalid or revoked, on every route), 422 when the endpoint
takes any input, and 403 for every write (a browser session's write without its
``X-CSRF-Token`` header is refused by the CSRF middleware whatever the endpoint's ``auth``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from fupin.core.jsonapi import api_actor, parse_body, parse_headers, parse_path, parse_query
from fupin.core.policy import PUBLIC, ROUTE_KINDS, RouteAction, require_route, route_actions
from fupin.core.routing import DeclaredRoute
from fupin.core.schemas import Body, Headers, PathParams, Query

#: ``public``: no user needed, none passed; ``optional``: ``actor`` is the user or None;
#: ``required``: 401 without a user, and ``actor`` is passed.
Auth = Literal["public", "optional", "required"]
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@cache
def adapter(schema: Any) -> TypeAdapter[Any]:
    """One ``TypeAdapter`` per response type, built once."""
    return TypeAdapter(schema)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Callable[..., Awaitable[Any]]
    summary: str
    response: Any = None  # None: no body (give status=204)
    status: int = 200
    params: type[PathParams] | None = None
    query: type[Query] | None = None
    body: type[Body] | None = None
    form: type[BaseModel] | None = None  # a multipart body, read by the handler (see above)
    headers: type[Headers] | None = None
    auth: Auth = "public"
    #: The policy action(s) the operation is for, or ``policy.PUBLIC`` / ``policy.SIGNED_IN``
    #: (core/policy.py "routes"): a role the declaration does not name gets 403 before
    #: anything else is looked at. Required: an endpoint without one is refused at import.
    action: RouteAction = ""
    errors: tuple[int, ...] = ()
    #: The media types of the successful answer, each with ``response`` as its schema.
    media_types: tuple[str, ...] = ("application/json",)

    def __post_init__(self) -> None:
        in_path = set(re.findall(r"\{(\w+)", self.path))
        declared = (
            {f.alias or name for name, f in self.params.model_fields.items()}
            if self.params
            else set()
        )
        if in_path != declared:
            raise TypeError(
                f"{self.method} {self.path}: path parameters {sorted(in_path)} but "
                f"params declares {sorted(declared)}"
            )
        if self.method != self.method.upper():
            raise TypeError(f"{self.method} {self.path}: the method is written in capitals")
        if not self.action:
            raise TypeError(f"{self.method} {self.path}: declare its policy action (action=…)")
        route_actions(self.action)
        if (self.auth == "required") == (self.action == PUBLIC):
            raise TypeError(
                f"{self.method} {self.path}: auth={self.auth!r} with action={self.action!r} "
                "(an operation without a required user is public, one with it is not)"
            )

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def error_statuses(self) -> list[int]:
        statuses = {*self.errors, 401}
        if self.params or self.query or self.body or self.form or self.headers:
            statuses.add(422)
        if self.method in WRITES:  # a session's write without X-CSRF-Token, whatever the auth
            statuses.add(403)
        if self.action not in ROUTE_KINDS:  # a role the declaration does not name
            statuses.add(403)
        return sorted(statuses)

    def route(self) -> DeclaredRoute:
        return DeclaredRoute(
            self.path,
            self.serve,
            action=self.action,
            methods=[self.method],
            name=self.operation_id,
        )

    async def serve(self, request: Request) -> Response:
        kwargs: dict[str, Any] = {}
        if self.auth != "public":
            kwargs["actor"] = api_actor(request, required=self.auth == "required")
        if self.auth == "required":
            require_route(kwargs["actor"], self.action)
        if self.headers:
            kwargs["headers"] = parse_headers(request, self.headers)
        if self.params:
            kwargs["path"] = parse_path(request, self.params)
        if self.query:
            kwargs["query"] = parse_query(request, self.query)
        if self.body:
            multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
            if self.form and multipart:
                kwargs["body"] = None  # the handler reads the form
            else:
                kwargs["body"] = await parse_body(request, self.body)
        result = await self.handler(request, **kwargs)
        if isinstance(result, Response):
            return result
        if self.media_types != ("application/json",):
            raise TypeError(f"{self.operation_id} answers {self.media_types}: return a Response")
        if self.response is None:
            return Response(status_code=self.status)
        # A result that does not fit the declared response is our bug: a ValidationError here
        # is a 500, never a 422.
        schema = adapter(self.response)
        content = schema.dump_json(schema.validate_python(result, from_attributes=True))
        return Response(content, status_code=self.status, media_type="application/json")
