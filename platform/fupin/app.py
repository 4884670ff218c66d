"""The application factory: settings in, Starlette app out (docs/architecture.md: Datasette's app object).

The lifespan opens the database (and, once configured, the search backend and its outbox
worker) and closes them on shutdown. Routes are collected from one module per area.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from fupin import REPO_ROOT, background
from fupin.core.http_errors import exception_handlers
from fupin.core.routing import DeclaredRoute
from fupin.core.templating import make_templates
from fupin.db import check_migrated, close_database, open_database
from fupin.disclosure.api import dashboard_supervision as disclosure_dashboard_supervision
from fupin.disclosure.pages import dashboard_panel as disclosure_dashboard_panel
from fupin.disclosure.pages import need_panel as disclosure_need_panel
from fupin.disclosure.pages import place_panel as disclosure_place_panel
from fupin.disclosure.pages import workspace_actions as disclosure_workspace_actions
from fupin.matching.service import snapshot as matching_snapshot
from fupin.middleware.context import RequestContextMiddleware
from fupin.middleware.csrf import BODY_MARGIN_BYTES, CsrfMiddleware
from fupin.middleware.headers import SecurityHeadersMiddleware
from fupin.middleware.limits import BodyLimitMiddleware
from fupin.middleware.observe import ObserveMiddleware
from fupin.money.pages.donations import workspace_actions as money_workspace_actions
from fupin.money.pages.pledges import need_panel as money_need_panel
from fupin.money.pages.pledges import participant_panel as money_participant_panel
from fupin.money.pages.pledges import place_panel as money_place_panel
from fupin.needs.service.search import open_service
from fupin.progress.pages import need_panel as progress_need_panel
from fupin.progress.pages import notification_panel as progress_notification_panel
from fupin.settings import Settings

log = logging.getLogger("fupin")

#: Page modules expose ``routes: list[BaseRoute]``; API modules their ``endpoints``
#: (core/endpoints.py), mounted under /api/v1 and documented from the same declarations.
WEB_MODULES = [
    "fupin.site",
    "fupin.accounts.pages.auth",
    "fupin.accounts.pages.account",
    "fupin.regions.pages",
    "fupin.accounts.pages.participants",
    "fupin.pairs.pages.pairs",
    "fupin.accounts.pages.admin",
    "fupin.needs.pages.needs",
    "fupin.money.pages.pledges",
    "fupin.money.pages.donations",
    "fupin.money.pages.receipts",
    "fupin.money.pages.recipients",
    "fupin.money.pages.ledger",
    "fupin.progress.pages",
    "fupin.needs.pages.search",
    "fupin.tax.pages",
    "fupin.commendation.pages",
    "fupin.pairs.pages.dashboards",
    "fupin.pairs.pages.management",
    "fupin.matching.pages",
    "fupin.notify.pages",
    "fupin.ops.web",
    "fupin.sharing.pages",
    "fupin.disclosure.pages",
]
API_MODULES = [
    "fupin.site_api",
    "fupin.regions.api",
    "fupin.accounts.api",
    "fupin.pairs.api.pairs",
    "fupin.needs.api",
    "fupin.money.api.pledges",
    "fupin.money.api.recipients",
    "fupin.money.api.donations",
    "fupin.money.api.receipts",
    "fupin.money.api.ledger",
    "fupin.progress.api",
    "fupin.notify.api",
    "fupin.tax.api",
    "fupin.commendation.api",
    "fupin.pairs.api.dashboards",
    "fupin.matching.api",
    "fupin.sharing.api",
    "fupin.disclosure.api",
]


def collect_routes(modules: list[str]) -> list[BaseRoute]:
    """Every route of the modules; one that does not declare its policy action (a plain
    Starlette ``Route`` instead of ``core.routing.page`` or an ``Endpoint``) stops the app."""
    routes: list[BaseRoute] = []
    for name in modules:
        module = importlib.import_module(name)
        if hasattr(module, "endpoints"):  # an API module: its routes come from its endpoints
            routes.extend(endpoint.route() for endpoint in module.endpoints)
        else:
            routes.extend(module.routes)
    for route in routes:
        if not isinstance(route, DeclaredRoute):
            raise TypeError(f"{getattr(route, 'path', route)}: declare its policy action")
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
            if not generate_schemas:
                try:
                    await check_migrated(settings)
                except Exception:
                    await close_database()
                    raise
        # Search (docs/domain.md §3.12): opened in every mode, tests included (an embedded index in the
        # var dir), before the background loops that write to it.
        search = await open_service(settings)
        app.state.search = api.state.search = search
        tasks = await background.start(app, settings) if settings.search_worker else []
        if settings.env != "test":
            # Every web process ranks "needs for you" from its own snapshot: build it now, not
            # on the first donor's request (docs/matching.md, "Performance").
            tasks.append(asyncio.create_task(matching_snapshot.keep_warm(), name="matching"))
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
            # Outermost: the request id, the metrics and the access log see every answer.
            Middleware(ObserveMiddleware),
            Middleware(SecurityHeadersMiddleware, production=settings.is_production),
            Middleware(
                SessionMiddleware,
                secret_key=str(settings.secret_key),
                session_cookie="fupin_session",
                # The cookie carries the session id, the CSRF token and flash messages; the
                # session itself is a database row (accounts/service/sessions.py) that ends on
                # logout and expires after this long or when idle (docs/security.md).
                max_age=settings.session_max_age_seconds,
                same_site="lax",
                https_only=settings.is_production,
            ),
            Middleware(
                RequestContextMiddleware, session_idle_seconds=settings.session_idle_seconds
            ),
            Middleware(
                BodyLimitMiddleware,
                max_body_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            # Every unsafe request, pages and API, is CSRF-checked here before any handler.
            Middleware(
                CsrfMiddleware, max_body_bytes=settings.max_upload_bytes + BODY_MARGIN_BYTES
            ),
        ],
    )
    app.state.settings = settings
    app.state.templates = make_templates(auto_reload=settings.env == "development")
    # Panels that areas above needs add to the need page (needs imports none of them).
    app.state.need_page_panels = [money_need_panel, progress_need_panel, disclosure_need_panel]
    # ... and under the one inbox's filters (the needs a donor follows, under progress).
    app.state.notification_panels = [progress_notification_panel]
    # And the next actions they add to the workspace's needs (the money work of each need).
    app.state.workspace_action_providers = [
        money_workspace_actions,
        disclosure_workspace_actions,
    ]
    # ... and to the public place pages (regions imports none of them).
    app.state.place_page_panels = [money_place_panel, disclosure_place_panel]
    # ... and to the public participant pages (the named giving history).
    app.state.participant_page_panels = [money_participant_panel]
    # ... and to the offices' dashboards (supervision alerts, notices owed, docking figures).
    app.state.dashboard_panels = [disclosure_dashboard_panel]
    api.state.settings = settings
    # ... and to the region dashboards' JSON (the supervision counts the pages show).
    api.state.dashboard_supervision = [disclosure_dashboard_supervision]
    api.state.templates = app.state.templates
    api.state.api_modules = API_MODULES
    return app


def asgi() -> Starlette:
    """Entry point for ASGI servers: ``uvicorn --factory fupin.app:asgi``."""
    return create_app(Settings.from_env())
