"""Home page with live figures, language switch, health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from fupin import i18n
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import render, same_site_path
from fupin.needs.service import stats

#: The site's icon (the pages link it; /favicon.ico points there).
FAVICON = "/static/favicon.svg"


async def home(request: Request) -> Response:
    figures = await stats.home_figures()
    return render(request, "home.html", {"figures": figures})


async def set_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    if lang not in i18n.SUPPORTED_LOCALES:
        lang = i18n.DEFAULT_LOCALE
    target = same_site_path(request.query_params.get("next", "/"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on pages they show without ours (a JSON answer, a file)."""
    return RedirectResponse(FAVICON, status_code=301)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


routes = [
    page("/", home, name="home", action=PUBLIC),
    page("/lang/{lang}", set_language, name="set_language", action=PUBLIC),
    page("/healthz", healthz, name="healthz", action=PUBLIC),
    page("/favicon.ico", favicon, name="favicon", action=PUBLIC),
]
