"""Today: a patient's day (what is due, the latest vitals, the notes and handover), and a
carer's patients with what is due for each. Both are audited as one view each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import record
from app.domain.billing.plans import includes
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.chosen import NAME_COLUMNS, ChosenPatient, chosen_patient
from app.domain.patients.codec import open_identity
from app.domain.patients.repository import PatientRepository
from app.domain.today.sections import SECTIONS, Due, due_for
from app.domain.today.visits import stamp_visit

MINE_SHOWN = 50


@dataclass(frozen=True)
class PatientDay:
    patient: ChosenPatient
    since: datetime | None
    now: datetime
    cards: list[dict[str, Any]]


@dataclass(frozen=True)
class MyPatients:
    patients: list[ChosenPatient]
    due: Due
    more: bool


class TodayService:
    def __init__(
        self, db: AsyncSession, me: AccessScope, keyring: Keyring, connection: ASGIConnection
    ) -> None:
        self.db = db
        self.me = me
        self.keyring = keyring
        self.connection = connection

    async def patient_day(self, patient_id: str) -> PatientDay:
        """The patient's day as `me` should see it now; 404 for a patient they may not see."""
        patient = await chosen_patient(self.db, self.keyring, self.me, patient_id)
        now = datetime.now(UTC)
        since = await stamp_visit(self.db, self.me, patient.id, now)
        cards = []
        for section in SECTIONS:
            if includes(self.me.plan, section.module):
                built = await section.build(self.db, self.me, patient, since, now)
                cards.append({"template": section.template, "section": built})
        await record(
            self.db, self.me, self.connection, "today.view", "patient", patient.id, patient.id
        )
        return PatientDay(patient, since, now, cards)

    async def my_patients(self) -> MyPatients:
        """The patients `me` cares for (an admin: the newest of the care account), with
        what is due for each."""
        repository = PatientRepository(session=self.db, me=self.me)
        found = list(await repository.page(limit=MINE_SHOWN + 1))
        shown = found[:MINE_SHOWN]
        patients = [
            ChosenPatient(
                p.id,
                (await open_identity(self.db, self.keyring, p, NAME_COLUMNS)).display_name,
                p.archived_at is not None,
            )
            for p in shown
        ]
        ids = [p.id for p in patients]
        now = datetime.now(UTC)
        due = await due_for(self.db, self.me, ids, now, partial(includes, self.me.plan))
        await record(
            self.db,
            self.me,
            self.connection,
            "patient.list",
            "patient",
            detail={"patient_ids": [str(i) for i in ids], "view": "today"},
        )
        return MyPatients(patients, due, more=len(found) > MINE_SHOWN)
