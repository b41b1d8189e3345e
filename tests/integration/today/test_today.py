"""Today: a carer's patients with what is due, a patient's day, and "since your last visit"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import PatientVisit, Role, TenantSettings
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.today.visits import stamp_visit
from tests.factories import grant_access, make_patient, make_person, make_tenant, scope_for, sign_in
from tests.integration.patients.conftest import audit_count


@pytest.fixture
def keyring(app: Litestar):  # type: ignore[no-untyped-def]
    return app.state.keyring


async def test_a_carer_sees_their_patients_and_not_others(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    mine = [
        await make_patient(db_session, keyring, tenant, given="Mabel", family="Quint"),
        await make_patient(db_session, keyring, tenant, given="Norris", family="Quint"),
    ]
    await make_patient(db_session, keyring, tenant, given="Hidden", family="Person")
    for patient in mine:
        await grant_access(db_session, tenant, patient, carer)
    await sign_in(client, db_session, tenant, carer)

    response = await client.get("/today")

    assert response.status_code == 200
    assert "Mabel Quint" in response.text
    assert "Norris Quint" in response.text
    assert "Hidden" not in response.text
    assert f"/patients/{mine[0].id}/today" in response.text


async def test_someone_with_one_patient_goes_straight_to_their_day(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring
) -> None:
    tenant = await make_tenant(db_session)
    family = await make_person(db_session, tenant, Role.OBSERVER)
    patient = await make_patient(db_session, keyring, tenant, given="Only", family="One")
    await grant_access(db_session, tenant, patient, family)
    await sign_in(client, db_session, tenant, family)

    response = await client.get("/today")

    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{patient.id}/today"


async def test_a_carer_with_nobody_yet_is_told_what_happens_next(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, carer)

    response = await client.get("/today")

    assert response.status_code == 200
    assert "gives you access" in response.text


async def test_a_patient_day_is_shown_and_audited_once(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    patient = await make_patient(db_session, keyring, tenant, given="Dora", family="Vale")
    await grant_access(db_session, tenant, patient, carer)
    await sign_in(client, db_session, tenant, carer)

    response = await client.get(f"/patients/{patient.id}/today")

    assert response.status_code == 200
    assert "Dora Vale" in response.text
    for module_path in ("/notes", "/medicines", "/vitals", "/tasks"):
        assert f"/patients/{patient.id}{module_path}" in response.text
    assert await audit_count(db_session, tenant, "today.view", patient_id=patient.id) == 1


async def test_a_patient_day_shows_only_the_modules_of_the_plan(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring
) -> None:
    tenant = await make_tenant(db_session)
    await db_session.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == tenant.id)
        .values(plan="essentials")
    )
    carer = await make_person(db_session, tenant, Role.CARER)
    patient = await make_patient(db_session, keyring, tenant)
    await grant_access(db_session, tenant, patient, carer)
    await sign_in(client, db_session, tenant, carer)

    response = await client.get(f"/patients/{patient.id}/today")

    assert response.status_code == 200
    assert f"/patients/{patient.id}/notes" in response.text
    assert f"/patients/{patient.id}/medicines" not in response.text
    assert f"/patients/{patient.id}/vitals" not in response.text


async def test_a_patient_one_may_not_see_has_no_day(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    patient = await make_patient(db_session, keyring, tenant, given="Secret", family="Sam")
    await sign_in(client, db_session, tenant, carer)

    response = await client.get(f"/patients/{patient.id}/today")

    assert response.status_code == 404
    assert "Secret" not in response.text


async def test_views_close_together_are_one_visit(db_session: AsyncSession, keyring) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    patient = await make_patient(db_session, keyring, tenant)
    me = scope_for(tenant.id, carer.id, Role.CARER)
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

    first = await stamp_visit(db_session, me, patient.id, start)
    refresh = await stamp_visit(db_session, me, patient.id, start + timedelta(minutes=20))
    next_shift = await stamp_visit(db_session, me, patient.id, start + timedelta(hours=8))
    later = start + timedelta(hours=8, minutes=5)
    refresh_later = await stamp_visit(db_session, me, patient.id, later)

    assert first is None
    assert refresh is None
    assert next_shift == start + timedelta(minutes=20)
    assert refresh_later == start + timedelta(minutes=20)
    await bind_tenant(db_session, tenant.id)
    last_seen = await db_session.scalar(
        select(PatientVisit.last_seen_at).where(
            PatientVisit.tenant_id == tenant.id,
            PatientVisit.patient_id == patient.id,
            PatientVisit.user_id == carer.id,
        )
    )
    assert last_seen == later


async def test_each_card_keeps_its_own_scope_behind_the_page_check(
    db_session: AsyncSession, keyring
) -> None:
    """The cards' queries do not lean on chosen_patient: built for a carer without a
    grant, each finds nothing of a patient whose record is full; with the grant (or as
    an admin) each finds it."""
    from app.domain.care_notes import demo as notes_demo
    from app.domain.care_notes.today_queries import recent_and_handovers
    from app.domain.medications import demo as medicines_demo
    from app.domain.medications.today_queries import live_with_records
    from app.domain.tasks import demo as tasks_demo
    from app.domain.tasks.today_queries import day_of_patient
    from app.domain.vitals import demo as vitals_demo
    from app.domain.vitals.today_queries import latest_and_scored

    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    writer = await make_person(db_session, tenant, Role.CARER)
    patient = await make_patient(db_session, keyring, tenant)
    now = datetime.now(UTC)
    await bind_tenant(db_session, tenant.id, admin.id)
    for demo in (notes_demo, medicines_demo, tasks_demo, vitals_demo):
        await demo.seed_demo(db_session, tenant.id, [patient.id], [writer.id], now)

    def scope(person, role: Role) -> AccessScope:  # type: ignore[no-untyped-def]
        return scope_for(tenant.id, person.id, role)

    async def found(me: AccessScope) -> list[int]:
        recent, handovers = await recent_and_handovers(
            db_session, me, patient.id, now - timedelta(days=8), recent=3, handovers=10
        )
        medicines, records = await live_with_records(
            db_session, me, patient.id, now, now - timedelta(days=2), now
        )
        occurrences, _names = await day_of_patient(
            db_session, me, patient.id, now.astimezone(me.zone).date()
        )
        latest, scored = await latest_and_scored(db_session, me, patient.id)
        return [
            len(recent),
            len(handovers),
            len(medicines),
            len(records),
            len(occurrences),
            int(latest is not None),
            int(scored is not None),
        ]

    assert await found(scope(carer, Role.CARER)) == [0] * 7
    shown_to_admin = await found(scope(admin, Role.ADMIN))
    assert all(shown_to_admin)
    await grant_access(db_session, tenant, patient, carer)
    assert await found(scope(carer, Role.CARER)) == shown_to_admin
