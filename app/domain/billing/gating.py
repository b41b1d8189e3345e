"""`require_module`: the gate every module's router stands behind (DESIGN.md §6).

A request for a module the care account's plan lacks answers 402 with the upgrade panel,
for a page and an htmx request alike. The plan arrives with the session check
(`AccessScope.plan`), so the gate costs no query.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar import Request, Router
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Template
from litestar.types import ControllerRouterHandler, Guard

from app.domain.billing.plans import includes, module_label, tiers
from app.lib import i18n
from app.lib.htmx import VARY, wants_partial


class ModuleNotInPlan(HTTPException):
    status_code = 402

    def __init__(self, module: str) -> None:
        super().__init__(detail="module not in plan")  # i18n: not shown (the panel is)
        self.module = module


def require_module(module: str) -> Guard:
    """A guard refusing (402) when the signed-in person's plan lacks `module`."""
    if module not in tiers().modules:
        msg = f"unknown module {module!r}: add it to app/billing/tiers.json"
        raise ValueError(msg)

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        me = connection.scope.get("auth")
        if me is not None and not includes(me.plan, module):
            raise ModuleNotInPlan(module)

    guard.__name__ = f"require_module_{module}"
    return guard


def module_router(module: str, handlers: Sequence[ControllerRouterHandler]) -> Router:
    """The one router of a module: its routes, behind `require_module`. `opt["module"]`
    lets tests and navigation find every route of a module from the route table."""
    return Router(
        path="/",
        route_handlers=list(handlers),
        guards=[require_module(module)],
        opt={"module": module},
    )


def upgrade_response(request: Request, exc: ModuleNotInPlan) -> Template:
    """The upgrade panel, 402: the whole page, or the panel alone in place of the page's
    content for an htmx request."""
    i18n.activate_for(request)
    me = request.scope.get("auth")
    context = {"module": module_label(exc.module), "is_admin": bool(me and me.is_admin)}
    headers = {"Vary": VARY}
    if wants_partial(request):
        headers.update({"HX-Retarget": "#main", "HX-Reswap": "innerHTML"})
        template = "billing/partials/_upgrade.html"
    else:
        template = "billing/upgrade.html"
    return Template(template, context=context, status_code=402, headers=headers)
