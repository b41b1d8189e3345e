"""Routes of this area (always on, whatever the plan), registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.alerts.controllers._alerts import AlertsController
from app.domain.alerts.controllers._bell import BellController
from app.domain.alerts.controllers._patient import PatientAlertsController

ROUTES: list[ControllerRouterHandler] = [BellController, AlertsController, PatientAlertsController]
