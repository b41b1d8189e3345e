"""Reading and changing a care account's own settings; only ever the caller's own."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from litestar.connection import ASGIConnection
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Tenant, TenantSettings
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope

IDLE_MINUTES = (5, 480)
LIFETIME_HOURS = (1, 168)
DOSE_WINDOW_MINUTES = (5, 240)  # matches ck_tenant_settings_dose_window
ESCALATE_AFTER_MINUTES = (1, 1440)  # matches ck_tenant_settings_escalate_after
NAME_MAX = 200


@dataclass(frozen=True)
class CareAccountSettings:
    name: str
    idle_timeout_minutes: int
    session_lifetime_hours: int
    require_mfa: bool
    dose_window_minutes: int = 60
    escalate_after_minutes: int = 15


async def load(db: AsyncSession, tenant_id: uuid.UUID) -> CareAccountSettings:
    row = (
        await db.execute(
            select(
                Tenant.name,
                TenantSettings.idle_timeout_minutes,
                TenantSettings.session_lifetime_hours,
                TenantSettings.require_mfa,
                TenantSettings.dose_window_minutes,
                TenantSettings.escalate_after_minutes,
            )
            .join(TenantSettings, TenantSettings.tenant_id == Tenant.id)
            .where(Tenant.id == tenant_id)
        )
    ).one()
    return CareAccountSettings(
        row.name,
        row.idle_timeout_minutes,
        row.session_lifetime_hours,
        row.require_mfa,
        row.dose_window_minutes,
        row.escalate_after_minutes,
    )


async def save(
    db: AsyncSession,
    me: AccessScope,
    connection: ASGIConnection | None,
    new: CareAccountSettings,
) -> dict[str, list[object]]:
    """Store the settings and audit what changed: {field: [before, after]}."""
    old = await load(db, me.tenant_id)
    changes = {
        key: [value, getattr(new, key)]
        for key, value in asdict(old).items()
        if value != getattr(new, key)
    }
    if not changes:
        return changes
    if "name" in changes:
        # `tenants` is global (no row-level security): the WHERE is the only fence here.
        await db.execute(update(Tenant).where(Tenant.id == me.tenant_id).values(name=new.name))
    await db.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == me.tenant_id)
        .values(
            idle_timeout_minutes=new.idle_timeout_minutes,
            session_lifetime_hours=new.session_lifetime_hours,
            require_mfa=new.require_mfa,
            dose_window_minutes=new.dose_window_minutes,
            escalate_after_minutes=new.escalate_after_minutes,
        )
    )
    await record(
        db, me, connection, "tenant.settings_change", "tenant", me.tenant_id, None, changes
    )
    return changes
