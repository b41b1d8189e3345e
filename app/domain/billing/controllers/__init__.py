"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.billing.controllers._plan import PlanController

ROUTES: list[ControllerRouterHandler] = [PlanController]
