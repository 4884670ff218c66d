"""The application factory: settings in, Starlette app out (STYLE: Datasette's app object).

The lifespan opens the database (and, once configured, the search backend and its outbox
worker) and closes them on shutdown. Routes are collected from one module per area.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from fupin import REPO_ROOT
from fupin.db import close_database, open_database
from fupin.settings import Settings
from fupin.web.errors import exception_handlers
from fupin.web.middleware import RequestContextMiddleware
from fupin.web.templating import make_templates

log = logging.getLogger("fupin")

#: Modules exposing ``routes: list[BaseRoute]``; API modules are mounted under /api/v1.
WEB_MODULES = [
    "fupin.web.home",
    "fupin.web.auth",
    "fupin.web.account",
    "fupin.web.regions",
    "fupin.web.participants",
    "fupin.web.pairs",
    "fupin.web.admin",
    "fupin.web.needs",
    "fupin.web.money",
    "fupin.web.search",
    "fupin.web.tax",
    "fupin.web.commendation",
    "fupin.web.dashboards",
    "fupin.web.matching",
]
API_MODULES = [
    "fupin.api.meta",
    "fupin.api.regions",
    "fupin.api.participants",
    "fupin.api.pairs",
    "fupin.api.needs",
    "fupin.api.money",
    "fupin.api.tax",
    "fupin.api.commendation",
    "fupin.api.dashboards",
    "fupin.api.matching",
]


def collect_routes(modules: list[str]) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in modules:
        routes.extend(importlib.import_module(name).routes)
    return routes


def create_app(
    settings: Settings, *, generate_schemas: bool = False, manage_database: bool = True
) -> Starlette:
    """Build the app. ``generate_schemas`` is for throw-away databases only (real databases get
    their schema from ``fupin migrate``); ``manage_database=False`` lets a test own the ORM."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await open_database(settings, generate_schemas=generate_schemas)
        from fupin import background
        from fupin.search.service import open_service

        # Search (BRIEF §3.12): opened in every mode, tests included (an embedded index in the
        # var dir), before the background loops that write to it.
        search = await open_service(settings)
        app.state.search = api.state.search = search
        tasks = await background.start(app, settings) if settings.search_worker else []
        try:
            yield
        finally:
            await background.stop(app, tasks)
            await search.close()
            if manage_database:
                await close_database()

    api = Starlette(routes=collect_routes(API_MODULES), exception_handlers=exception_handlers())
    routes = [
        *collect_routes(WEB_MODULES),
        Mount("/api/v1", app=api, name="api"),
        Mount("/static", app=StaticFiles(directory=REPO_ROOT / "static"), name="static"),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=str(settings.secret_key),
                session_cookie="fupin_session",
                max_age=14 * 24 * 3600,
                same_site="lax",
                https_only=settings.is_production,
            ),
            Middleware(RequestContextMiddleware),
        ],
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    api.state.settings = settings
    api.state.templates = app.state.templates
    return app


def asgi() -> Starlette:
    """Entry point for ASGI servers: ``uvicorn --factory fupin.app:asgi``."""
    return create_app(Settings.from_env())
