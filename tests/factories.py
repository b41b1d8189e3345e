"""Valid objects in one line, for tests: `tenant = await make_tenant(session)`."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Tenant, TenantSettings
from app.db.tenancy import bind_tenant

_sequence = itertools.count(1)


async def make_tenant(session: AsyncSession, name: str | None = None) -> Tenant:
    """A care account with its settings row; leaves `session` bound to it."""
    tenant = Tenant(name=name or f"Care account {next(_sequence)}")
    session.add(tenant)
    await session.flush()
    await bind_tenant(session, tenant.id)
    session.add(TenantSettings(tenant_id=tenant.id))
    await session.flush()
    return tenant
