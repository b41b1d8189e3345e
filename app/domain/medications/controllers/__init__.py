"""Routes of this module, behind its plan gate; registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.billing.gating import module_router
from app.domain.medications.controllers._chart import ChartController
from app.domain.medications.controllers._doses import DoseController
from app.domain.medications.controllers._medicines import MedicineController

ROUTES: list[ControllerRouterHandler] = [
    module_router("medications", [MedicineController, DoseController, ChartController])
]
