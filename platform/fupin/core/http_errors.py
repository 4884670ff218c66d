"""Exceptions to responses, in one place: JSON under /api, the site's error pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fupin.core.json_errors import error_response, plain_error
from fupin.core.web import render
from fupin.errors import FieldError, FupinError, InvalidInput, NotAuthenticated
from fupin.i18n import _

log = logging.getLogger("fupin")

_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的请求方法",
    409: "操作与当前状态冲突",
    413: "上传内容过大",
    422: "输入有误",
    429: "请求过于频繁",
    500: "服务器出错了",
    503: "服务暂时不可用",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(
    request: Request, status: int, message: str, problems: list[FieldError] | None = None
) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": _(_TITLES.get(status, "出错了")),
            "message": message,
            "problems": problems or [],
        },
        status_code=status,
    )


async def fupin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FupinError)
    if _is_api(request):
        return error_response(exc)
    if isinstance(exc, NotAuthenticated) and request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    # A refused form that is not shown again: each problem with the field it concerns (a
    # schema's message, "缺少必填字段。", says nothing without it).
    problems = exc.errors if isinstance(exc, InvalidInput) else []
    return _page(request, exc.status, exc.message, [p for p in problems if p.field])


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_request"}
    message = _(_TITLES.get(exc.status_code, "出错了"))
    if _is_api(request):
        return plain_error(exc.status_code, codes.get(exc.status_code, "error"), message)
    return _page(request, exc.status_code, message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = _("服务器出错了，我们已记录此问题。")
    if _is_api(request):
        return plain_error(500, "server_error", message)
    return _page(request, 500, message)


def exception_handlers() -> dict[Any, Any]:
    return {
        FupinError: fupin_error,
        HTTPException: http_error,
        500: server_error,
        Exception: server_error,
    }
