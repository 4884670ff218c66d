"""Placeholder: filled by the dashboards work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
