"""Liveness and readiness, as a load balancer or orchestrator sees them."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.migrate import head_revision
from app.domain.health import controllers as health


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


async def test_readyz_is_not_ready_when_the_database_does_not_answer(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that accepts the query but never answers (here: a lock held elsewhere)
    is unreachable for a probe: 503 in time, not a request that waits forever."""
    monkeypatch.setattr(health, "ANSWER_WITHIN", 0.5, raising=False)
    async with owner_engine.connect() as other:
        await other.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        # The bound only keeps a hanging /readyz from hanging the test run.
        response = await asyncio.wait_for(client.get("/readyz"), timeout=30)
        await other.rollback()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable: no answer within 0.5 s"
