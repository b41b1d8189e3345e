"""The Today section, due counts for many patients, and the demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.medications import Medication, MedicationAdministration
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.medications.demo import seed_demo
from app.domain.medications.today import due_counts, today_section
from app.domain.patients.chosen import ChosenPatient
from tests.factories import make_patient, scope_for, sign_in

from .conftest import ZONE, Ward, add_medicine, post

LONDON = ZoneInfo(ZONE)


def _scope(ward: Ward, role: Role = Role.CARER, window: int = 60) -> AccessScope:
    return scope_for(
        ward.tenant.id, ward.carer.id, role, display_name="Cara Carer", locale="en",
        time_zone=ZONE, dose_window_minutes=window,
    )  # fmt: skip


def _local(hour: int, minute: int = 0) -> datetime:
    today = datetime.now(LONDON).date()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


async def test_today_section_has_due_and_overdue_doses(
    db_session: AsyncSession, ward: Ward
) -> None:
    await add_medicine(db_session, ward, times=["08:00", "12:00", "20:00"])
    me = _scope(ward)
    patient = ChosenPatient(ward.patient.id, "Mabel", False)
    section = await today_section(db_session, me, patient, _local(12, 30))
    states = [(d["time"], d["state"]) for d in section["doses"]]
    assert [s for _t, s in states] == ["overdue", "due"]
    assert (section["due"], section["overdue"]) == (1, 1)


async def test_a_recorded_dose_leaves_the_today_section(
    db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, times=["08:00"])
    await bind_tenant(db_session, ward.tenant.id)
    db_session.add(
        MedicationAdministration(
            tenant_id=ward.tenant.id,
            patient_id=ward.patient.id,
            medication_id=medicine.id,
            scheduled_for=_local(8),
            dose_at=_local(8),
            given_at=_local(8),
            outcome="given",
            recorded_by=ward.carer.id,
        )
    )
    await db_session.flush()
    section = await today_section(
        db_session, _scope(ward), ChosenPatient(ward.patient.id, "Mabel", False), _local(8, 10)
    )
    assert section["doses"] == []


async def test_today_section_shows_prn_next_allowed_and_effects_to_answer(
    db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(
        db_session,
        ward,
        prn=True,
        times=[],
        prn_reason="Pain",
        min_interval_minutes=240,
        max_per_day=4,
    )
    now = datetime.now(UTC)
    given = now - timedelta(hours=1)
    await bind_tenant(db_session, ward.tenant.id)
    db_session.add(
        MedicationAdministration(
            tenant_id=ward.tenant.id,
            patient_id=ward.patient.id,
            medication_id=medicine.id,
            dose_at=given,
            given_at=given,
            outcome="given",
            recorded_by=ward.carer.id,
        )
    )
    await db_session.flush()
    section = await today_section(
        db_session, _scope(ward), ChosenPatient(ward.patient.id, "Mabel", False), now
    )
    [prn] = section["prn"]
    assert prn["next_allowed_at"] == given + timedelta(hours=4)
    assert len(section["awaiting_effect"]) == 1


async def test_due_counts_for_several_patients(
    db_session: AsyncSession, app: Litestar, ward: Ward
) -> None:
    await add_medicine(db_session, ward, times=["08:00", "12:00"])
    other = await make_patient(db_session, app.state.keyring, ward.tenant, given="Otis")
    counts = await due_counts(
        db_session, _scope(ward, Role.ADMIN), [ward.patient.id, other.id], _local(12, 10)
    )
    assert counts == {ward.patient.id: {"due": 1, "overdue": 1}, other.id: {"due": 0, "overdue": 0}}


async def test_due_counts_leave_out_patients_not_granted(
    db_session: AsyncSession, app: Litestar, ward: Ward
) -> None:
    other = await make_patient(db_session, app.state.keyring, ward.tenant, given="Otis")
    await add_medicine(db_session, ward, times=["12:00"])
    await bind_tenant(db_session, ward.tenant.id)
    db_session.add(
        Medication(
            tenant_id=ward.tenant.id,
            patient_id=other.id,
            name="X",
            form="tablet",
            dose="1",
            route="oral",
            starts_on=datetime.now(LONDON).date() - timedelta(days=1),
            times=["12:00"],
            created_by=ward.admin.id,
            updated_by=ward.admin.id,
        )
    )
    await db_session.flush()
    counts = await due_counts(db_session, _scope(ward), [ward.patient.id, other.id], _local(12, 10))
    assert counts[ward.patient.id] == {"due": 1, "overdue": 0}
    assert counts[other.id] == {"due": 0, "overdue": 0}


async def test_the_today_card_records_a_dose_in_place(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    # Due this very minute: in its window, so one tap records it.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    medicine = await add_medicine(
        db_session, ward, times=[now.astimezone(LONDON).strftime("%H:%M")]
    )
    section = await today_section(
        db_session, _scope(ward), ChosenPatient(ward.patient.id, "Mabel", False), now
    )
    [dose] = section["doses"]
    assert dose["medication_id"] == str(medicine.id)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client,
        dose["action"],
        {"medication_id": dose["medication_id"], "scheduled_for": dose["at"], "outcome": "given"},
        htmx=True,
    )
    assert response.status_code == 200
    assert f'id="{dose["key"]}"' in response.text


async def test_demo_seeding_adds_medicines_and_a_week_of_doses(
    db_session: AsyncSession, app: Litestar, ward: Ward
) -> None:
    other = await make_patient(db_session, app.state.keyring, ward.tenant, given="Otis")
    await bind_tenant(db_session, ward.tenant.id)
    await seed_demo(
        db_session,
        ward.tenant.id,
        [ward.patient.id, other.id],
        [ward.carer.id, ward.second_carer.id],
        datetime.now(UTC),
    )
    medicines = (await db_session.scalars(select(Medication))).all()
    assert 4 <= len(medicines) <= 8
    assert any(m.prn for m in medicines) and any(m.controlled for m in medicines)
    outcomes = dict(
        (
            await db_session.execute(
                select(MedicationAdministration.outcome, func.count()).group_by(
                    MedicationAdministration.outcome
                )
            )
        ).all()
    )
    assert outcomes["given"] > sum(v for k, v in outcomes.items() if k != "given")


async def test_not_given_from_the_today_card_opens_the_form_for_that_dose(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    # The dose's time ends in "+00:00": unencoded in a link, its "+" would come back a space.
    await add_medicine(db_session, ward, times=["00:00"])
    section = await today_section(
        db_session, _scope(ward), ChosenPatient(ward.patient.id, "Mabel", False), _local(0, 30)
    )
    [dose] = section["doses"]
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await client.get(dose["form_url"], headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'name="scheduled_for" value="{dose["at"]}"' in response.text
