"""Routes of this module, behind its plan gate; registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.billing.gating import module_router
from app.domain.care_notes.controllers._note import NoteController
from app.domain.care_notes.controllers._notes import NotesController

ROUTES: list[ControllerRouterHandler] = [
    module_router("care_notes", [NotesController, NoteController])
]
