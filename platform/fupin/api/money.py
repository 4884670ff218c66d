"""Placeholder: filled by the money work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
