"""The one JSON error shape: {"error": {"code", "message", "field"}} (+ "errors" for several)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from fupin.errors import FupinError, InvalidInput


def error_body(exc: FupinError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "field": exc.field}
    if isinstance(exc, InvalidInput) and len(exc.errors) > 1:
        body["errors"] = [
            {"code": e.code, "message": e.message, "field": e.field} for e in exc.errors
        ]
    extra = getattr(exc, "extra", None)
    if extra:
        body.update(extra)
    return {"error": body}


def error_response(exc: FupinError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


def plain_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status
    )
