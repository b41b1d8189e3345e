"""Fixtures for the tasks tests: a care account in London, its people, and a patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Patient, Role, Tenant, TenantSettings, User
from app.db.models.tasks import CareTask, CareTaskVersion
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.domain.tasks import services
from tests.conftest import csrf_headers
from tests.factories import ensure_keys, grant_access, make_patient, make_person, make_tenant

ZONE = "Europe/London"


@dataclass
class Team:
    tenant: Tenant
    admin: User
    carer: User
    observer: User
    patient: Patient


@pytest.fixture
def keyring(app: Litestar) -> Keyring:
    return app.state.keyring


@pytest.fixture
async def team(db_session: AsyncSession, keyring: Keyring) -> Team:
    tenant = await make_tenant(db_session, "Riverside Care")
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(time_zone=ZONE)
    )
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Otto Observer")
    await ensure_keys(db_session, keyring, tenant)
    patient = await make_patient(db_session, keyring, tenant, given="Ada", family="Lovelace")
    await grant_access(db_session, tenant, patient, carer)
    await grant_access(db_session, tenant, patient, observer)
    return Team(tenant, admin, carer, observer, patient)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fix the tasks module's clock: `frozen(moment)`."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(services, "clock", lambda: moment)

    return freeze


async def add_task(
    db: AsyncSession,
    team: Team,
    *,
    title: str = "Help to reposition",
    times: list[time] | None = None,
    days: list[int] | None = None,
    every: int | None = None,
    start: Any = None,
    created_at: datetime | None = None,
    assignee: User | None = None,
    patient: Patient | None = None,
) -> CareTask:
    """A task stored as the app stores one (with its first version)."""
    await bind_tenant(db, team.tenant.id)
    if days is None and every is None:
        days = list(range(7))
    created = created_at or datetime(2020, 1, 1, tzinfo=datetime.now().astimezone().tzinfo)
    plan = {
        "title": title,
        "details": "",
        "times": times or [time(8), time(20)],
        "days_of_week": days,
        "every_days": every,
        "start_date": start or created.date(),
        "end_date": None,
        "assignee_id": assignee.id if assignee else None,
    }
    task = CareTask(
        tenant_id=team.tenant.id,
        patient_id=(patient or team.patient).id,
        version=1,
        created_by=team.carer.id,
        created_at=created,
        updated_by=team.carer.id,
        updated_at=created,
        **plan,
    )
    db.add(task)
    await db.flush()
    db.add(
        CareTaskVersion(
            tenant_id=team.tenant.id,
            task_id=task.id,
            version=1,
            changed_by=team.carer.id,
            changed_at=created,
            **plan,
        )
    )
    await db.flush()
    await db.commit()
    return task


async def audit_count(session: AsyncSession, tenant: Tenant, action: str) -> int:
    await bind_tenant(session, tenant.id)
    statement = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
    )
    return int(await session.scalar(statement) or 0)


async def last_audit(session: AsyncSession, tenant: Tenant, action: str) -> AuditEvent:
    await bind_tenant(session, tenant.id)
    event = await session.scalar(
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    assert event is not None, f"no {action} event"
    return event


async def post(
    client: httpx.AsyncClient, url: str, fields: dict[str, Any], *, htmx: bool = False
) -> httpx.Response:
    headers = await csrf_headers(client)
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post(url, data=fields, headers=headers)
