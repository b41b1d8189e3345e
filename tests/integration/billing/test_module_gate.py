"""The gate itself, on a probe module route added for these tests: 402 and the upgrade
panel when the plan lacks the module, the route itself when the plan includes it."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.domain.billing.gating import module_router, require_module
from tests.factories import sign_in
from tests.integration.billing.helpers import (
    UPGRADE_TITLE,
    Team,
    assert_gated,
    module_routes,
    set_plan,
)

PROBE = "/patients/{patient_id:str}/gating-probe"
PASSED = "through the gate"


@get(PROBE, sync_to_thread=False)
def probe_page(patient_id: FromPath[str]) -> str:
    return PASSED


@post(PROBE, status_code=200, sync_to_thread=False)
def probe_write(patient_id: FromPath[str]) -> str:
    return PASSED


@pytest.fixture
def app(app: Litestar) -> Litestar:
    """The app with a `vitals` route of its own (`essentials` lacks vitals)."""
    app.register(module_router("vitals", [probe_page, probe_write]))
    return app


def _probe(team: Team) -> str:
    return f"/patients/{team.patient.id}/gating-probe"


async def test_page_request_outside_the_plan_gets_the_upgrade_page(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "essentials")
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.get(_probe(team))
    assert response.status_code == 402
    assert "<html" in response.text
    assert UPGRADE_TITLE in response.text
    assert "Vitals is not part of your care account" in response.text
    assert PASSED not in response.text
    assert "HX-Retarget" not in response.headers


async def test_htmx_request_outside_the_plan_gets_the_panel_in_place_of_the_page(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "essentials")
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await client.get(_probe(team), headers={"HX-Request": "true"})
    assert response.status_code == 402
    assert "<html" not in response.text
    assert UPGRADE_TITLE in response.text
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("role", ["admin", "carer", "observer"])
async def test_module_in_the_plan_answers(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, role: str
) -> None:
    await set_plan(db_session, team.tenant, "complete")
    await sign_in(client, db_session, team.tenant, getattr(team, role))
    response = await client.get(_probe(team))
    assert response.status_code == 200
    assert response.text == PASSED


async def test_admin_is_offered_the_plan_page(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "essentials")
    await sign_in(client, db_session, team.tenant, team.admin)
    for headers in ({}, {"HX-Request": "true"}):
        response = await client.get(_probe(team), headers=headers)
        assert 'href="/settings/plan"' in response.text


async def test_carer_is_told_to_ask_an_administrator(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "essentials")
    await sign_in(client, db_session, team.tenant, team.carer)
    for headers in ({}, {"HX-Request": "true"}):
        response = await client.get(_probe(team), headers=headers)
        assert response.status_code == 402
        assert "/settings/plan" not in response.text
        assert "An administrator of your care account can change the plan." in response.text


async def test_the_route_walk_finds_and_checks_module_routes(
    app: Litestar,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    connection: AsyncConnection,
    team: Team,
) -> None:
    """The walk of test_every_module_route.py, on the probe: it finds a module route by
    its `opt`, and proves the gate for the admin and a carer, reads and writes alike
    (so it holds even while Tend has no module routes of its own)."""
    probes = [route for route in module_routes(app) if route[1] == PROBE]
    assert probes == [("GET", PROBE, "vitals"), ("POST", PROBE, "vitals")]
    for method, path, module in probes:
        await assert_gated(client, db_session, connection, team, method, path, module)


def test_a_module_tiers_json_does_not_know_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match=r"tiers\.json"):
        require_module("teleportation")
