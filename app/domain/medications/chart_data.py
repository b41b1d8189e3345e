"""The MAR chart's data: a period's medicines and dose records, read as one audited view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.models.medications import Medication, MedicationAdministration
from app.domain.medications.records import current_records
from app.domain.medications.repository import administrations
from app.domain.medications.scoped import ScopedService
from app.domain.patients.chosen import ChosenPatient


@dataclass
class ChartData:
    medicines: list[Medication]
    records: dict[uuid.UUID, MedicationAdministration]
    people: dict[uuid.UUID, str] = field(default_factory=dict)


class ChartService(ScopedService):
    """A patient's MAR chart as `me` may see it."""

    async def chart(
        self, patient: ChosenPatient, start: datetime, end: datetime, *, audit: bool = True
    ) -> ChartData:
        """Medicines and dose records of [start, end); audited as one view of the chart."""
        medicines = await self.repository.for_patient(patient.id)
        statement = administrations(self.me).where(
            MedicationAdministration.patient_id == patient.id,
            MedicationAdministration.dose_at >= start,
            MedicationAdministration.dose_at < end,
        )
        rows = list((await self.db.scalars(statement)).all())
        records = current_records(rows)
        people = await display_names(
            self.db, {r.recorded_by for r in rows} | {r.witness_id for r in rows if r.witness_id}
        )
        if audit:
            await self._audit(
                "mar.view",
                "patient",
                patient.id,
                patient.id,
                start=start.isoformat(),
                end=end.isoformat(),
            )
        return ChartData(medicines, records, people)


async def display_names(db: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
