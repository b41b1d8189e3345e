"""Recording doses: outcomes, notes, late marking, double submits, PRN rules, witnesses,
corrections and effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.medications import MedicationAdministration
from app.db.tenancy import bind_tenant
from tests.factories import PASSWORD, make_person, sign_in, totp_now

from .conftest import ZONE, Ward, add_medicine, audit_count, post, yesterday_at


async def _records(db: AsyncSession, ward: Ward) -> list[MedicationAdministration]:
    await bind_tenant(db, ward.tenant.id)
    statement = (
        select(MedicationAdministration)
        .where(MedicationAdministration.patient_id == ward.patient.id)
        .order_by(MedicationAdministration.recorded_at, MedicationAdministration.id)
        .execution_options(populate_existing=True)
    )
    return list((await db.scalars(statement)).all())


def _dose(medicine, at: datetime, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A dose's form. A dose given is given at its time unless `given_time` says otherwise
    (a dose past its window asks when it was given)."""
    if fields.get("outcome") == "given":
        fields.setdefault("given_time", at.astimezone(ZoneInfo(ZONE)).strftime("%H:%M"))
    return {"medication_id": str(medicine.id), "scheduled_for": at.isoformat(), **fields}


async def test_a_dose_given_in_its_window_is_on_time(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client,
        f"{ward.base}/dose",
        _dose(medicine, yesterday_at(8), outcome="given", given_time="08:40"),
    )
    assert response.status_code == 303
    [row] = await _records(db_session, ward)
    assert (row.outcome, row.late, row.recorded_by) == ("given", False, ward.carer.id)
    assert row.scheduled_for == yesterday_at(8)
    assert await audit_count(db_session, ward.tenant, "dose.record") == 1


async def test_a_dose_given_outside_its_window_is_late(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(
        client,
        f"{ward.base}/dose",
        _dose(medicine, yesterday_at(8), outcome="given", given_time="09:30", note="Asleep"),
    )
    [row] = await _records(db_session, ward)
    assert row.late is True
    chart = await client.get(
        f"{ward.base}/chart?day={(yesterday_at(8)).date().isoformat()}&view=week"
    )
    assert "Late" in chart.text
    assert await audit_count(db_session, ward.tenant, "mar.view") == 1


async def test_htmx_record_answers_with_the_row_and_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(20), outcome="given"), htmx=True
    )
    assert response.status_code == 200
    assert f'id="dose-{medicine.id}-{int(yesterday_at(20).timestamp())}"' in response.text
    assert "Dose recorded" in response.headers["HX-Trigger"]


@pytest.mark.parametrize("outcome", ["refused", "missed", "held", "already_taken", "not_available"])
async def test_a_dose_not_given_needs_a_note(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, outcome: str
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    refused = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome=outcome)
    )
    assert refused.status_code == 422
    assert "Add a note" in refused.text
    assert await _records(db_session, ward) == []
    done = await post(
        client,
        f"{ward.base}/dose",
        _dose(medicine, yesterday_at(8), outcome=outcome, note="Asleep"),
    )
    assert done.status_code == 303


async def test_the_same_dose_cannot_be_recorded_twice(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    first = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome="given")
    )
    second = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome="given")
    )
    assert first.status_code == 303
    assert second.status_code == 409
    assert "already been recorded" in second.text
    assert len(await _records(db_session, ward)) == 1


async def test_a_time_that_is_not_a_dose_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(9), outcome="given")
    )
    assert response.status_code == 422
    assert await _records(db_session, ward) == []


async def test_a_stopped_medicine_has_no_later_doses_to_record(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, stopped_at=yesterday_at(12), stop_reason="GP")
    await sign_in(client, db_session, ward.tenant, ward.carer)
    assert (
        await post(client, f"{ward.base}/dose", _dose(medicine, yesterday_at(20), outcome="given"))
    ).status_code == 422
    assert (
        await post(client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome="given"))
    ).status_code == 303


async def test_a_correction_keeps_the_original(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome="given"))
    [original] = await _records(db_session, ward)
    no_note = await post(
        client,
        f"{ward.base}/dose",
        _dose(medicine, yesterday_at(8), outcome="refused", corrects=str(original.id)),
    )
    assert no_note.status_code == 422
    fixed = await post(
        client,
        f"{ward.base}/dose",
        _dose(
            medicine,
            yesterday_at(8),
            outcome="refused",
            note="Wrong button",
            corrects=str(original.id),
        ),
    )
    assert fixed.status_code == 303
    first, correction = await _records(db_session, ward)
    assert (first.id, first.outcome) == (original.id, "given")
    assert (correction.corrects_id, correction.outcome) == (original.id, "refused")
    assert await audit_count(db_session, ward.tenant, "dose.correct") == 1


def _prn(**values):  # type: ignore[no-untyped-def]
    return {
        "prn": True,
        "times": [],
        "name": "Ibuprofen",
        "prn_reason": "Pain",
        "min_interval_minutes": 240,
        "max_per_day": 2,
        **values,
    }


async def test_prn_dose_inside_its_interval_is_refused_unless_overridden(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn())
    await sign_in(client, db_session, ward.tenant, ward.carer)
    data = {"medication_id": str(medicine.id), "outcome": "given", "prn_reason": "Headache"}
    assert (await post(client, f"{ward.base}/dose", data)).status_code == 303
    again = await post(client, f"{ward.base}/dose", data)
    assert again.status_code == 422
    assert "the next may be given from" in again.text
    overridden = await post(
        client, f"{ward.base}/dose", {**data, "override_reason": "GP advised by phone"}
    )
    assert overridden.status_code == 303
    rows = await _records(db_session, ward)
    assert [r.override_reason for r in rows] == ["", "GP advised by phone"]


async def test_prn_dose_past_the_24_hour_maximum_is_refused_unless_overridden(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn(min_interval_minutes=1))
    now = datetime.now(UTC)
    await bind_tenant(db_session, ward.tenant.id)
    for hours in (10, 5):
        moment = now - timedelta(hours=hours)
        db_session.add(
            MedicationAdministration(
                tenant_id=ward.tenant.id,
                patient_id=ward.patient.id,
                medication_id=medicine.id,
                dose_at=moment,
                given_at=moment,
                outcome="given",
                recorded_by=ward.carer.id,
                recorded_at=moment,
            )
        )
    await db_session.flush()
    await sign_in(client, db_session, ward.tenant, ward.carer)
    data = {"medication_id": str(medicine.id), "outcome": "given", "prn_reason": "Pain"}
    refused = await post(client, f"{ward.base}/dose", data)
    assert refused.status_code == 422
    assert "Too soon for another dose" in refused.text
    assert (
        await post(
            client, f"{ward.base}/dose", {**data, "override_reason": "Severe pain, nurse agreed"}
        )
    ).status_code == 303


async def test_a_prn_dose_asks_how_well_it_worked(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn())
    moment = datetime.now(UTC) - timedelta(hours=1)
    await bind_tenant(db_session, ward.tenant.id)
    row = MedicationAdministration(
        tenant_id=ward.tenant.id,
        patient_id=ward.patient.id,
        medication_id=medicine.id,
        dose_at=moment,
        given_at=moment,
        outcome="given",
        recorded_by=ward.carer.id,
        recorded_at=moment,
    )
    db_session.add(row)
    await db_session.flush()
    await sign_in(client, db_session, ward.tenant, ward.carer)
    url = f"{ward.base}/effect?record_id={row.id}"
    assert (await post(client, url, {"effect": "did_not_help"})).status_code == 422
    assert (await post(client, url, {"effect": "helped", "note": "Settled"})).status_code == 303
    [stored] = await _records(db_session, ward)
    assert (stored.effect, stored.effect_note, stored.effect_by) == (
        "helped",
        "Settled",
        ward.carer.id,
    )
    assert await audit_count(db_session, ward.tenant, "dose.effect") == 1


# -- controlled medicines: the witness ------------------------------------------------


async def _controlled(db: AsyncSession, ward: Ward, client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    medicine = await add_medicine(db, ward, controlled=True, name="Morphine")
    await sign_in(client, db, ward.tenant, ward.carer)
    return medicine


async def test_controlled_dose_without_a_witness_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await _controlled(db_session, ward, client)
    response = await post(
        client, f"{ward.base}/dose", _dose(medicine, yesterday_at(8), outcome="given")
    )
    assert response.status_code == 422
    assert "A second person must witness this dose." in response.text
    assert await _records(db_session, ward) == []


async def test_controlled_dose_with_a_wrong_witness_password_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await _controlled(db_session, ward, client)
    response = await post(
        client,
        f"{ward.base}/dose",
        _dose(
            medicine,
            yesterday_at(8),
            outcome="given",
            witness_email=ward.second_carer.email,
            witness_password="wrong",
        ),
    )
    assert response.status_code == 422
    assert "email or password is wrong" in response.text
    assert "wrong" not in response.text.split("witness_password")[1][:200]
    assert await _records(db_session, ward) == []


async def test_the_giver_cannot_witness_their_own_dose(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await _controlled(db_session, ward, client)
    response = await post(
        client,
        f"{ward.base}/dose",
        _dose(
            medicine,
            yesterday_at(8),
            outcome="given",
            witness_email=ward.carer.email,
            witness_password=PASSWORD,
        ),
    )
    assert response.status_code == 422
    assert "The witness must be someone else." in response.text


async def test_an_observer_cannot_witness(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await _controlled(db_session, ward, client)
    response = await post(
        client,
        f"{ward.base}/dose",
        _dose(
            medicine,
            yesterday_at(8),
            outcome="given",
            witness_email=ward.observer.email,
            witness_password=PASSWORD,
        ),
    )
    assert response.status_code == 422
    assert "must be a carer or administrator" in response.text


async def test_a_right_witness_is_recorded(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await _controlled(db_session, ward, client)
    response = await post(
        client,
        f"{ward.base}/dose",
        _dose(
            medicine,
            yesterday_at(8),
            outcome="given",
            witness_email=ward.second_carer.email,
            witness_password=PASSWORD,
        ),
    )
    assert response.status_code == 303
    [row] = await _records(db_session, ward)
    assert row.witness_id == ward.second_carer.id


async def test_a_witness_with_two_step_sign_in_gives_their_code(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    witness = await make_person(db_session, ward.tenant, Role.ADMIN, name="Wendy Witness")
    medicine = await _controlled(db_session, ward, client)
    data = _dose(
        medicine,
        yesterday_at(8),
        outcome="given",
        witness_email=witness.email,
        witness_password=PASSWORD,
    )
    missing = await post(client, f"{ward.base}/dose", data)
    assert missing.status_code == 422
    assert "six-digit code" in missing.text
    done = await post(
        client, f"{ward.base}/dose", {**data, "witness_code": totp_now(witness.totp_secret)}
    )  # type: ignore[attr-defined]
    assert done.status_code == 303
    [row] = await _records(db_session, ward)
    assert row.witness_id == witness.id
