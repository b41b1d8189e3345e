"""The rules: each cause raises exactly one alert, in the cause's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import Role
from app.db.models.medications import MedicationAdministration
from app.db.models.vitals import VitalsObservation
from app.db.tenancy import bind_tenant
from app.domain.medications.doses import DoseService
from app.domain.medications.forms import DoseForm
from app.domain.vitals.forms import Measured
from app.domain.vitals.news2 import Consciousness
from app.domain.vitals.services import VitalsService
from tests.factories import sign_in
from tests.integration.alerts.conftest import Ward, alerts_of, post
from tests.integration.medications.conftest import add_medicine, yesterday_at
from tests.integration.vitals.conftest import NORMAL
from tests.integration.vitals.conftest import post as post_vitals

# RR 21 (2) + pulse 111 (2) + temperature 38.1 (1) = 5
MEDIUM = {**NORMAL, "respiration_rate": "21", "pulse": "111", "temperature": "38.1"}
# Responds to voice (3), everything else normal: a single parameter scoring 3
SINGLE = {**NORMAL, "consciousness": "V"}
# RR 25 (3) + SpO2 91 (3) + pulse 111 (2) = 8
HIGH = {**NORMAL, "respiration_rate": "25", "spo2": "91", "pulse": "111"}


async def _sets(db: AsyncSession, ward: Ward) -> list[VitalsObservation]:
    await bind_tenant(db, ward.tenant.id)
    rows = await db.scalars(
        select(VitalsObservation)
        .where(VitalsObservation.patient_id == ward.patient.id)
        .order_by(VitalsObservation.recorded_at, VitalsObservation.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def _record_vitals(client: httpx.AsyncClient, ward: Ward, fields: dict[str, str]) -> None:
    response = await post_vitals(client, f"/patients/{ward.patient.id}/vitals/new", fields)
    assert response.status_code == 303, response.text


# -- NEWS2 -------------------------------------------------------------------------------


async def test_a_news2_of_5_raises_one_urgent_alert_linked_to_the_set(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, MEDIUM)

    (vitals,) = await _sets(db_session, ward)
    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.severity, alert.state) == ("news2_medium", "urgent", "open")
    assert alert.params == {"score": 5, "band": "medium", "threes": []}
    assert alert.link == f"/patients/{ward.patient.id}/vitals/sets/{vitals.id}"
    assert alert.dedupe_key == f"news2:{vitals.id}"
    assert alert.escalate_at is not None and alert.escalated_at is None
    assert alert.raised_by is None


async def test_a_single_parameter_scoring_3_raises_one_urgent_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, SINGLE)

    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.severity) == ("news2_single", "urgent")
    assert alert.params == {"score": 3, "band": "low_medium", "threes": ["consciousness"]}
    page = await client.get(f"/alerts/{alert.id}")
    assert "NEWS2 of 3 — Consciousness (ACVPU) scored 3" in page.text


async def test_a_news2_of_7_or_more_raises_one_alert_escalated_at_once(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, HIGH)

    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.severity) == ("news2_high", "urgent")
    assert alert.params["score"] == 8
    assert sorted(alert.params["threes"]) == ["respiration_rate", "spo2"]
    assert alert.escalated_at is not None
    page = await client.get(f"/alerts/{alert.id}")
    assert "NEWS2 of 8 — high risk" in page.text


@pytest.mark.parametrize("fields", [NORMAL, {"pulse": "72"}], ids=["normal", "incomplete"])
async def test_a_reassuring_or_unscored_set_raises_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, fields: dict[str, str]
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, fields)
    assert await alerts_of(db_session, ward) == []


async def test_a_correction_that_still_scores_high_raises_no_second_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, HIGH)
    (original,) = await _sets(db_session, ward)
    url = f"/patients/{ward.patient.id}/vitals/sets/{original.id}/correct"
    corrected = {**HIGH, "pulse": "72", "reason": "Pulse misread"}  # 8 → 6: still urgent
    assert (await post_vitals(client, url, corrected)).status_code == 303
    (_first, second) = await _sets(db_session, ward)
    again = {**HIGH, "reason": "Pulse was right after all"}
    url = f"/patients/{ward.patient.id}/vitals/sets/{second.id}/correct"
    assert (await post_vitals(client, url, again)).status_code == 303

    (alert,) = await alerts_of(db_session, ward)
    assert alert.dedupe_key == f"news2-high:{original.id}"


async def test_a_correction_into_the_high_band_raises_the_alert_that_escalates(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, MEDIUM)
    (original,) = await _sets(db_session, ward)
    url = f"/patients/{ward.patient.id}/vitals/sets/{original.id}/correct"
    assert (await post_vitals(client, url, {**HIGH, "reason": "Misread"})).status_code == 303

    medium, high = await alerts_of(db_session, ward)
    assert (medium.kind, high.kind) == ("news2_medium", "news2_high")
    assert high.escalated_at is not None


async def test_a_correction_of_a_quiet_set_into_medium_raises_one_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await _record_vitals(client, ward, NORMAL)
    (original,) = await _sets(db_session, ward)
    url = f"/patients/{ward.patient.id}/vitals/sets/{original.id}/correct"
    assert (await post_vitals(client, url, {**MEDIUM, "reason": "Misread"})).status_code == 303

    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.dedupe_key) == ("news2_medium", f"news2:{original.id}")


async def test_a_news2_alert_rolls_back_with_its_set(
    db_session: AsyncSession, connection: AsyncConnection, ward: Ward
) -> None:
    vitals = VitalsService(db_session, ward.scope(ward.carer, Role.CARER))
    measured = Measured(
        taken_at=datetime.now(UTC),
        respiration_rate=25,
        spo2=91,
        on_oxygen=False,
        systolic=125,
        diastolic=80,
        pulse=111,
        consciousness=Consciousness.ALERT,
        temperature=Decimal("36.8"),
        weight=None,
        glucose=None,
    )
    cause = await connection.begin_nested()
    await vitals.record(None, ward.chosen, measured)  # type: ignore[arg-type]
    assert len(await alerts_of(db_session, ward)) == 1
    await cause.rollback()
    db_session.expunge_all()

    assert await alerts_of(db_session, ward) == []
    assert await _sets(db_session, ward) == []


# -- Doses -------------------------------------------------------------------------------


def _dose(medicine, at: datetime, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"medication_id": str(medicine.id), "scheduled_for": at.isoformat(), **fields}


@pytest.mark.parametrize("outcome", ["refused", "missed"])
async def test_a_dose_refused_or_missed_raises_one_warning(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, outcome: str
) -> None:
    medicine = await add_medicine(db_session, ward, name="Paracetamol")  # type: ignore[arg-type]
    await sign_in(client, db_session, ward.tenant, ward.carer)
    dose = _dose(medicine, yesterday_at(8), outcome=outcome, note="Asleep")
    assert (await post(client, f"{ward.base}/dose", dose)).status_code == 303

    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.severity) == ("dose_not_given", "warning")
    assert alert.params == {
        "medicine": "Paracetamol",
        "outcome": outcome,
        "scheduled": yesterday_at(8).isoformat(),
    }
    assert alert.dedupe_key == f"dose-not-given:{medicine.id}:{yesterday_at(8).isoformat()}"
    day = yesterday_at(8).date().isoformat()
    assert alert.link == f"{ward.base}/chart?day={day}"
    assert alert.escalate_at is None
    page = await client.get(f"/alerts/{alert.id}")
    assert f"Paracetamol 8:00\u202fAM {outcome}" in page.text or (
        f"Paracetamol 8:00 AM {outcome}" in page.text
    )


async def test_a_dose_given_raises_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)  # type: ignore[arg-type]
    await sign_in(client, db_session, ward.tenant, ward.carer)
    at = yesterday_at(8)
    given = _dose(medicine, at, outcome="given", given_time=at.strftime("%H:%M"))
    assert (await post(client, f"{ward.base}/dose", given)).status_code == 303
    assert await alerts_of(db_session, ward) == []


async def test_correcting_a_refused_dose_to_missed_raises_no_second_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)  # type: ignore[arg-type]
    await sign_in(client, db_session, ward.tenant, ward.carer)
    refused = _dose(medicine, yesterday_at(8), outcome="refused", note="Refused")
    assert (await post(client, f"{ward.base}/dose", refused)).status_code == 303
    await bind_tenant(db_session, ward.tenant.id)
    original = await db_session.scalar(select(MedicationAdministration))
    assert original is not None
    missed = _dose(
        medicine, yesterday_at(8), outcome="missed", note="Out", corrects=str(original.id)
    )
    assert (await post(client, f"{ward.base}/dose", missed)).status_code == 303

    assert len(await alerts_of(db_session, ward)) == 1


async def test_a_dose_refused_but_not_recorded_leaves_no_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)  # type: ignore[arg-type]
    await sign_in(client, db_session, ward.tenant, ward.carer)
    # No note: the record is refused (422), so nothing is written and nothing raised.
    dose = _dose(medicine, yesterday_at(8), outcome="refused")
    assert (await post(client, f"{ward.base}/dose", dose)).status_code == 422
    assert await alerts_of(db_session, ward) == []


async def test_a_dose_alert_rolls_back_with_its_record(
    db_session: AsyncSession, connection: AsyncConnection, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)  # type: ignore[arg-type]
    service = DoseService(db_session, ward.scope(ward.carer, Role.CARER), None)
    form = DoseForm(
        medication_id=str(medicine.id),
        scheduled_for=yesterday_at(8).isoformat(),
        outcome="missed",
        note="Out at the day centre",
    )
    cause = await connection.begin_nested()
    await service.record_dose(ward.chosen, medicine, form, datetime.now(UTC))
    assert len(await alerts_of(db_session, ward)) == 1
    await cause.rollback()
    db_session.expunge_all()

    assert await alerts_of(db_session, ward) == []
