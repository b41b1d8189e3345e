"""Escalation: urgent alerts nobody acknowledged by their time go to the administrators."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TenantSettings
from app.db.tenancy import bind_tenant
from app.domain.alerts.escalation import escalate_due
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from tests.factories import sign_in
from tests.integration.alerts.conftest import Ward, alerts_of, post


async def _raise(db: AsyncSession, ward: Ward, kind: Kind = Kind.NEWS2_MEDIUM) -> uuid.UUID:
    await bind_tenant(db, ward.tenant.id)
    alert_id = await raise_alert(
        db, tenant_id=ward.tenant.id, patient_id=ward.patient.id, kind=kind, params={"score": 5}
    )
    assert alert_id is not None
    return alert_id


async def test_an_urgent_alert_escalates_once_when_its_time_comes(
    db_session: AsyncSession, ward: Ward
) -> None:
    await bind_tenant(db_session, ward.tenant.id)
    await db_session.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == ward.tenant.id)
        .values(escalate_after_minutes=30)
    )
    await _raise(db_session, ward)
    (alert,) = await alerts_of(db_session, ward)
    assert alert.escalate_at == alert.raised_at + timedelta(minutes=30)
    due = alert.escalate_at

    assert await escalate_due(db_session, ward.tenant.id, due - timedelta(seconds=1)) == 0
    assert (await alerts_of(db_session, ward))[0].escalated_at is None
    assert await escalate_due(db_session, ward.tenant.id, due) == 1
    assert (await alerts_of(db_session, ward))[0].escalated_at == due
    assert await escalate_due(db_session, ward.tenant.id, due + timedelta(hours=1)) == 0


async def test_an_acknowledged_alert_does_not_escalate(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    assert (await post(client, f"/alerts/{alert_id}/acknowledge", {})).status_code == 303
    (alert,) = await alerts_of(db_session, ward)
    assert alert.escalate_at is not None

    later = alert.escalate_at + timedelta(hours=1)
    assert await escalate_due(db_session, ward.tenant.id, later) == 0
    assert (await alerts_of(db_session, ward))[0].escalated_at is None


async def test_warnings_and_information_never_escalate(
    db_session: AsyncSession, ward: Ward
) -> None:
    await _raise(db_session, ward, Kind.DOSE_NOT_GIVEN)
    await _raise(db_session, ward, Kind.TASK_OVERDUE)
    first, _second = await alerts_of(db_session, ward)
    assert first.escalate_at is None and _second.escalate_at is None
    far = first.raised_at + timedelta(days=2)
    assert await escalate_due(db_session, ward.tenant.id, far) == 0


async def test_escalation_touches_only_its_own_care_account(
    db_session: AsyncSession, ward: Ward
) -> None:
    await _raise(db_session, ward)
    (alert,) = await alerts_of(db_session, ward)
    assert alert.escalate_at is not None
    await bind_tenant(db_session, ward.tenant.id)
    assert await escalate_due(db_session, uuid.uuid4(), alert.escalate_at) == 0
    assert await escalate_due(db_session, ward.tenant.id, alert.escalate_at) == 1
