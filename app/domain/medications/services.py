"""The medicine list: adding, changing and stopping a patient's medicines, audited.

Every read and write is audited in the same transaction. Nothing is deleted: a change
appends a version, a stop keeps the medicine. Doses are recorded in doses.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.db.models.base import new_id
from app.db.models.medications import Medication, MedicationVersion
from app.domain.medications.forms import MedicineValues
from app.domain.medications.scoped import ScopedService
from app.domain.patients.chosen import ChosenPatient


class MedicationService(ScopedService):
    """A patient's medicines as `me` may see and change them."""

    async def listing(self, patient: ChosenPatient) -> list[Medication]:
        """Every medicine of the patient, current and stopped; audited as one view."""
        medicines = await self.repository.for_patient(patient.id)
        await self._audit(
            "medication.list", "patient", patient.id, patient.id, count=len(medicines)
        )
        return medicines

    async def versions(self, medicine: Medication) -> list[MedicationVersion]:
        statement = (
            select(MedicationVersion)
            .where(
                MedicationVersion.tenant_id == self.me.tenant_id,
                MedicationVersion.medication_id == medicine.id,
            )
            .order_by(MedicationVersion.version.desc())
        )
        return list((await self.db.scalars(statement)).all())

    async def create(self, patient: ChosenPatient, values: MedicineValues) -> Medication:
        medicine = Medication(
            id=new_id(),
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            created_by=self.me.user_id,
            updated_by=self.me.user_id,
            version=1,
            **_columns(values),
        )
        self.db.add(medicine)
        await self.db.flush()
        await self._version(medicine, values)
        await self._audit(
            "medication.create", "medication", medicine.id, patient.id, name=values.name
        )
        return medicine

    async def update(
        self, patient: ChosenPatient, medicine: Medication, values: MedicineValues
    ) -> bool:
        """Save a new version; False when nothing changed (no version, no event)."""
        before = _snapshot(medicine)
        after = values.snapshot()
        changed = sorted(key for key in after if before.get(key) != after[key])
        if not changed:
            return False
        for key, value in _columns(values).items():
            setattr(medicine, key, value)
        medicine.version += 1
        medicine.updated_by = self.me.user_id
        medicine.updated_at = datetime.now(UTC)
        await self.db.flush()
        await self._version(medicine, values)
        await self._audit(
            "medication.update",
            "medication",
            medicine.id,
            patient.id,
            fields=changed,
            version=medicine.version,
        )
        return True

    async def stop(
        self, patient: ChosenPatient, medicine: Medication, reason: str, now: datetime
    ) -> None:
        medicine.stopped_at = now
        medicine.stopped_by = self.me.user_id
        medicine.stop_reason = reason.strip()
        await self.db.flush()
        await self._audit(
            "medication.stop", "medication", medicine.id, patient.id, reason=reason.strip()
        )

    async def _version(self, medicine: Medication, values: MedicineValues) -> None:
        self.db.add(
            MedicationVersion(
                tenant_id=self.me.tenant_id,
                medication_id=medicine.id,
                version=medicine.version,
                snapshot=values.snapshot(),
                changed_by=self.me.user_id,
            )
        )
        await self.db.flush()


def _columns(values: MedicineValues) -> dict[str, Any]:
    return {
        "name": values.name,
        "strength": values.strength,
        "form": values.form,
        "dose": values.dose,
        "route": values.route,
        "instructions": values.instructions,
        "starts_on": values.starts_on,
        "ends_on": values.ends_on,
        "prn": values.prn,
        "times": list(values.times),
        "days": values.days,
        "prn_reason": values.prn_reason,
        "min_interval_minutes": values.min_interval_minutes,
        "max_per_day": values.max_per_day,
        "controlled": values.controlled,
    }


def _snapshot(medicine: Medication) -> dict[str, Any]:
    return {
        "name": medicine.name,
        "strength": medicine.strength,
        "form": medicine.form,
        "dose": medicine.dose,
        "route": medicine.route,
        "instructions": medicine.instructions,
        "starts_on": medicine.starts_on.isoformat(),
        "ends_on": medicine.ends_on.isoformat() if medicine.ends_on else None,
        "prn": medicine.prn,
        "times": list(medicine.times),
        "days": medicine.days,
        "prn_reason": medicine.prn_reason,
        "min_interval_minutes": medicine.min_interval_minutes,
        "max_per_day": medicine.max_per_day,
        "controlled": medicine.controlled,
    }
