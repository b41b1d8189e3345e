"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.audit.controllers._trail import AuditController

ROUTES: list[ControllerRouterHandler] = [AuditController]
