"""Routes of this area, registered in app/asgi.py."""

from litestar.types import ControllerRouterHandler

from app.domain.staff.controllers._accept import AcceptInviteController
from app.domain.staff.controllers._invites import InviteController
from app.domain.staff.controllers._members import StaffController
from app.domain.staff.controllers._reset_link import ResetLinkController

ROUTES: list[ControllerRouterHandler] = [
    StaffController,
    InviteController,
    AcceptInviteController,
    ResetLinkController,
]
