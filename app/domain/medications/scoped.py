"""What the medicine services share: the scoped repository, finding a medicine, auditing."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import Medication
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.medications.repository import MedicationRepository
from app.domain.patients.chosen import ChosenPatient


class ScopedService:
    """A patient's medicines as `me` may see them; every read and write audited."""

    def __init__(self, db: AsyncSession, me: AccessScope, connection: ASGIConnection | None):
        self.db = db
        self.me = me
        self.connection = connection

    @cached_property
    def repository(self) -> MedicationRepository:
        # Built when first used: its scoped statement costs a few hundred µs to build,
        # and recording a dose does not need it.
        return MedicationRepository(session=self.db, me=self.me)

    async def _audit(
        self, action: str, object_type: str, object_id: Any, patient_id: uuid.UUID, **detail: Any
    ) -> None:
        await record(
            self.db,
            self.me,
            self.connection,
            action,
            object_type,
            object_id=object_id,
            patient_id=patient_id,
            detail=detail,
        )

    async def find(
        self, patient: ChosenPatient, medication_id: uuid.UUID, *, lock: bool = False
    ) -> Medication | None:
        return await self.repository.find(patient.id, medication_id, lock=lock)
