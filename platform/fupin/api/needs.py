"""Placeholder: filled by the needs work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
