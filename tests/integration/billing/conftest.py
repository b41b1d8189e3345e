"""Fixtures for the billing tests: a care account with a patient, and a person of each
role (the carer and the observer granted that patient)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.factories import grant_access, make_patient, make_person, make_tenant
from tests.integration.billing.helpers import Team


@pytest.fixture
async def team(db_session: AsyncSession, app: Litestar) -> Team:
    tenant = await make_tenant(db_session, "Orchard Care")
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Ada Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cai Carer")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Oli Observer")
    patient = await make_patient(db_session, app.state.keyring, tenant, given="Petra")
    await grant_access(db_session, tenant, patient, carer)
    await grant_access(db_session, tenant, patient, observer)
    await db_session.commit()
    return Team(tenant, admin, carer, observer, patient)
