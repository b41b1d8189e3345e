"""Routes of this module, behind its plan gate; registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.billing.gating import module_router
from app.domain.tasks.controllers._due import DueController
from app.domain.tasks.controllers._plan import PlanController

ROUTES: list[ControllerRouterHandler] = [module_router("tasks", [PlanController, DueController])]
