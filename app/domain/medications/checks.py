"""The periodic dose check: a scheduled dose whose window closed with no outcome raises
one "dose not recorded" alert. Run by the worker (app/domain/jobs), one care account at a
time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, TenantSettings
from app.db.models.medications import Medication, MedicationAdministration
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.billing.plans import includes
from app.domain.medications.records import regimen_of
from app.domain.medications.schedule import doses_between

# Only windows that closed this recently are checked, so the first run on an old database,
# or after a long outage, raises what is still worth acting on rather than a flood.
LOOKBACK = timedelta(hours=24)


# Matches the expression of ix_medications_scheduled_until (migration 0011).
def _until():  # type: ignore[no-untyped-def]
    return func.coalesce(Medication.stopped_at, literal_column("'infinity'::timestamptz"))


async def raise_unrecorded_doses(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    """Raise a DOSE_UNRECORDED alert for each dose of `tenant_id` whose window closed in the
    last day with no outcome recorded; how many were newly raised. Unscoped: the caller
    binds `db` to the tenant and owns the transaction."""
    found = (
        await db.execute(
            select(
                TenantSettings.time_zone, TenantSettings.dose_window_minutes, TenantSettings.plan
            ).where(TenantSettings.tenant_id == tenant_id)
        )
    ).one_or_none()
    if found is None or not includes(found.plan, "medications"):
        return 0
    zone = _zone(found.time_zone)
    window = timedelta(minutes=found.dose_window_minutes)
    # A dose's window closes `window` after its time: closed now means before now - window.
    begin, end = now - LOOKBACK - window, now - window
    first_day = begin.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    medicines = (
        await db.scalars(
            select(Medication)
            .join(
                Patient,
                and_(
                    Patient.tenant_id == Medication.tenant_id, Patient.id == Medication.patient_id
                ),
            )
            .where(
                Medication.tenant_id == tenant_id,
                Medication.prn.is_(False),
                _until() > begin,
                Medication.starts_on <= last_day,
                (Medication.ends_on.is_(None)) | (Medication.ends_on >= first_day),
                Medication.created_at < end,
                Patient.archived_at.is_(None),
            )
            .order_by(Medication.id)
        )
    ).all()
    if not medicines:
        return 0
    # Any first record of a dose is its outcome (a correction points at it), read through
    # the one-outcome-per-dose unique index.
    recorded = {
        (row.medication_id, row.scheduled_for)
        for row in (
            await db.execute(
                select(
                    MedicationAdministration.medication_id, MedicationAdministration.scheduled_for
                ).where(
                    MedicationAdministration.tenant_id == tenant_id,
                    MedicationAdministration.medication_id.in_([m.id for m in medicines]),
                    MedicationAdministration.scheduled_for >= begin,
                    MedicationAdministration.scheduled_for < end,
                    MedicationAdministration.corrects_id.is_(None),
                )
            )
        )
    }
    raised = 0
    for medicine in medicines:
        for moment in doses_between(regimen_of(medicine), begin, end, zone):
            # A dose due before the medicine was entered was never anyone's to give.
            if moment < medicine.created_at or (medicine.id, moment) in recorded:
                continue
            local_day = moment.astimezone(zone).date().isoformat()
            alert = await raise_alert(
                db,
                tenant_id=tenant_id,
                patient_id=medicine.patient_id,
                kind=Kind.DOSE_UNRECORDED,
                params={"medicine": medicine.name, "scheduled": moment.isoformat()},
                link=f"/patients/{medicine.patient_id}/medicines/chart?view=day&day={local_day}",
                dedupe_key=f"dose-unrecorded:{medicine.id}:{moment.isoformat()}",
            )
            raised += alert is not None
    return raised


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
