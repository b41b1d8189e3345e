"""Fixtures for the medicines tests: a care account in London with one person of each
role, a patient granted to the carer and observer, and helpers to add medicines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Patient, Role, Tenant, TenantSettings, User
from app.db.models.base import new_id
from app.db.models.medications import Medication
from app.db.tenancy import bind_tenant
from tests.conftest import csrf_headers
from tests.factories import ensure_keys, grant_access, make_patient, make_person, make_tenant

ZONE = "Europe/London"


@dataclass
class Ward:
    tenant: Tenant
    admin: User
    carer: User
    second_carer: User
    observer: User
    patient: Patient

    @property
    def base(self) -> str:
        return f"/patients/{self.patient.id}/medicines"


@pytest.fixture
async def ward(db_session: AsyncSession, app: Litestar) -> Ward:
    tenant = await make_tenant(db_session, "Riverside Care")
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(time_zone=ZONE)
    )
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    second = await make_person(db_session, tenant, Role.CARER, name="Sam Second")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Otto Observer")
    await ensure_keys(db_session, app.state.keyring, tenant)
    patient = await make_patient(db_session, app.state.keyring, tenant, given="Mabel")
    for person in (carer, second, observer):
        await grant_access(db_session, tenant, patient, person)
    await db_session.flush()
    return Ward(tenant, admin, carer, second, observer, patient)


async def add_medicine(db: AsyncSession, ward: Ward, **values: Any) -> Medication:
    """A medicine stored directly; scheduled at 08:00 and 20:00 from a week ago unless told."""
    await bind_tenant(db, ward.tenant.id)
    fields: dict[str, Any] = {
        "name": "Amlodipine",
        "strength": "5 mg",
        "form": "tablet",
        "dose": "1 tablet",
        "route": "oral",
        "instructions": "",
        "starts_on": date.today() - timedelta(days=7),
        "prn": False,
        "times": ["08:00", "20:00"],
        "days": 127,
        "prn_reason": "",
        "controlled": False,
        "version": 1,
    }
    fields.update(values)
    medicine = Medication(
        id=new_id(),
        tenant_id=ward.tenant.id,
        patient_id=ward.patient.id,
        created_by=ward.admin.id,
        updated_by=ward.admin.id,
        **fields,
    )
    db.add(medicine)
    await db.flush()
    return medicine


async def post(
    client: httpx.AsyncClient, url: str, data: dict[str, Any], htmx: bool = False
) -> httpx.Response:
    headers = await csrf_headers(client)
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post(url, data=data, headers=headers)


async def audit_count(db: AsyncSession, tenant: Tenant, action: str) -> int:
    await bind_tenant(db, tenant.id)
    return int(
        await db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
        )
        or 0
    )


def yesterday_at(hour: int, minute: int = 0) -> datetime:
    """A scheduled moment yesterday on the London clock, in UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    day = datetime.now(zone).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)
