"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.today.controllers._today import TodayController

ROUTES: list[ControllerRouterHandler] = [TodayController]
