"""Two admins demoting each other at once: one wins, one is refused, never both.

The harness's usual single rolled-back transaction cannot show a race, so this test
commits its own care account through two real connections and removes it afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import Membership, Role
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.staff.services import LastAdmin, StaffService
from tests.factories import make_person, make_tenant

TENANT_TABLES = ("audit_events", "audit_heads", "sessions", "memberships", "tenant_settings")


@dataclass(frozen=True)
class TwoAdmins:
    tenant_id: uuid.UUID
    first: uuid.UUID
    second: uuid.UUID


def _scope(tenant_id: uuid.UUID, user_id: uuid.UUID) -> AccessScope:
    return AccessScope(
        tenant_id=tenant_id,
        user_id=user_id,
        session_id=uuid.uuid4(),
        role=Role.ADMIN,
        display_name="Admin",
        email="admin@example.com",
        tenant_name="Race",
        mfa_enabled=True,
        mfa_verified=True,
        require_mfa=False,
        locale=None,
    )


@pytest.fixture
async def two_admins(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> AsyncIterator[TwoAdmins]:
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db, "Race")
        first = await make_person(db, tenant, Role.ADMIN)
        second = await make_person(db, tenant, Role.ADMIN)
        await db.commit()
    try:
        yield TwoAdmins(tenant.id, first.id, second.id)
    finally:
        # As the owner: the app role may not delete audit events or tenants.
        async with owner_engine.begin() as conn:
            ids = {"t": tenant.id}
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)}
            )
            for table in TENANT_TABLES:
                await conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), ids)
            await conn.execute(
                text("DELETE FROM users WHERE id IN (:a, :b)"), {"a": first.id, "b": second.id}
            )
            await conn.execute(text("DELETE FROM tenants WHERE id = :t"), ids)


async def _wait_until_blocked(engine: AsyncEngine, pid: int) -> None:
    """Until the backend `pid` waits on another's lock (polled, not timed)."""
    async with engine.connect() as conn:
        for _ in range(500):
            blocked = await conn.scalar(
                text("SELECT cardinality(pg_blocking_pids(:pid)) > 0"), {"pid": pid}
            )
            await conn.commit()
            if blocked:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second demotion never waited for the first")


async def test_two_admins_demoting_each_other_at_once_cannot_both_succeed(
    app_engine: AsyncEngine, two_admins: TwoAdmins
) -> None:
    tenant_id = two_admins.tenant_id
    async with (
        AsyncSession(app_engine, expire_on_commit=False) as one,
        AsyncSession(app_engine, expire_on_commit=False) as two,
    ):
        await bind_tenant(one, tenant_id, two_admins.first)
        await bind_tenant(two, tenant_id, two_admins.second)
        second_pid = await two.scalar(text("SELECT pg_backend_pid()"))
        # The first demotion is made and not yet committed; the second then starts.
        await StaffService(one, _scope(tenant_id, two_admins.first), None).change_role(
            two_admins.second, Role.CARER
        )
        rival = asyncio.create_task(
            StaffService(two, _scope(tenant_id, two_admins.second), None).change_role(
                two_admins.first, Role.CARER
            )
        )
        await _wait_until_blocked(app_engine, second_pid)
        await one.commit()
        with pytest.raises(LastAdmin):
            await rival
        await two.rollback()
        roles = dict(
            (
                await two.execute(
                    select(Membership.user_id, Membership.role).where(
                        Membership.tenant_id == tenant_id
                    )
                )
            ).all()
        )
    assert roles == {two_admins.first: "admin", two_admins.second: "carer"}
