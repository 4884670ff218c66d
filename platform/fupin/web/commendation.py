"""Placeholder: filled by the commendation work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
