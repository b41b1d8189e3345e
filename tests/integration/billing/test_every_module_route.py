"""Every module route of Tend answers 402 when the plan lacks its module.

Routes come from the app's own route table: a route behind `module_router` carries
`opt["module"]`, so each new module route joins this walk by existing.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.domain.billing.plans import tiers
from app.domain.patients.nav import TABS
from app.paths import PACKAGE_DIR
from tests.integration.billing.helpers import Team, assert_gated, module_routes, real_app

APP = real_app()
# Modules with an area of their own in app/domain (the others come later).
MODULE_AREAS = {name for name in tiers().modules if (PACKAGE_DIR / "domain" / name).is_dir()}
MODULE_ROUTES = module_routes(APP)


# While Tend has no module routes the walk has nothing to do; test_module_gate.py proves
# the walk itself on a probe route meanwhile.
CASES = [pytest.param(*route, id=f"{route[0]} {route[1]}") for route in MODULE_ROUTES] or [
    pytest.param("GET", "", "", id="no-module-routes-yet", marks=pytest.mark.skip("none yet"))
]


@pytest.mark.parametrize(("method", "path", "module"), CASES)
async def test_module_route_answers_402_without_its_module(
    method: str,
    path: str,
    module: str,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    connection: AsyncConnection,
    team: Team,
) -> None:
    await assert_gated(client, db_session, connection, team, method, path, module)


def _handlers():  # type: ignore[no-untyped-def]
    for route in APP.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods - {"HEAD", "OPTIONS"}:
                yield route.path, handler


def test_every_gated_route_is_in_the_walk() -> None:
    """A route gated some other way than `module_router` (a bare `require_module` guard)
    has no `opt["module"]`, and the walk above would miss it."""
    for path, handler in _handlers():
        gates = [g for g in handler.resolve_guards() if g.__name__.startswith("require_module_")]
        module = handler.opt.get("module")
        assert len(gates) == (1 if module else 0), f"{path}: gate and opt disagree"
        if module:
            assert module in tiers().modules
            assert gates[0].__name__ == f"require_module_{module}", path


@pytest.mark.parametrize(("module", "tab"), [(m, p) for _, m, p in TABS if m is not None])
def test_a_module_s_record_tab_pages_are_behind_its_gate(module: str, tab: str) -> None:
    """Routes under a patient's module tab (/patients/{id}/vitals…) belong to the module."""
    under_tab = re.compile(r"^/patients/\{[^}]+\}" + re.escape(tab) + r"(/|$)")
    for path, handler in _handlers():
        if under_tab.match(path):
            assert handler.opt.get("module") == module, f"{path} is not behind {module!r}"


@pytest.mark.parametrize("module", [m for m in tiers().modules if m in MODULE_AREAS])
def test_a_module_area_s_routes_are_all_behind_its_gate(module: str) -> None:
    """Every handler written in a module's area (app/domain/<module>/) is behind its gate."""
    area = f"app.domain.{module}."
    for path, handler in _handlers():
        if handler.fn.__module__.startswith(area):
            assert handler.opt.get("module") == module, f"{path} is not behind {module!r}"
