"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
