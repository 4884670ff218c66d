"""No request body over its limit is ever read: a body larger than allowed costs the service
nothing but the bytes up to the limit, whatever its encoding (JSON, form, multipart, chunked).

Multipart bodies (uploads: attachments, the need importer) may carry ``max_upload_bytes`` plus
the form around the file; every other body ``max_body_bytes``. A declared Content-Length over
the limit is refused before a byte is read; a chunked or lying body is cut off the moment it
passes the limit (413, in the JSON shape under /api and as the site's page elsewhere).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fupin.core.http_errors import http_error

#: What a multipart form may carry besides its largest accepted file (other fields, framing).
UPLOAD_MARGIN_BYTES = 1024 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes + UPLOAD_MARGIN_BYTES

    def limit_for(self, headers: Headers) -> int:
        content_type = headers.get("content-type", "").lower()
        return (
            self.max_upload_bytes
            if content_type.startswith("multipart/form-data")
            else self.max_body_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await http_error(Request(scope, receive, send), BodyTooLarge())
        await response(scope, receive, send)
