"""Medicines and dose records as `me` may see them: tenant-filtered, visible patients only.

Row-level security stands behind this; the scoping here is what keeps one carer from
another carer's patients inside the same care account. advanced-alchemy's entity cache
stays off: it is keyed by id and would ignore the scoped statement.
"""

from __future__ import annotations

import uuid
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, select

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import visible_patient_ids


def administrations(me: AccessScope) -> Select[tuple[MedicationAdministration]]:
    """Dose records of patients `me` may see."""
    return select(MedicationAdministration).where(
        MedicationAdministration.tenant_id == me.tenant_id,
        MedicationAdministration.patient_id.in_(visible_patient_ids(me)),
    )


class MedicationRepository(SQLAlchemyAsyncRepository[Medication]):
    """Medicines of patients `me` may see. There is no constructor without a scope."""

    model_type = Medication

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)
        statement = select(Medication).where(
            Medication.tenant_id == me.tenant_id,
            Medication.patient_id.in_(visible_patient_ids(me)),
        )
        super().__init__(statement=statement, **kwargs)
        self.me = me

    def of_patient(self, patient_id: uuid.UUID) -> Select[tuple[Medication]]:
        return self.statement.where(Medication.patient_id == patient_id)

    async def for_patient(self, patient_id: uuid.UUID) -> list[Medication]:
        statement = self.of_patient(patient_id).order_by(Medication.name, Medication.id)
        return list((await self.session.scalars(statement)).all())

    async def find(
        self, patient_id: uuid.UUID, medication_id: uuid.UUID, *, lock: bool = False
    ) -> Medication | None:
        statement = self.of_patient(patient_id).where(Medication.id == medication_id)
        if lock:
            # Doses of one medicine take turns: the PRN interval and maximum are checked
            # against what is committed, not against a racing request.
            statement = statement.with_for_update(of=Medication)
        return await self.session.scalar(statement)
