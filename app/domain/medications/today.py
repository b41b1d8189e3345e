"""Medicines on the Today page: doses due and overdue, PRN medicines, effects to answer.

Display-ready and unaudited: the Today page audits its one view itself.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.identity.access import AccessScope
from app.domain.medications.labels import EFFECTS, effect_label
from app.domain.medications.records import current_records, regimen_of
from app.domain.medications.repository import administrations
from app.domain.medications.rules import DAY, dose_state, prn_next_allowed
from app.domain.medications.schedule import day_bounds, doses_on
from app.domain.medications.today_queries import live_with_records
from app.domain.medications.views import show_time
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.dates import show_moment
from app.domain.patients.repository import visible_patient_ids

EFFECT_AFTER = timedelta(minutes=30)  # ask how a PRN dose worked once it had time to


def _live_medicines(me: AccessScope, patient_ids: list[uuid.UUID], now: datetime):  # type: ignore[no-untyped-def]
    today = now.astimezone(me.zone).date()
    return select(Medication).where(
        Medication.tenant_id == me.tenant_id,
        Medication.patient_id.in_(patient_ids),
        Medication.patient_id.in_(visible_patient_ids(me)),
        Medication.starts_on <= today,
        (Medication.ends_on.is_(None)) | (Medication.ends_on >= today - timedelta(days=1)),
        (Medication.stopped_at.is_(None)) | (Medication.stopped_at > now - DAY),
    )


async def _records(
    db: AsyncSession, me: AccessScope, patient_ids: list[uuid.UUID], start: datetime, end: datetime
) -> list[MedicationAdministration]:
    statement = administrations(me).where(
        MedicationAdministration.patient_id.in_(patient_ids),
        MedicationAdministration.dose_at >= start,
        MedicationAdministration.dose_at < end,
    )
    return list((await db.scalars(statement)).all())


def _open_doses(
    medicine: Medication, me: AccessScope, now: datetime, recorded: set[tuple[uuid.UUID, datetime]]
) -> list[tuple[datetime, str]]:
    """Today's doses of a medicine with no outcome that are due or overdue now."""
    day = now.astimezone(me.zone).date()
    found = []
    for moment in doses_on(regimen_of(medicine), day, me.zone):
        if (medicine.id, moment) in recorded:
            continue
        state = dose_state(moment, now, me.dose_window_minutes)
        if state != "upcoming":
            found.append((moment, state))
    return found


async def today_section(
    db: AsyncSession, me: AccessScope, patient: ChosenPatient, now: datetime
) -> dict[str, Any]:
    """What the Today card shows for one patient (see the module docstring)."""
    start, end = day_bounds(now.astimezone(me.zone).date(), me.zone)
    medicines, rows = await live_with_records(
        db, me, patient.id, now, min(start, now - 2 * DAY), end
    )
    current = current_records(rows)
    recorded = {(r.medication_id, r.scheduled_for) for r in current.values() if r.scheduled_for}
    base = f"/patients/{patient.id}/medicines"
    doses: list[dict[str, Any]] = []
    prn: list[dict[str, Any]] = []
    for medicine in medicines:
        if medicine.prn:
            if medicine.stopped_at is not None:
                continue
            given = [
                r.given_at
                for r in current.values()
                if r.medication_id == medicine.id and r.outcome == "given" and r.given_at
            ]
            next_allowed = prn_next_allowed(
                given, now, medicine.min_interval_minutes, medicine.max_per_day
            )
            prn.append(
                {
                    "medication_id": str(medicine.id),
                    "name": medicine.name,
                    "dose": medicine.dose,
                    "reason": medicine.prn_reason,
                    "next_allowed": show_moment(next_allowed, me.zone) if next_allowed else None,
                    "next_allowed_at": next_allowed,
                    "form_url": f"{base}/dose?medication={medicine.id}",
                }
            )
            continue
        for moment, state in _open_doses(medicine, me, now, recorded):
            doses.append(
                {
                    "key": f"dose-{medicine.id}-{int(moment.timestamp())}",
                    "medication_id": str(medicine.id),
                    "name": medicine.name,
                    "dose": medicine.dose,
                    "controlled": medicine.controlled,
                    "at": moment.isoformat(),
                    "scheduled_for": moment,
                    "time": show_time(moment, me.zone),
                    "state": state,
                    "action": f"{base}/dose",
                    # Quoted: the "+" of the time's offset would come back a space.
                    "form_url": f"{base}/dose?medication={medicine.id}"
                    f"&at={quote(moment.isoformat())}",
                }
            )
    doses.sort(key=lambda d: d["scheduled_for"])
    names = {m.id: m.name for m in medicines if m.prn}
    awaiting = [
        {
            "record_id": str(r.id),
            "name": names[r.medication_id],
            "given_at": show_moment(r.given_at, me.zone),
        }
        for r in current.values()
        if r.medication_id in names
        and r.outcome == "given"
        and r.effect is None
        and r.given_at is not None
        and now - DAY < r.given_at <= now - EFFECT_AFTER
    ]
    return {
        "doses": doses,
        "due": sum(1 for d in doses if d["state"] == "due"),
        "overdue": sum(1 for d in doses if d["state"] == "overdue"),
        "prn": prn,
        "awaiting_effect": awaiting,
        "effects": [{"value": e, "label": effect_label(e)} for e in EFFECTS],
    }


async def due_counts(
    db: AsyncSession, me: AccessScope, patient_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, dict[str, int]]:
    """{"due": n, "overdue": m} for each patient, in two queries whatever the number."""
    counts: dict[uuid.UUID, dict[str, int]] = {pid: {"due": 0, "overdue": 0} for pid in patient_ids}
    if not patient_ids:
        return counts
    medicines = list((await db.scalars(_live_medicines(me, patient_ids, now))).all())
    start, end = day_bounds(now.astimezone(me.zone).date(), me.zone)
    rows = await _records(db, me, patient_ids, start, end)
    recorded = {
        (r.medication_id, r.scheduled_for)
        for r in current_records(rows).values()
        if r.scheduled_for
    }
    found: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: {"due": 0, "overdue": 0})
    for medicine in medicines:
        if medicine.prn:
            continue
        for _moment, state in _open_doses(medicine, me, now, recorded):
            found[medicine.patient_id][state] += 1
    for pid, values in found.items():
        counts[pid] = dict(values)
    return counts
