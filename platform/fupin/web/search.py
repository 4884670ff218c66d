"""Placeholder: filled by the search work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
