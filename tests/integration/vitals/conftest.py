"""Fixtures for the vitals tests: a care account with one person of each role, a patient
the carer and observer are granted, and helpers to post the record form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Patient, Role, Tenant, User
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import ensure_keys, grant_access, make_patient, make_person, make_tenant

# A complete, normal set (NEWS2 0) as the form sends it.
NORMAL = {
    "respiration_rate": "16",
    "spo2": "97",
    "oxygen": "air",
    "systolic": "125",
    "diastolic": "80",
    "pulse": "72",
    "consciousness": "A",
    "temperature": "36.8",
}


@dataclass
class Ward:
    tenant: Tenant
    admin: User
    carer: User
    observer: User
    stranger: User  # a carer without a grant
    patient: Patient

    @property
    def url(self) -> str:
        return f"/patients/{self.patient.id}/vitals"


@pytest.fixture
def keyring(app: Litestar) -> Keyring:
    return app.state.keyring


@pytest.fixture
async def ward(db_session: AsyncSession, keyring: Keyring) -> Ward:
    tenant = await make_tenant(db_session, "Hillside Care")
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Otto Observer")
    stranger = await make_person(db_session, tenant, Role.CARER, name="Sol Stranger")
    await ensure_keys(db_session, keyring, tenant)
    patient = await make_patient(db_session, keyring, tenant, given="Edith", family="Weston")
    await grant_access(db_session, tenant, patient, carer)
    await grant_access(db_session, tenant, patient, observer)
    await db_session.commit()
    return Ward(tenant, admin, carer, observer, stranger, patient)


async def post(
    client: httpx.AsyncClient, url: str, fields: dict[str, Any], **headers: str
) -> httpx.Response:
    """A form as a browser sends it (URL-encoded), with the CSRF header. A vitals form
    gets the time the page would have filled in (now, the care account being on UTC)."""
    if url.endswith(("/new", "/correct")) and "taken_at" not in fields and fields:
        fields = {**fields, "taken_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")}
    return await client.post(url, data=fields, headers={**await csrf_headers(client), **headers})


async def audit_count(session: AsyncSession, tenant: Tenant, action: str, **where: Any) -> int:
    await bind_tenant(session, tenant.id)
    statement = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
    )
    for column, value in where.items():
        statement = statement.where(getattr(AuditEvent, column) == value)
    return int(await session.scalar(statement) or 0)
