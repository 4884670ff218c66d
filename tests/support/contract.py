"""Every /api/v1 response the suite produces is checked against the generated OpenAPI document.

``check_api_response`` is an httpx response hook. The ``client_as`` and ``client`` fixtures
(tests/conftest.py) install it on every client they make, and the few tests that build their
own client pass ``event_hooks=CONTRACT_HOOKS``. For each response to a documented operation it
reads the body and checks it against ``build_document(API_MODULES)`` — the document
/api/v1/openapi.json serves: the status must be documented, the media type too, and the body
must validate (jsonschema, JSON Schema 2020-12 as in OpenAPI 3.1) against the schema the
operation gives for that status and media type. A response that does not fit fails the test
that made the request, naming the operation, the status and each schema error.

Not checked: responses of the router itself (a path or method that no operation documents: its
404/405) and HEAD requests.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fupin.app import API_MODULES
from fupin.core.openapi import build_document

API_PREFIX = "/api/v1"
DOCUMENT_URI = "urn:fupin-api"


@cache
def document() -> dict[str, Any]:
    return build_document(API_MODULES)


@cache
def _registry() -> Registry:
    return Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document(), default_specification=DRAFT202012)
    )


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Path templates as patterns; templates with fewer parameters first, so ``/needs/mine``
    is found before ``/needs/{need_id}``."""
    templates = sorted(document()["paths"], key=lambda t: (t.count("{"), t))
    return [
        (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(t)) + "$"), t)
        for t in templates
    ]


def operation_of(method: str, path: str) -> str | None:
    """The documented path template serving ``method path`` (path without /api/v1), if any."""
    for pattern, template in _templates():
        if pattern.match(path):
            return template if method.lower() in document()["paths"][template] else None
    return None


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _media_type(content: dict[str, Any], content_type: str) -> str | None:
    mimetype = content_type.split(";")[0].strip().lower()
    for candidate in (mimetype, mimetype.split("/")[0] + "/*", "*/*"):
        if candidate in content:
            return candidate
    return None


def _problems(template: str, method: str, status: int, content_type: str, raw: bytes) -> list[str]:
    """What does not fit: status, media type, body; empty when the response fits."""
    responses = document()["paths"][template][method]["responses"]
    documented = next(
        (key for key in (str(status), f"{status // 100}XX", "default") if key in responses), None
    )
    if documented is None:
        return [f"status {status} is not documented (documented: {', '.join(responses)})"]
    content = responses[documented].get("content")
    if not content:
        return [] if not raw else ["a body, where the document says there is none"]
    media_type = _media_type(content, content_type)
    if media_type is None:
        return [f"media type {content_type!r} is not documented (documented: {', '.join(content)})"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []  # a binary body (a spreadsheet): status and media type were what to check
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            body: Any = json.loads(text)
        except ValueError as exc:
            return [f"the body is not JSON: {exc}"]
    else:
        body = text
    pointer = _pointer(
        "paths", template, method, "responses", documented, "content", media_type, "schema"
    )
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"at {e.json_path}: {e.message}" for e in validator.iter_errors(body)]


def contract_problem(
    method: str,
    url: httpx.URL,
    status: int,
    content_type: str,
    content: bytes,
) -> str | None:
    """What is wrong with this response according to the document, or None."""
    template = operation_of(method, url.path.removeprefix(API_PREFIX))
    if template is None:
        return None
    problems = _problems(template, method.lower(), status, content_type, content)
    if not problems:
        return None
    body = content[:300].decode("utf-8", "replace")
    return (
        f"{method.upper()} {API_PREFIX}{template} answered {status} ({content_type}), "
        "which the OpenAPI document does not describe:\n"
        + "\n".join(f"  {p[:500]}" for p in problems[:10])
        + f"\nbody: {body}"
    )


async def check_api_response(response: httpx.Response) -> None:
    request = response.request
    if not request.url.path.startswith(API_PREFIX + "/") or request.method == "HEAD":
        return
    await response.aread()
    problem = contract_problem(
        request.method,
        request.url,
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
    )
    if problem:
        pytest.fail(problem, pytrace=False)


CONTRACT_HOOKS = {"response": [check_api_response]}
