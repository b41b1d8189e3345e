"""Fixtures for the job tests: a committed care account in London (workers and a second
connection only see committed rows; the run's database is dropped at the end), and
helpers that store medicines, doses, tasks and completions as the app does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db.models import Patient, Role, Tenant, TenantSettings, User
from app.db.models.base import new_id
from app.db.models.medications import Medication, MedicationAdministration
from app.db.models.tasks import CareTask, CareTaskCompletion
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.lib.keys import master_keys
from tests.factories import make_patient, make_person, make_tenant

ZONE = ZoneInfo("Europe/London")
LONG_AGO = datetime.now(UTC) - timedelta(days=8)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


# Noon today in London: the checks are given this as "now".
TODAY = datetime.now(ZONE).date()
NOON = london(TODAY, 12)


@dataclass
class Home:
    tenant: Tenant
    carer: User
    patient: Patient
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture
def sessions(app_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(app_engine, expire_on_commit=False)


@pytest.fixture
async def home(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Home:
    keyring = Keyring(master_keys(settings))
    async with sessions() as db:
        tenant = await make_tenant(db)
        await db.execute(
            update(TenantSettings)
            .where(TenantSettings.tenant_id == tenant.id)
            .values(time_zone="Europe/London", dose_window_minutes=60)
        )
        carer = await make_person(db, tenant, Role.CARER)
        patient = await make_patient(db, keyring, tenant, given="Edith")
        await db.commit()
    return Home(tenant, carer, patient, sessions)


async def add_medicine(home: Home, **values: Any) -> Medication:
    fields: dict[str, Any] = {
        "name": "Amlodipine",
        "strength": "5 mg",
        "form": "tablet",
        "dose": "1 tablet",
        "route": "oral",
        "instructions": "",
        "starts_on": TODAY - timedelta(days=7),
        "prn": False,
        "times": ["08:00", "20:00"],
        "days": 127,
        "prn_reason": "",
        "controlled": False,
        "version": 1,
        "created_at": LONG_AGO,
    }
    fields.update(values)
    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        medicine = Medication(
            id=new_id(),
            tenant_id=home.tenant.id,
            patient_id=home.patient.id,
            created_by=home.carer.id,
            updated_by=home.carer.id,
            **fields,
        )
        db.add(medicine)
        await db.commit()
    return medicine


async def record_dose(home: Home, medicine: Medication, at: datetime) -> None:
    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        db.add(
            MedicationAdministration(
                tenant_id=home.tenant.id,
                patient_id=home.patient.id,
                medication_id=medicine.id,
                scheduled_for=at,
                dose_at=at,
                given_at=at,
                outcome="given",
                recorded_by=home.carer.id,
            )
        )
        await db.commit()


async def add_task(home: Home, **values: Any) -> CareTask:
    fields: dict[str, Any] = {
        "title": "Help to reposition",
        "details": "",
        "times": [time(8), time(20)],
        "days_of_week": list(range(7)),
        "every_days": None,
        "start_date": LONG_AGO.date(),
        "end_date": None,
        "assignee_id": None,
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
    }
    fields.update(values)
    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        task = CareTask(
            tenant_id=home.tenant.id,
            patient_id=home.patient.id,
            version=1,
            created_by=home.carer.id,
            updated_by=home.carer.id,
            **fields,
        )
        db.add(task)
        await db.commit()
    return task


async def complete(home: Home, task: CareTask, at: datetime, undone: bool = False) -> None:
    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        db.add(
            CareTaskCompletion(
                tenant_id=home.tenant.id,
                task_id=task.id,
                patient_id=home.patient.id,
                due_at=at,
                outcome="done",
                recorded_by=home.carer.id,
                undone_at=at + timedelta(minutes=5) if undone else None,
                undone_by=home.carer.id if undone else None,
            )
        )
        await db.commit()


async def alerts_of(home: Home, kind: str) -> list[tuple[str, dict[str, Any], str]]:
    """(dedupe key, params, link) of the care account's alerts of `kind`."""
    from sqlalchemy import select

    from app.db.models.alerts import Alert

    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        rows = await db.execute(
            select(Alert.dedupe_key, Alert.params, Alert.link)
            .where(Alert.tenant_id == home.tenant.id, Alert.kind == kind)
            .order_by(Alert.dedupe_key)
        )
        return [(r.dedupe_key, r.params, r.link) for r in rows]


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
