"""Recording doses: a dose's outcome or its correction, and how well a PRN dose worked.

Every write is audited in the same transaction. Nothing is deleted: a correction is a row
beside the original.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.db.models.base import new_id
from app.db.models.medications import Medication, MedicationAdministration
from app.domain.alerts.rules import raise_for_dose
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.medications.forms import DoseForm, EffectForm
from app.domain.medications.records import current_records, regimen_of
from app.domain.medications.repository import administrations
from app.domain.medications.rules import DAY, is_late, prn_wait
from app.domain.medications.schedule import is_scheduled
from app.domain.medications.scoped import ScopedService
from app.domain.medications.witness import check_witness
from app.domain.patients.chosen import NAME_COLUMNS, ChosenPatient
from app.domain.patients.codec import open_identity
from app.domain.patients.dates import show_moment
from app.domain.patients.repository import visible_to
from app.domain.today.bound import per_kind, scope_params
from app.lib.forms import FieldErrors
from app.lib.i18n import _

HALF_DAY = timedelta(hours=12)
EARLY_LIMIT_FACTOR = 1  # a scheduled dose may be recorded from one window before its time


def _patient_and_medicine(me: AccessScope) -> Select[Any]:
    """The patient if visible to `me` (what a name and the archive flag need) with one of
    their medicines, the medicine's row locked: doses of one medicine take turns from here
    to COMMIT, so the PRN interval and maximum are checked against what is committed."""
    visible = visible_to(me)
    return (
        select(
            Medication,
            Patient.given_name,
            Patient.family_name,
            Patient.preferred_name,
            Patient.archived_at,
        )
        .select_from(Patient)
        .join(
            Medication,
            (Medication.tenant_id == Patient.tenant_id) & (Medication.patient_id == Patient.id),
        )
        .where(
            visible.whereclause,  # type: ignore[arg-type]
            Patient.id == bindparam("patient_id"),
            Medication.id == bindparam("medication_id"),
        )
        .with_for_update(of=Medication)
    )


# Built once per kind of person (aliases and the grant check cost more than the trip).
_PATIENT_AND_MEDICINE = per_kind(_patient_and_medicine)

# One outcome per scheduled dose: a dose recorded already inserts nothing (no savepoint,
# no separate check; the unique index decides, under the medicine's row lock).
_INSERT_DOSE = (
    insert(MedicationAdministration)
    .on_conflict_do_nothing(
        index_elements=["tenant_id", "medication_id", "scheduled_for"],
        index_where=text("corrects_id IS NULL AND scheduled_for IS NOT NULL"),
    )
    .returning(MedicationAdministration.id)
)


def clock_now(now: datetime, zone: ZoneInfo) -> str:
    """Now on the care account's clock, as a time input shows it."""
    return now.astimezone(zone).strftime("%H:%M")


async def patient_and_locked_medicine(
    db: AsyncSession,
    keyring: Keyring,
    me: AccessScope,
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
) -> tuple[ChosenPatient, Medication] | None:
    """The patient and their medicine, both visible to `me`, in one round trip, the
    medicine's row locked to COMMIT; None when either is missing (the caller tells which)."""
    result = await db.execute(
        _PATIENT_AND_MEDICINE[me.is_admin],
        scope_params(me, patient_id=patient_id, medication_id=medication_id),
    )
    row = result.one_or_none()
    if row is None:
        return None
    medicine: Medication = row[0]
    sealed = SimpleNamespace(
        tenant_id=medicine.tenant_id,
        id=patient_id,
        given_name=row.given_name,
        family_name=row.family_name,
        preferred_name=row.preferred_name,
    )
    identity = await open_identity(db, keyring, cast(Patient, sealed), NAME_COLUMNS)
    patient = ChosenPatient(patient_id, identity.display_name, row.archived_at is not None)
    return patient, medicine


class DoseRefused(Exception):
    """The dose was not recorded: errors beside the fields, and the status to answer."""

    def __init__(
        self, errors: FieldErrors, status: int = 422, given_time: str | None = None
    ) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status
        self.given_time = given_time  # the time to offer in the form, when it asks for one


@dataclass
class Recorded:
    """What recording a dose did, for the response."""

    row: MedicationAdministration
    medicine: Medication
    corrected: bool = False


class DoseService(ScopedService):
    """A patient's dose records as `me` may see and record them."""

    async def record_dose(
        self,
        patient: ChosenPatient,
        medicine: Medication,
        form: DoseForm,
        now: datetime,
        *,
        locked: bool = False,
    ) -> Recorded:
        """Record one dose's outcome (or correct one). Raises `DoseRefused` with the
        errors to show when a rule refuses it. `locked`: the medicine's row is locked
        already (`patient_and_locked_medicine`)."""
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
            if form.outcome == "given":
                self._check_late(form, scheduled, now)
        given_at = self._given_at(form, scheduled, now, original)
        if (
            not correcting
            and scheduled is not None
            and form.outcome == "given"
            and is_late(scheduled, given_at, self.me.dose_window_minutes)
            and not form.note.strip()
        ):
            raise DoseRefused(
                {
                    "note": _(
                        "Given more than %(minutes)s minutes from its time: say why.",
                        minutes=self.me.dose_window_minutes,
                    )
                }
            )
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
        if not locked:
            # Locked from here to commit: PRN checks see every dose committed before.
            await self.repository.find(patient.id, medicine.id, lock=True)
        if medicine.prn and form.outcome == "given" and not correcting:
            await self._check_prn(medicine, given_at, form.override_reason.strip())
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
            effect=None,
            effect_note="",
        )
        inserted = await self.db.execute(_INSERT_DOSE, _insert_values(row))
        if inserted.first() is None:
            raise DoseRefused({"form": _("This dose has already been recorded.")}, status=409)
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
        await raise_for_dose(
            self.db,
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            medication_id=medicine.id,
            medicine=medicine.name,
            outcome=row.outcome,
            scheduled=scheduled,
            record_id=original.id if original else row.id,
            dose_at=row.dose_at,
            zone=self.me.zone,
        )
        return Recorded(row, medicine, corrected=original is not None)

    def _check_scheduled(self, medicine: Medication, scheduled: datetime, now: datetime) -> None:
        if not is_scheduled(regimen_of(medicine), scheduled, self.me.zone):
            raise DoseRefused(
                {"form": _("This dose could not be found. Open it again from the chart.")}
            )
        if scheduled - timedelta(minutes=self.me.dose_window_minutes * EARLY_LIMIT_FACTOR) > now:
            raise DoseRefused({"form": _("This dose is not due yet.")})

    def _check_late(self, form: DoseForm, scheduled: datetime, now: datetime) -> None:
        """A dose past its window is not recorded as given now in one tap: the carer says
        when it was actually given (now is offered) before it is recorded."""
        if form.given_clock() is None and is_late(scheduled, now, self.me.dose_window_minutes):
            raise DoseRefused(
                {"given_time": _("This dose is late: enter when it was actually given.")},
                given_time=clock_now(now, self.me.zone),
            )

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
        early = timedelta(minutes=self.me.dose_window_minutes * EARLY_LIMIT_FACTOR)
        if scheduled is not None and moment < scheduled - early and moment + DAY <= now:
            moment += DAY  # given more than half a day after its time, not before it
        if moment > now + timedelta(minutes=5):
            raise DoseRefused({"given_time": _("The time given cannot be in the future.")})
        return moment

    async def _check_prn(self, medicine: Medication, given_at: datetime, override: str) -> None:
        # Doses on both sides count (a dose may be backdated); the interval may be a week.
        reach = max(DAY, timedelta(minutes=medicine.min_interval_minutes or 0)) + DAY
        statement = administrations(self.me).where(
            MedicationAdministration.medication_id == medicine.id,
            MedicationAdministration.dose_at > given_at - reach,
            MedicationAdministration.dose_at < given_at + reach,
        )
        rows = list((await self.db.scalars(statement)).all())
        given = [
            r.given_at
            for r in current_records(rows).values()
            if r.outcome == "given" and r.given_at
        ]
        wait = prn_wait(given, given_at, medicine.min_interval_minutes, medicine.max_per_day)
        if wait is None or override:
            return
        if wait.by_later:
            message = _(
                "Too close to the doses recorded after this time: the minimum interval or "
                "the 24-hour maximum would not be kept. To record it, say why."
            )
        else:
            message = _(
                "Too soon for another dose: the next may be given from %(when)s. "
                "To give it now, say why.",
                when=show_moment(wait.until, self.me.zone),
            )
        raise DoseRefused({"override_reason": message})

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


_INSERTED_COLUMNS = (
    "id",
    "tenant_id",
    "patient_id",
    "medication_id",
    "scheduled_for",
    "dose_at",
    "given_at",
    "outcome",
    "note",
    "late",
    "prn_reason",
    "override_reason",
    "witness_id",
    "corrects_id",
    "recorded_by",
    "recorded_at",
)


def _insert_values(row: MedicationAdministration) -> dict[str, Any]:
    return {column: getattr(row, column) for column in _INSERTED_COLUMNS}
