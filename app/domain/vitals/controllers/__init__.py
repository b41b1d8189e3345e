"""Routes of this module, behind its plan gate; registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.billing.gating import module_router
from app.domain.vitals.controllers._record import RecordVitalsController
from app.domain.vitals.controllers._scale import ScaleController
from app.domain.vitals.controllers._vitals import VitalsController

ROUTES: list[ControllerRouterHandler] = [
    module_router("vitals", [VitalsController, RecordVitalsController, ScaleController])
]
