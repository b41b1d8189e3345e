"""Reading and changing a care account's plan; only ever the caller's own."""

from __future__ import annotations

import uuid

from litestar.connection import ASGIConnection
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TenantSettings
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope


async def load_plan(db: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The care account's plan as stored now (the session check's copy may be older)."""
    plan = await db.scalar(select(TenantSettings.plan).where(TenantSettings.tenant_id == tenant_id))
    if plan is None:  # every care account has its settings row (create-tenant, sign-up)
        msg = f"care account {tenant_id} has no settings row"
        raise LookupError(msg)
    return plan


async def change_plan(
    db: AsyncSession, me: AccessScope, connection: ASGIConnection | None, new: str
) -> str | None:
    """Put the caller's care account on plan `new`, audited as `plan.change`.
    Answers the plan it was on, or None when it was on `new` already (nothing stored)."""
    old = await load_plan(db, me.tenant_id)
    if old == new:
        return None
    await db.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == me.tenant_id).values(plan=new)
    )
    await record(
        db,
        me,
        connection,
        "plan.change",
        "tenant_settings",
        me.tenant_id,
        detail={"from": old, "to": new},
    )
    return old
