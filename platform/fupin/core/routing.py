"""Routes that declare their policy action (``core/policy.py`` "routes").

``page(path, handler, action=…)`` is how an HTML route is written; ``Endpoint`` (core/endpoints.py)
declares an API operation's ``action`` the same way. Both give a ``DeclaredRoute``, and the app
refuses to start with any other kind of route (``app.collect_routes``), so a route cannot exist
without the policy table deciding who reaches it — hiding a link in the navigation is not a
permission.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fupin.core.policy import RouteAction, require_route, route_actions
from fupin.core.web import actor

Handler = Callable[[Request], Awaitable[Response]]


class DeclaredRoute(Route):
    """A Starlette route with the policy action its handler is for (``action``)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        action: RouteAction,
        methods: Sequence[str] | None = None,
        name: str | None = None,
    ) -> None:
        route_actions(action)  # an unknown action fails when the module is imported
        self.action = action
        super().__init__(path, endpoint, methods=list(methods) if methods else None, name=name)


def page(
    path: str,
    handler: Handler,
    *,
    action: RouteAction,
    methods: Sequence[str] | None = None,
    name: str | None = None,
) -> DeclaredRoute:
    """An HTML route whose handler runs only for a role its ``action`` lets in."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        require_route(actor(request), action)
        return await handler(request)

    return DeclaredRoute(path, guarded, action=action, methods=methods, name=name)
