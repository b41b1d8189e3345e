"""The medicine list: adding, changing (versions kept), stopping; who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.medications import Medication, MedicationVersion
from app.db.tenancy import bind_tenant
from app.domain.medications.records import regimen_of
from app.domain.medications.schedule import doses_on
from tests.factories import make_person, sign_in

from .conftest import Ward, add_medicine, audit_count, post

VALID = {
    "name": "Metformin",
    "strength": "500 mg",
    "form": "tablet",
    "dose": "1 tablet",
    "route": "oral",
    "starts_on": "2026-01-01",
    "kind": "scheduled",
    "times": ["08:00", "18:00"],
    "days": ["0", "1", "2", "3", "4", "5", "6"],
}


async def _medicines(db: AsyncSession, ward: Ward) -> list[Medication]:
    await bind_tenant(db, ward.tenant.id)
    return list(
        (
            await db.scalars(
                select(Medication)
                .where(Medication.patient_id == ward.patient.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    )


async def test_empty_list_says_what_to_do_next(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await client.get(ward.base)
    assert response.status_code == 200
    assert "No medicines yet — add the first one" in response.text
    assert await audit_count(db_session, ward.tenant, "medication.list") == 1


async def test_carer_adds_a_scheduled_medicine(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/new", VALID)
    assert response.status_code == 303
    [medicine] = await _medicines(db_session, ward)
    assert (medicine.name, medicine.times, medicine.days) == ("Metformin", ["08:00", "18:00"], 127)
    assert await audit_count(db_session, ward.tenant, "medication.create") == 1
    page = await client.get(ward.base)
    assert "Metformin" in page.text


async def test_one_day_checkbox_is_enough(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/new", {**VALID, "days": "0", "times": "09:30"})
    assert response.status_code == 303
    [medicine] = await _medicines(db_session, ward)
    assert (medicine.days, medicine.times) == (1, ["09:30"])


async def test_a_prn_medicine_needs_its_reason_interval_and_maximum(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/new", {**VALID, "kind": "prn", "name": "Ibuprofen"})
    assert response.status_code == 422
    assert "Say what the medicine is for" in response.text
    assert 'value="Ibuprofen"' in response.text
    good = {
        **VALID,
        "kind": "prn",
        "prn_reason": "Pain",
        "min_interval": "4",
        "interval_unit": "hours",
        "max_per_day": "3",
    }
    assert (await post(client, f"{ward.base}/new", good)).status_code == 303
    [medicine] = await _medicines(db_session, ward)
    assert (medicine.prn, medicine.min_interval_minutes, medicine.max_per_day) == (True, 240, 3)


async def test_invalid_medicine_comes_back_with_errors_beside_the_fields(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.base}/new", {**VALID, "name": "", "times": "", "days": []}
    )
    assert response.status_code == 422
    assert (
        "Give the medicine&#39;s name." in response.text
        or "Give the medicine's name." in response.text
    )
    assert "Give at least one time of day." in response.text
    assert await _medicines(db_session, ward) == []


async def test_changing_a_medicine_keeps_the_earlier_version(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(client, f"{ward.base}/new", VALID)
    [medicine] = await _medicines(db_session, ward)
    response = await post(client, f"{ward.base}/{medicine.id}/edit", {**VALID, "dose": "2 tablets"})
    assert response.status_code == 303
    [medicine] = await _medicines(db_session, ward)
    assert (medicine.dose, medicine.version) == ("2 tablets", 2)
    versions = (
        await db_session.scalars(
            select(MedicationVersion)
            .where(MedicationVersion.medication_id == medicine.id)
            .order_by(MedicationVersion.version)
        )
    ).all()
    assert [v.snapshot["dose"] for v in versions] == ["1 tablet", "2 tablets"]
    assert all(v.changed_by == ward.carer.id for v in versions)
    assert await audit_count(db_session, ward.tenant, "medication.update") == 1


async def test_stopping_needs_a_reason_and_ends_the_doses(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    refused = await post(client, f"{ward.base}/{medicine.id}/stop", {"reason": ""})
    assert refused.status_code == 422
    assert "Say why the medicine is stopped." in refused.text
    response = await post(client, f"{ward.base}/{medicine.id}/stop", {"reason": "GP stopped it"})
    assert response.status_code == 303
    [stopped] = await _medicines(db_session, ward)
    assert stopped.stopped_at is not None and stopped.stop_reason == "GP stopped it"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    from zoneinfo import ZoneInfo

    assert doses_on(regimen_of(stopped), tomorrow, ZoneInfo("Europe/London")) == []
    assert await audit_count(db_session, ward.tenant, "medication.stop") == 1
    page = await client.get(ward.base)
    assert "GP stopped it" in page.text


async def test_observer_sees_the_list_without_controls_and_cannot_write(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.observer)
    page = await client.get(ward.base)
    assert page.status_code == 200
    assert "Amlodipine" in page.text
    assert "Add a medicine" not in page.text and "/stop" not in page.text
    chart = await client.get(f"{ward.base}/chart")
    assert chart.status_code == 200
    assert "Record</a>" not in chart.text
    for url, data in (
        (f"{ward.base}/new", VALID),
        (f"{ward.base}/{medicine.id}/edit", VALID),
        (f"{ward.base}/{medicine.id}/stop", {"reason": "x"}),
        (f"{ward.base}/dose", {"medication_id": str(medicine.id), "outcome": "given"}),
        (f"{ward.base}/effect", {"effect": "helped"}),
    ):
        assert (await post(client, url, data)).status_code == 403, url
    for url in (f"{ward.base}/new", f"{ward.base}/dose?medication={medicine.id}"):
        assert (await client.get(url)).status_code == 403, url


async def test_carer_without_a_grant_gets_404(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    stranger = await make_person(db_session, ward.tenant, Role.CARER, name="Nina Nogrant")
    await sign_in(client, db_session, ward.tenant, stranger)
    assert (await client.get(ward.base)).status_code == 404
    assert (await client.get(f"{ward.base}/chart")).status_code == 404
    assert (await post(client, f"{ward.base}/new", VALID)).status_code == 404
