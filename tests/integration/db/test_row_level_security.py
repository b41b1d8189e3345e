"""Row-level security, as the app role: a session sees only the tenant it is bound to."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Tenant, TenantSettings
from app.db.tenancy import bind_tenant
from tests.factories import make_tenant


async def test_bound_session_sees_only_its_own_tenant(db_session: AsyncSession) -> None:
    first = await make_tenant(db_session)
    second = await make_tenant(db_session)  # leaves the session bound to `second`
    visible = (await db_session.scalars(select(TenantSettings.tenant_id))).all()
    assert visible == [second.id]
    await bind_tenant(db_session, first.id)
    visible = (await db_session.scalars(select(TenantSettings.tenant_id))).all()
    assert visible == [first.id]


async def test_binding_outlives_a_commit(db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    await db_session.commit()
    # A new transaction begins: the binding is applied again, transaction-locally.
    visible = (await db_session.scalars(select(TenantSettings.tenant_id))).all()
    assert visible == [tenant.id]


async def test_unbound_session_sees_no_rows(db_session: AsyncSession) -> None:
    await make_tenant(db_session)
    await db_session.commit()
    db_session.info.clear()
    await db_session.execute(text("SELECT set_config('app.tenant_id', '', true)"))
    assert (await db_session.scalars(select(TenantSettings))).all() == []


async def test_insert_for_another_tenant_is_refused(db_session: AsyncSession) -> None:
    mine = await make_tenant(db_session)
    other = Tenant(name="Another care account")
    db_session.add(other)
    await db_session.flush()
    await bind_tenant(db_session, mine.id)
    with pytest.raises(DBAPIError, match="row-level security"):
        await db_session.execute(
            text("INSERT INTO tenant_settings (tenant_id) VALUES (:other)"), {"other": other.id}
        )


async def test_moving_a_row_to_another_tenant_is_refused(db_session: AsyncSession) -> None:
    mine = await make_tenant(db_session)
    other = await make_tenant(db_session)
    await bind_tenant(db_session, mine.id)
    with pytest.raises(DBAPIError, match="row-level security"):
        await db_session.execute(
            text("UPDATE tenant_settings SET tenant_id = :other"), {"other": other.id}
        )


async def test_update_and_delete_cannot_reach_another_tenant(db_session: AsyncSession) -> None:
    mine = await make_tenant(db_session)
    other = await make_tenant(db_session)
    await bind_tenant(db_session, mine.id)
    updated = await db_session.execute(
        text("UPDATE tenant_settings SET time_zone = 'Asia/Manila' WHERE tenant_id = :t"),
        {"t": other.id},
    )
    deleted = await db_session.execute(
        text("DELETE FROM tenant_settings WHERE tenant_id = :t"), {"t": other.id}
    )
    assert updated.rowcount == 0
    assert deleted.rowcount == 0
