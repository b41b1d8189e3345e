"""The medicines card's one query: a patient's live medicines, each with its dose records
of a span of time (corrections included).

Built once per kind of person (`app.domain.today.bound`) with the same scope as
`administrations(me)` and the medicines' own: the tenant filter and the patients `me` may
see. Records are joined on the medicine's tenant, patient and id, so they are under that
scope too. A medicine's corrections carry its id, so every record a live medicine's
doses need is here. An index range scan on the patient's medicines and, for each, on
(tenant_id, medication_id, dose_at) over the span: the cost does not grow with history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.identity.access import AccessScope
from app.domain.medications.rules import DAY
from app.domain.patients.repository import visible_patient_ids
from app.domain.today.bound import per_kind, scope_params


@dataclass(frozen=True, slots=True)
class LiveMedicine:
    """What the card reads of a medicine: its regimen, name and PRN limits."""

    id: uuid.UUID
    name: str
    dose: str
    prn: bool
    prn_reason: str
    controlled: bool
    times: list[str]
    days: int
    starts_on: date
    ends_on: date | None
    stopped_at: datetime | None
    min_interval_minutes: int | None
    max_per_day: int | None


@dataclass(frozen=True, slots=True)
class DoseRecord:
    """What the card reads of a dose record."""

    id: uuid.UUID
    medication_id: uuid.UUID
    scheduled_for: datetime | None
    given_at: datetime | None
    outcome: str
    effect: str | None
    corrects_id: uuid.UUID | None
    recorded_at: datetime


_MEDICINE = [
    Medication.id,
    Medication.name,
    Medication.dose,
    Medication.prn,
    Medication.prn_reason,
    Medication.controlled,
    Medication.times,
    Medication.days,
    Medication.starts_on,
    Medication.ends_on,
    Medication.stopped_at,
    Medication.min_interval_minutes,
    Medication.max_per_day,
]
_RECORD = [
    MedicationAdministration.id,
    MedicationAdministration.medication_id,
    MedicationAdministration.scheduled_for,
    MedicationAdministration.given_at,
    MedicationAdministration.outcome,
    MedicationAdministration.effect,
    MedicationAdministration.corrects_id,
    MedicationAdministration.recorded_at,
]


def _live_with_records(me: AccessScope) -> Select[Any]:
    return (
        select(*_MEDICINE, *(c.label(f"r_{c.key}") for c in _RECORD))
        .outerjoin(
            MedicationAdministration,
            and_(
                MedicationAdministration.tenant_id == Medication.tenant_id,
                MedicationAdministration.patient_id == Medication.patient_id,
                MedicationAdministration.medication_id == Medication.id,
                MedicationAdministration.dose_at >= bindparam("start"),
                MedicationAdministration.dose_at < bindparam("end"),
            ),
        )
        .where(
            Medication.tenant_id == me.tenant_id,
            Medication.patient_id == bindparam("patient_id"),
            Medication.patient_id.in_(visible_patient_ids(me)),
            Medication.starts_on <= bindparam("today"),
            (Medication.ends_on.is_(None)) | (Medication.ends_on >= bindparam("ended_after")),
            (Medication.stopped_at.is_(None))
            | (Medication.stopped_at > bindparam("stopped_after")),
        )
        .order_by(Medication.id)
    )


_STATEMENT = per_kind(_live_with_records)


async def live_with_records(
    db: AsyncSession,
    me: AccessScope,
    patient_id: uuid.UUID,
    now: datetime,
    start: datetime,
    end: datetime,
) -> tuple[list[LiveMedicine], list[DoseRecord]]:
    """The patient's medicines live on `now`'s local day (as `today._live_medicines`), and
    their dose records with `dose_at` in [start, end). One round trip."""
    today = now.astimezone(me.zone).date()
    params = scope_params(
        me,
        patient_id=patient_id,
        today=today,
        ended_after=today - timedelta(days=1),
        stopped_after=now - DAY,
        start=start,
        end=end,
    )
    medicines: dict[uuid.UUID, LiveMedicine] = {}
    records: list[DoseRecord] = []
    for row in await db.execute(_STATEMENT[me.is_admin], params):
        if row.id not in medicines:
            medicines[row.id] = LiveMedicine(*row[: len(_MEDICINE)])
        if row.r_id is not None:
            records.append(DoseRecord(*row[len(_MEDICINE) :]))
    return list(medicines.values()), records
