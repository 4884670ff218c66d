"""Placeholder: filled by the matching work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
