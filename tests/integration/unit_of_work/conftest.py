"""A care home whose writes reach a real COMMIT, and a way to make that COMMIT fail.

The usual harness joins the app's session to the test's transaction, so the app's
"commit" is only a RELEASE SAVEPOINT, and a DEFERRABLE INITIALLY DEFERRED trigger fires
only at the outer COMMIT, which a rolled-back test never reaches. Here the app runs as
in production instead: on its own pool of app-role connections to the test database,
committing for real. The care home is committed first and deleted afterwards
(`committed.removed_after`), and `fail_at_commit(table)` adds a deferred constraint
trigger that raises for this care home's rows of `table`, so only the COMMIT fails.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db.models import Patient, Role, Tenant, TenantSettings, User
from app.db.models.base import new_id
from app.db.models.medications import Medication
from app.db.models.tasks import CareTask, CareTaskVersion
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from tests.conftest import csrf_headers, running
from tests.factories import ensure_keys, grant_access, make_patient, make_person, make_tenant
from tests.factories import sign_in as give_session
from tests.integration.audit.committed import removed_after

ZONE = "Europe/London"
HTMX = {"HX-Request": "true"}

_FUNCTION = """
CREATE OR REPLACE FUNCTION tend_test_fail_at_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id = TG_ARGV[0]::uuid THEN
        RAISE EXCEPTION 'this care home''s % rows fail at commit (a test)', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$
"""


@dataclass
class Home:
    tenant: Tenant
    admin: User
    carer: User
    colleague: User  # a second carer, whose role the admin changes
    patient: Patient
    medicine: Medication
    task: CareTask
    task_due: datetime
    alert_id: uuid.UUID

    @property
    def patient_url(self) -> str:
        return f"/patients/{self.patient.id}"


@pytest.fixture
async def committed_app(settings: Settings, owner_engine: AsyncEngine) -> AsyncIterator[Litestar]:
    """The app on its own connections (no test transaction): its commits are real."""
    from app.asgi import create_app

    async for _ in removed_after(owner_engine):
        app = create_app(settings)
        async with running(app):
            yield app


@pytest.fixture
async def committed_client(committed_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=committed_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        yield c


@pytest.fixture
async def committed_db(app_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """An app-role session outside any test transaction, for setting up and checking."""
    async with AsyncSession(app_engine, expire_on_commit=False) as session:
        yield session


def _last_eight_oclock() -> datetime:
    zone = ZoneInfo(ZONE)
    now = datetime.now(zone)
    day = now.date() if now.time() >= time(8, 5) else now.date() - timedelta(days=1)
    return datetime.combine(day, time(8), tzinfo=zone)


async def _task(db: AsyncSession, tenant: Tenant, patient: Patient, carer: User) -> CareTask:
    created = datetime(2020, 1, 1, tzinfo=UTC)
    plan: dict[str, Any] = {
        "title": "Help to reposition",
        "details": "",
        "times": [time(8)],
        "days_of_week": list(range(7)),
        "every_days": None,
        "start_date": created.date(),
        "end_date": None,
        "assignee_id": None,
    }
    task = CareTask(
        tenant_id=tenant.id,
        patient_id=patient.id,
        version=1,
        created_by=carer.id,
        created_at=created,
        updated_by=carer.id,
        updated_at=created,
        **plan,
    )
    db.add(task)
    await db.flush()
    db.add(
        CareTaskVersion(
            tenant_id=tenant.id,
            task_id=task.id,
            version=1,
            changed_by=carer.id,
            changed_at=created,
            **plan,
        )
    )
    return task


def _medicine(tenant: Tenant, patient: Patient, admin: User) -> Medication:
    return Medication(
        id=new_id(),
        tenant_id=tenant.id,
        patient_id=patient.id,
        created_by=admin.id,
        updated_by=admin.id,
        name="Amlodipine",
        strength="5 mg",
        form="tablet",
        dose="1 tablet",
        route="oral",
        instructions="",
        starts_on=date.today() - timedelta(days=7),
        prn=False,
        times=["08:00", "20:00"],
        days=127,
        prn_reason="",
        controlled=False,
        version=1,
    )


@pytest.fixture
async def home(committed_app: Litestar, committed_db: AsyncSession) -> Home:
    """A committed care home: people, a patient, a medicine, a task and an open alert."""
    db, keyring = committed_db, committed_app.state.keyring
    tenant = await make_tenant(db, "Committed Care")
    await db.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(time_zone=ZONE)
    )
    admin = await make_person(db, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db, tenant, Role.CARER, name="Cara Carer")
    colleague = await make_person(db, tenant, Role.CARER, name="Cole Colleague")
    await ensure_keys(db, keyring, tenant)
    patient = await make_patient(db, keyring, tenant, given="Ada", family="Lovelace")
    await grant_access(db, tenant, patient, carer)
    await bind_tenant(db, tenant.id)
    medicine = _medicine(tenant, patient, admin)
    db.add(medicine)
    task = await _task(db, tenant, patient, carer)
    alert_id = await raise_alert(
        db,
        tenant_id=tenant.id,
        patient_id=patient.id,
        kind=Kind.NEWS2_MEDIUM,
        params={"score": 5, "band": "medium", "threes": []},
    )
    assert alert_id is not None
    await db.commit()
    return Home(
        tenant, admin, carer, colleague, patient, medicine, task, _last_eight_oclock(), alert_id
    )


@pytest.fixture
async def fail_at_commit(
    owner_engine: AsyncEngine, home: Home
) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
    """`await fail_at_commit("care_notes")`: from now on, a transaction that wrote one of
    the care home's rows of that table fails at COMMIT (and only there)."""
    tables: list[str] = []

    async def arm(table: str) -> None:
        async with owner_engine.begin() as conn:
            await conn.execute(text(_FUNCTION))
            await conn.execute(
                text(
                    f'CREATE CONSTRAINT TRIGGER tend_test_fail_at_commit AFTER INSERT OR UPDATE ON "{table}" '  # noqa: E501
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION tend_test_fail_at_commit('{home.tenant.id}')"
                )
            )
        tables.append(table)

    yield arm
    async with owner_engine.begin() as conn:
        for table in tables:
            await conn.execute(text(f'DROP TRIGGER tend_test_fail_at_commit ON "{table}"'))
        await conn.execute(text("DROP FUNCTION IF EXISTS tend_test_fail_at_commit()"))


async def signed_in(
    client: httpx.AsyncClient, db: AsyncSession, home: Home, user: User
) -> dict[str, str]:
    """`client` signed in as `user`; the CSRF header for its unsafe requests."""
    await give_session(client, db, home.tenant, user)
    return await csrf_headers(client)


async def count(db: AsyncSession, home: Home, sql: str, **params: Any) -> int:
    """A count over the care home's committed rows, read as the app role bound to it, in
    a session of its own (a fresh snapshot, and `db`'s objects stay loaded)."""
    async with AsyncSession(db.bind) as fresh:
        await bind_tenant(fresh, home.tenant.id)
        return int(await fresh.scalar(text(sql), {"tenant": home.tenant.id, **params}) or 0)
