"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.tenant_settings.controllers._care_account import CareAccountSettingsController

ROUTES: list[ControllerRouterHandler] = [CareAccountSettingsController]
