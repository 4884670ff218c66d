"""Placeholder: filled by the tax work."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
