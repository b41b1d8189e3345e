"""Liveness and readiness, as a load balancer or orchestrator sees them."""

from __future__ import annotations

import httpx
from litestar import Litestar

from app.db.migrate import head_revision


async def test_healthz_says_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]
    assert {name: "ok" for name in body["checks"]} == body["checks"]


async def test_readyz_checks_the_database_and_its_migrations(client: httpx.AsyncClient) -> None:
    checks = (await client.get("/readyz")).json()["checks"]
    assert {"database", "migrations"} <= set(checks)


async def test_readyz_is_not_ready_when_migrations_are_behind(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    app.state.migration_head = "9999"
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "9999" in body["checks"]["migrations"]
    assert head_revision() in body["checks"]["migrations"]


async def test_readyz_reports_only_the_failing_check(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    app.state.migration_head = "9999"
    checks = (await client.get("/readyz")).json()["checks"]
    assert checks["database"] == "ok"
    assert checks["migrations"] != "ok"
