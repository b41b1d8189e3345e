"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.patients.controllers._access import AccessController
from app.domain.patients.controllers._archive import ArchiveController
from app.domain.patients.controllers._patients import PatientController

ROUTES: list[ControllerRouterHandler] = [PatientController, ArchiveController, AccessController]
