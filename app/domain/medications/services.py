"""The medicine list and the eMAR: adding, changing and stopping medicines, recording doses.

Every read and write is audited in the same transaction. Nothing is deleted: a change
appends a version, a stop keeps the medicine, a correction is a row beside the original.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.models.base import new_id
from app.db.models.medications import Medication, MedicationAdministration, MedicationVersion
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.medications.forms import DoseForm, EffectForm, MedicineValues
from app.domain.medications.repository import MedicationRepository, administrations
from app.domain.medications.rules import DAY, is_late, prn_next_allowed
from app.domain.medications.schedule import Regimen, is_scheduled, parse_times
from app.domain.medications.witness import check_witness
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.dates import show_moment
from app.lib.forms import FieldErrors
from app.lib.i18n import _

HALF_DAY = timedelta(hours=12)
EARLY_LIMIT_FACTOR = 1  # a scheduled dose may be recorded from one window before its time


class DoseRefused(Exception):
    """The dose was not recorded: errors beside the fields, and the status to answer."""

    def __init__(self, errors: FieldErrors, status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def regimen_of(medicine: Medication) -> Regimen:
    return Regimen(
        times=parse_times(medicine.times),
        starts_on=medicine.starts_on,
        ends_on=medicine.ends_on,
        stopped_at=medicine.stopped_at,
        days=medicine.days,
        prn=medicine.prn,
    )


def current_records(rows: list[MedicationAdministration]) -> dict[uuid.UUID, Any]:
    """The outcome of each dose: its newest row, keyed by the original record's id."""
    newest: dict[uuid.UUID, MedicationAdministration] = {}
    for row in sorted(
        rows, key=lambda r: (r.recorded_at or datetime.min.replace(tzinfo=UTC), r.id)
    ):
        newest[row.corrects_id or row.id] = row
    return newest


@dataclass
class Recorded:
    """What recording a dose did, for the response."""

    row: MedicationAdministration
    medicine: Medication
    corrected: bool = False


@dataclass
class ChartData:
    medicines: list[Medication]
    records: dict[uuid.UUID, MedicationAdministration]
    people: dict[uuid.UUID, str] = field(default_factory=dict)


class MedicationService:
    """A patient's medicines and doses as `me` may see and change them."""

    def __init__(self, db: AsyncSession, me: AccessScope, connection: ASGIConnection | None):
        self.db = db
        self.me = me
        self.connection = connection
        self.repository = MedicationRepository(session=db, me=me)

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

    # -- the medicine list ------------------------------------------------------------

    async def listing(self, patient: ChosenPatient) -> list[Medication]:
        """Every medicine of the patient, current and stopped; audited as one view."""
        medicines = await self.repository.for_patient(patient.id)
        await self._audit(
            "medication.list", "patient", patient.id, patient.id, count=len(medicines)
        )
        return medicines

    async def find(
        self, patient: ChosenPatient, medication_id: uuid.UUID, *, lock: bool = False
    ) -> Medication | None:
        return await self.repository.find(patient.id, medication_id, lock=lock)

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

    # -- doses ------------------------------------------------------------------------

    async def record_dose(
        self, patient: ChosenPatient, medicine: Medication, form: DoseForm, now: datetime
    ) -> Recorded:
        """Record one dose's outcome (or correct one). Raises `DoseRefused` with the
        errors to show when a rule refuses it."""
        stopped = medicine.stopped_at is not None and medicine.stopped_at <= now
        if stopped and medicine.prn and not form.corrects.strip():
            raise DoseRefused({"form": _("This medicine was stopped: no more doses can be given.")})
        errors = form.errors(prn=medicine.prn)
        correcting = form.correction_of()
        if correcting and not form.note.strip():
            errors.setdefault("note", _("Add a note: say why the record is corrected."))
        if errors:
            raise DoseRefused(errors)
        original = await self._original(medicine, correcting) if correcting else None
        if correcting and original is None:
            raise DoseRefused(
                {"form": _("This dose could not be found. Open it again from the chart.")}
            )
        scheduled = (
            original.scheduled_for
            if original
            else (None if medicine.prn else form.scheduled_moment())
        )
        if not correcting and scheduled is not None:
            self._check_scheduled(medicine, scheduled, now)
        given_at = self._given_at(form, scheduled, now, original)
        witness_id = None
        if medicine.controlled and form.outcome == "given":
            assert self.connection is not None
            check = await check_witness(
                self.db,
                self.me,
                self.connection,
                form.witness_email,
                form.witness_password,
                form.witness_code,
            )
            if check.errors:
                raise DoseRefused(check.errors)
            witness_id = check.witness_id
        # Locked from here to commit: PRN checks see every dose committed before.
        await self.repository.find(patient.id, medicine.id, lock=True)
        if medicine.prn and form.outcome == "given" and not correcting:
            await self._check_prn(medicine, given_at, form.override_reason.strip())
        if (
            not correcting
            and scheduled is not None
            and await self._original_for(medicine, scheduled)
        ):
            raise DoseRefused({"form": _("This dose has already been recorded.")}, status=409)
        row = MedicationAdministration(
            id=new_id(),
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            medication_id=medicine.id,
            scheduled_for=scheduled,
            dose_at=original.dose_at if original else (scheduled or given_at),
            given_at=given_at if form.outcome == "given" else None,
            outcome=form.outcome,
            note=form.note.strip(),
            late=bool(
                scheduled
                and form.outcome == "given"
                and is_late(scheduled, given_at, self.me.dose_window_minutes)
            ),
            prn_reason=form.prn_reason.strip() if medicine.prn else "",
            override_reason=form.override_reason.strip(),
            witness_id=witness_id,
            corrects_id=original.id if original else None,
            recorded_by=self.me.user_id,
            recorded_at=datetime.now(UTC),
        )
        try:
            async with self.db.begin_nested():
                self.db.add(row)
                await self.db.flush()
        except IntegrityError as exc:
            if "uq_medication_administrations_dose" not in str(exc.orig):
                raise
            raise DoseRefused(
                {"form": _("This dose has already been recorded.")}, status=409
            ) from exc
        action = "dose.correct" if original else "dose.record"
        detail: dict[str, Any] = {
            "medication_id": str(medicine.id),
            "outcome": row.outcome,
            "late": row.late,
        }
        if scheduled:
            detail["scheduled_for"] = scheduled.isoformat()
        if witness_id:
            detail["witness_id"] = str(witness_id)
        if row.override_reason:
            detail["override"] = True
        if original:
            detail["corrects"] = str(original.id)
        await self._audit(action, "dose", row.id, patient.id, **detail)
        return Recorded(row, medicine, corrected=original is not None)

    def _check_scheduled(self, medicine: Medication, scheduled: datetime, now: datetime) -> None:
        if not is_scheduled(regimen_of(medicine), scheduled, self.me.zone):
            raise DoseRefused(
                {"form": _("This dose could not be found. Open it again from the chart.")}
            )
        if scheduled - timedelta(minutes=self.me.dose_window_minutes * EARLY_LIMIT_FACTOR) > now:
            raise DoseRefused({"form": _("This dose is not due yet.")})

    def _given_at(
        self,
        form: DoseForm,
        scheduled: datetime | None,
        now: datetime,
        original: MedicationAdministration | None,
    ) -> datetime:
        """When the dose was given: the time typed (on the dose's own day), else now."""
        clock = form.given_clock()
        if clock is None:
            return original.given_at if original and original.given_at else now
        anchor = (scheduled or now).astimezone(self.me.zone)
        moment = datetime.combine(anchor.date(), clock, tzinfo=self.me.zone).astimezone(UTC)
        if moment - anchor > HALF_DAY:
            moment -= DAY
        elif anchor - moment > HALF_DAY:
            moment += DAY
        if moment > now + timedelta(minutes=5):
            raise DoseRefused({"given_time": _("The time given cannot be in the future.")})
        return moment

    async def _check_prn(self, medicine: Medication, given_at: datetime, override: str) -> None:
        statement = administrations(self.me).where(
            MedicationAdministration.medication_id == medicine.id,
            MedicationAdministration.dose_at > given_at - DAY - DAY,
            MedicationAdministration.dose_at <= given_at + DAY,
        )
        rows = list((await self.db.scalars(statement)).all())
        given = [
            r.given_at
            for r in current_records(rows).values()
            if r.outcome == "given" and r.given_at
        ]
        next_allowed = prn_next_allowed(
            given, given_at, medicine.min_interval_minutes, medicine.max_per_day
        )
        if next_allowed is not None and not override:
            raise DoseRefused(
                {
                    "override_reason": _(
                        "Too soon for another dose: the next may be given from %(when)s. "
                        "To give it now, say why.",
                        when=show_moment(next_allowed, self.me.zone),
                    )
                }
            )

    async def _original(
        self, medicine: Medication, record_id: uuid.UUID
    ) -> MedicationAdministration | None:
        row = await self.db.scalar(
            administrations(self.me).where(
                MedicationAdministration.medication_id == medicine.id,
                MedicationAdministration.id == record_id,
            )
        )
        if row is not None and row.corrects_id is not None:
            return await self._original(medicine, row.corrects_id)
        return row

    async def _original_for(
        self, medicine: Medication, scheduled: datetime
    ) -> MedicationAdministration | None:
        return await self.db.scalar(
            administrations(self.me).where(
                MedicationAdministration.medication_id == medicine.id,
                MedicationAdministration.scheduled_for == scheduled,
                MedicationAdministration.corrects_id.is_(None),
            )
        )

    async def dose_record(
        self, patient: ChosenPatient, record_id: uuid.UUID
    ) -> tuple[MedicationAdministration, Medication] | None:
        """A dose record and its medicine, both visible; None otherwise."""
        row = await self.db.scalar(
            administrations(self.me).where(
                MedicationAdministration.patient_id == patient.id,
                MedicationAdministration.id == record_id,
            )
        )
        if row is None:
            return None
        medicine = await self.find(patient, row.medication_id)
        return (row, medicine) if medicine else None

    async def record_effect(
        self, patient: ChosenPatient, row: MedicationAdministration, form: EffectForm
    ) -> bool:
        """Answer how well a PRN dose worked, once; False when it was answered already."""
        result = await self.db.execute(
            update(MedicationAdministration)
            .where(
                MedicationAdministration.tenant_id == self.me.tenant_id,
                MedicationAdministration.id == row.id,
                MedicationAdministration.effect.is_(None),
            )
            .values(
                effect=form.effect,
                effect_note=form.note.strip(),
                effect_by=self.me.user_id,
                effect_at=datetime.now(UTC),
            )
            .returning(MedicationAdministration.id)
        )
        if result.first() is None:
            return False
        await self._audit("dose.effect", "dose", row.id, patient.id, effect=form.effect)
        return True

    # -- the chart --------------------------------------------------------------------

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


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
