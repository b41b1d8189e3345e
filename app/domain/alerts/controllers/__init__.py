"""Routes of this area (always on, whatever the plan), registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.alerts.controllers._bell import BellController

ROUTES: list[ControllerRouterHandler] = [BellController]
