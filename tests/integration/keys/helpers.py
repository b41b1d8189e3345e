"""Care accounts with patients, committed for real: key rotation works across transactions."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Patient
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.domain.patients.codec import PatientIdentity, open_identity, seal_identity
from tests.factories import make_tenant


def identity(number: int) -> PatientIdentity:
    return PatientIdentity(
        given_name=f"Given{number}",
        family_name="Zoë Ōkawa",
        preferred_name="Nana" if number % 2 else "",
        date_of_birth=date(1930 + number % 60, 1 + number % 12, 1 + number % 28),
        identifiers=[{"kind": "nhs", "value": f"943 476 {number:04d}"}],
        address=f"{number} Harbour Road",
        phone="+64 21 555 0100",
        emergency_contacts=[{"name": "Mere", "phone": "+64 21 555 0101"}],
        photo=bytes([number % 256]) * 64 if number % 3 == 0 else None,
    )


async def add_patients(
    sessions: async_sessionmaker[AsyncSession],
    keyring: Keyring,
    tenant_id: uuid.UUID,
    numbers: range,
) -> dict[uuid.UUID, PatientIdentity]:
    made: dict[uuid.UUID, PatientIdentity] = {}
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        for number in numbers:
            patient = Patient(id=new_id(), tenant_id=tenant_id, created_by=uuid.uuid4())
            await seal_identity(db, keyring, patient, identity(number))
            db.add(patient)
            made[patient.id] = identity(number)
        await db.commit()
    return made


async def care_account_with_patients(
    sessions: async_sessionmaker[AsyncSession], keyring: Keyring, count: int
) -> tuple[uuid.UUID, dict[uuid.UUID, PatientIdentity]]:
    async with sessions() as db:
        tenant = await make_tenant(db)
        await keyring.create_for_tenant(db, tenant.id)
        await db.commit()
    return tenant.id, await add_patients(sessions, keyring, tenant.id, range(count))


async def read_all(
    sessions: async_sessionmaker[AsyncSession], keyring: Keyring, tenant_id: uuid.UUID
) -> dict[uuid.UUID, PatientIdentity]:
    """Every patient of the care account opened, as the app reads them."""
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        patients = (await db.scalars(select(Patient).where(Patient.tenant_id == tenant_id))).all()
        return {p.id: await open_identity(db, keyring, p) for p in patients}


async def patients_of(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> list[Patient]:
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        return list((await db.scalars(select(Patient).where(Patient.tenant_id == tenant_id))).all())
