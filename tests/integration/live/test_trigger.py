"""Every committed alert change is announced on its care account's channel, and only then."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import plain_url
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.live import tenant_channel
from app.domain.alerts.raising import raise_alert
from tests.conftest import DatabaseUnderTest
from tests.integration.live.conftest import World, commit_alert, run_sql


@pytest.fixture
async def heard(
    test_database: DatabaseUnderTest, world: World
) -> AsyncIterator[asyncio.Queue[dict]]:
    """What a raw LISTEN on the care account's channel receives."""
    queue: asyncio.Queue[dict] = asyncio.Queue()
    conn = await asyncpg.connect(plain_url(test_database.app_url))
    await conn.add_listener(
        tenant_channel(world.tenant.id), lambda *args: queue.put_nowait(json.loads(args[-1]))
    )
    yield queue
    await conn.close()


async def _next(queue: asyncio.Queue[dict]) -> dict:
    return await asyncio.wait_for(queue.get(), 5)


async def _nothing(queue: asyncio.Queue[dict]) -> None:
    await asyncio.sleep(0.3)
    assert queue.empty(), queue.get_nowait()


async def test_a_committed_alert_is_announced_with_its_ids(
    app_engine: AsyncEngine, world: World, heard: asyncio.Queue[dict]
) -> None:
    alert_id = await commit_alert(app_engine, world.tenant, world.patient)

    assert await _next(heard) == {
        "tenant": str(world.tenant.id),
        "alert": str(alert_id),
        "patient": str(world.patient.id),
        "op": "insert",
    }


async def test_nothing_is_announced_before_commit_or_after_rollback(
    app_engine: AsyncEngine, world: World, heard: asyncio.Queue[dict]
) -> None:
    async with AsyncSession(app_engine) as db:
        await bind_tenant(db, world.tenant.id)
        await raise_alert(
            db, tenant_id=world.tenant.id, patient_id=world.patient.id, kind=Kind.CONCERN
        )
        await _nothing(heard)  # raised, not yet committed
        await db.rollback()
    await _nothing(heard)


async def test_a_changed_alert_and_a_read_receipt_are_announced(
    app_engine: AsyncEngine, world: World, heard: asyncio.Queue[dict]
) -> None:
    alert_id = await commit_alert(app_engine, world.tenant, world.patient)
    await _next(heard)

    await run_sql(
        app_engine, world.tenant,
        "UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(),"
        " acknowledged_by = :user WHERE id = :id",
        user=world.carer.id, id=alert_id,
    )  # fmt: skip
    assert (await _next(heard))["op"] == "update"

    # Changing nothing announces nothing.
    await run_sql(
        app_engine, world.tenant, "UPDATE alerts SET state = state WHERE id = :id", id=alert_id
    )
    await _nothing(heard)

    await run_sql(
        app_engine, world.tenant,
        "INSERT INTO alert_reads (tenant_id, alert_id, user_id) VALUES (:t, :a, :u)",
        t=world.tenant.id, a=alert_id, u=world.observer.id,
    )  # fmt: skip
    assert await _next(heard) == {
        "tenant": str(world.tenant.id),
        "alert": str(alert_id),
        "user": str(world.observer.id),
        "op": "read",
    }


async def test_another_care_accounts_channel_hears_nothing(
    app_engine: AsyncEngine, test_database: DatabaseUnderTest, world: World
) -> None:
    elsewhere: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(plain_url(test_database.app_url))
    try:
        other = tenant_channel(world.patient.id)  # any other care account's name
        await conn.add_listener(other, lambda *args: elsewhere.put_nowait(args[-1]))
        await commit_alert(app_engine, world.tenant, world.patient)
        await asyncio.sleep(0.3)
        assert elsewhere.empty()
    finally:
        await conn.close()
