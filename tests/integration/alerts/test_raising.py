"""Raising alerts: once per cause, in the cause's transaction, counted on the bell."""

from __future__ import annotations

import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import Role
from app.db.models.alerts import Alert, AlertRead
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.alerts.unread import unread_count
from tests.factories import grant_access, make_patient, make_person, make_tenant, scope_for


async def _alerts(db: AsyncSession, tenant_id) -> list[Alert]:  # type: ignore[no-untyped-def]
    await bind_tenant(db, tenant_id)
    return list((await db.scalars(select(Alert).where(Alert.tenant_id == tenant_id))).all())


async def test_the_same_cause_raises_one_alert(db_session: AsyncSession, app: Litestar) -> None:
    tenant = await make_tenant(db_session)
    patient = await make_patient(db_session, app.state.keyring, tenant)

    first = await raise_alert(
        db_session, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.DOSE_UNRECORDED,
        dedupe_key="dose:m1:2026-11-22T08:00Z",
    )  # fmt: skip
    again = await raise_alert(
        db_session, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.DOSE_UNRECORDED,
        dedupe_key="dose:m1:2026-11-22T08:00Z",
    )  # fmt: skip

    assert first is not None
    assert again is None
    alerts = await _alerts(db_session, tenant.id)
    assert [a.severity for a in alerts] == ["warning"]


async def test_an_alert_rolls_back_with_its_cause(
    db_session: AsyncSession, connection: AsyncConnection, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    patient = await make_patient(db_session, app.state.keyring, tenant)
    cause = await connection.begin_nested()
    await raise_alert(db_session, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.CONCERN)
    assert len(await _alerts(db_session, tenant.id)) == 1
    await cause.rollback()
    db_session.expunge_all()

    assert await _alerts(db_session, tenant.id) == []


@pytest.mark.parametrize(
    ("kind", "escalates_now", "has_deadline"),
    [
        (Kind.NEWS2_HIGH, True, True),
        (Kind.NEWS2_MEDIUM, False, True),
        (Kind.TASK_OVERDUE, False, False),
    ],
)
async def test_urgent_alerts_get_an_escalation_time(
    db_session: AsyncSession, app: Litestar, kind: Kind, escalates_now: bool, has_deadline: bool
) -> None:
    tenant = await make_tenant(db_session)
    patient = await make_patient(db_session, app.state.keyring, tenant)
    await raise_alert(db_session, tenant_id=tenant.id, patient_id=patient.id, kind=kind)

    (alert,) = await _alerts(db_session, tenant.id)
    assert (alert.escalated_at is not None) is escalates_now
    assert (alert.escalate_at is not None) is has_deadline


async def test_the_bell_counts_unread_alerts_of_visible_patients(
    db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    mine = await make_patient(db_session, app.state.keyring, tenant, given="Mine")
    other = await make_patient(db_session, app.state.keyring, tenant, given="Other")
    await grant_access(db_session, tenant, mine, carer)
    for patient in (mine, mine, other):
        await raise_alert(db_session, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.CONCERN)
    me = scope_for(tenant.id, carer.id, Role.CARER)

    assert await unread_count(db_session, me) == 2
    first = (await _alerts(db_session, tenant.id))[0]
    db_session.add(AlertRead(tenant_id=tenant.id, alert_id=first.id, user_id=carer.id))
    await db_session.flush()
    expected = 1 if first.patient_id == mine.id else 2
    assert await unread_count(db_session, me) == expected
    total = await db_session.scalar(select(func.count()).select_from(Alert))
    assert total == 3
