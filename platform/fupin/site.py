"""Home page with live figures, language switch, health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from fupin import i18n
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import render
from fupin.needs.service import stats


async def home(request: Request) -> Response:
    figures = await stats.home_figures()
    return render(request, "home.html", {"figures": figures})


async def set_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    if lang not in i18n.SUPPORTED_LOCALES:
        lang = i18n.DEFAULT_LOCALE
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never redirect off-site
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


routes = [
    page("/", home, name="home", action=PUBLIC),
    page("/lang/{lang}", set_language, name="set_language", action=PUBLIC),
    page("/healthz", healthz, name="healthz", action=PUBLIC),
]
