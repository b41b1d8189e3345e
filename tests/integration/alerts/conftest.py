"""Fixtures for the alerts tests: a care account in London with one person of each role,
a carer without a grant, a patient the carer and observer are granted, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, Role, Tenant, TenantSettings, User
from app.db.models.alerts import Alert
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from tests.conftest import csrf_headers
from tests.factories import ensure_keys, grant_access, make_patient, make_person, make_tenant

ZONE = "Europe/London"
HTMX = {"HX-Request": "true"}


@dataclass
class Ward:
    tenant: Tenant
    admin: User
    carer: User
    observer: User
    stranger: User  # a carer without a grant
    patient: Patient

    @property
    def base(self) -> str:
        """The medicines' base URL (the medications helpers use it)."""
        return f"/patients/{self.patient.id}/medicines"

    @property
    def alerts_url(self) -> str:
        return f"/patients/{self.patient.id}/alerts"

    @property
    def chosen(self) -> ChosenPatient:
        return ChosenPatient(self.patient.id, "Edith Weston", archived=False)

    def scope(self, user: User, role: Role) -> AccessScope:
        return AccessScope(
            tenant_id=self.tenant.id,
            user_id=user.id,
            session_id=user.id,
            role=role,
            display_name=user.display_name,
            email="",
            tenant_name="",
            mfa_enabled=False,
            mfa_verified=False,
            require_mfa=False,
            locale=None,
            time_zone=ZONE,
        )


@pytest.fixture
async def ward(db_session: AsyncSession, app: Litestar) -> Ward:
    tenant = await make_tenant(db_session, "Hillside Care")
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(time_zone=ZONE)
    )
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Otto Observer")
    stranger = await make_person(db_session, tenant, Role.CARER, name="Sol Stranger")
    await ensure_keys(db_session, app.state.keyring, tenant)
    patient = await make_patient(
        db_session, app.state.keyring, tenant, given="Edith", family="Weston"
    )
    await grant_access(db_session, tenant, patient, carer)
    await grant_access(db_session, tenant, patient, observer)
    await db_session.flush()
    return Ward(tenant, admin, carer, observer, stranger, patient)


async def alerts_of(db: AsyncSession, ward: Ward) -> list[Alert]:
    """Every alert of the ward's care account, oldest first, as the database has them."""
    await bind_tenant(db, ward.tenant.id)
    rows = await db.scalars(
        select(Alert)
        .where(Alert.tenant_id == ward.tenant.id)
        .order_by(Alert.raised_at, Alert.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def post(
    client: httpx.AsyncClient, url: str, data: dict[str, Any], *, htmx: bool = False
) -> httpx.Response:
    headers = await csrf_headers(client)
    if htmx:
        headers |= HTMX
    return await client.post(url, data=data, headers=headers)
