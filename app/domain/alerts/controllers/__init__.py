"""Routes of this area (always on, whatever the plan), registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
