"""Audit chains committed for real, so another role (the owner) can try to tamper with them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.tenancy import bind_tenant
from app.domain.audit.services import ChainReport, append, check_chain
from tests.factories import make_tenant


async def committed_tenant(app_engine: AsyncEngine, events: int = 0) -> uuid.UUID:
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db)
        await db.commit()
    await add_events(app_engine, tenant.id, events)
    return tenant.id


async def add_events(app_engine: AsyncEngine, tenant_id: uuid.UUID, count: int) -> None:
    async with AsyncSession(app_engine) as db:
        await bind_tenant(db, tenant_id)
        for number in range(count):
            await append(db, tenant_id, None, "test.event", "thing", detail={"n": number})
        await db.commit()


async def verify(app_engine: AsyncEngine, tenant_id: uuid.UUID) -> ChainReport:
    async with AsyncSession(app_engine) as db:
        await bind_tenant(db, tenant_id)
        return await check_chain(db, tenant_id)


async def as_owner(
    owner_engine: AsyncEngine, tenant_id: uuid.UUID, *statements: str, **params: Any
) -> None:
    """What someone with the database owner's password could do (RLS is forced on the
    owner too, so they name the tenant first)."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
        for sql in statements:
            await conn.execute(text(sql), {"tenant": tenant_id, **params})


async def delete_event(owner_engine: AsyncEngine, tenant_id: uuid.UUID, seq: int) -> None:
    await as_owner(
        owner_engine,
        tenant_id,
        "DELETE FROM audit_events WHERE tenant_id = :tenant AND seq = :seq",
        seq=seq,
    )
