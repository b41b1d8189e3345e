"""Routes of this module, behind its plan gate; registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

ROUTES: list[ControllerRouterHandler] = []
