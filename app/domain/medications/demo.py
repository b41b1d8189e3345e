"""Demo medicines and a week of dose outcomes (unscoped inserts: the CLI's demo loader
has bound the session to the demo tenant; nothing is audited).

The medicines were entered when the week began, so the doses since then were everyone's
to give: today's so far, and yesterday's last round of the first patient, were never
recorded, and the missed-dose check raises its alerts for them."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TenantSettings
from app.db.models.base import new_id
from app.db.models.medications import Medication, MedicationAdministration, MedicationVersion
from app.domain.medications.rules import is_late
from app.domain.medications.schedule import ALL_DAYS, Regimen, doses_on
from app.domain.patients.dates import tenant_zone

_SCHEDULED = (
    ("Paracetamol", "500 mg", "tablet", "2 tablets", "oral", ["08:00", "12:00", "18:00", "22:00"]),
    ("Amlodipine", "5 mg", "tablet", "1 tablet", "oral", ["08:00"]),
    ("Metformin", "500 mg", "tablet", "1 tablet", "oral", ["08:00", "18:00"]),
    ("Donepezil", "10 mg", "tablet", "1 tablet", "oral", ["21:00"]),
)
# Yesterday's doses from this hour on were not recorded for the first patient (a busy
# evening), so the demo has a missed dose to show whatever the time of day it starts.
FORGOTTEN = 21
# (outcome, note) drawn for demo doses: mostly given.
_OTHER = (("refused", "Said she did not want it; offered again later."), ("held", "Sleeping."))


async def seed_demo(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    carer_ids: list[uuid.UUID],
    now: datetime,
) -> None:
    """2–4 medicines per patient (a PRN one each, a controlled one for the first) and the
    past week of their doses, mostly given, a few late or refused."""
    rng = random.Random(7)  # noqa: S311 — demo data, not security
    zone = await tenant_zone(db, tenant_id)
    window = (
        await db.scalar(
            select(TenantSettings.dose_window_minutes).where(TenantSettings.tenant_id == tenant_id)
        )
        or 60
    )
    today = now.astimezone(zone).date()
    start = today - timedelta(days=7)
    entered = datetime.combine(start, time(0), tzinfo=zone)
    author = carer_ids[0]
    for index, patient_id in enumerate(patient_ids):
        chosen = [_SCHEDULED[(index + n) % len(_SCHEDULED)] for n in range(rng.randint(1, 3))]
        medicines = []
        for name, strength, form, dose, route, times in chosen:
            medicines.append(
                Medication(
                    id=new_id(),
                    tenant_id=tenant_id,
                    patient_id=patient_id,
                    name=name,
                    strength=strength,
                    form=form,
                    dose=dose,
                    route=route,
                    instructions="",
                    starts_on=start,
                    prn=False,
                    times=times,
                    days=ALL_DAYS,
                    prn_reason="",
                    controlled=False,
                    version=1,
                    created_by=author,
                    updated_by=author,
                    created_at=entered,
                    updated_at=entered,
                )
            )
        medicines.append(
            Medication(
                id=new_id(),
                tenant_id=tenant_id,
                patient_id=patient_id,
                name="Morphine sulfate oral solution" if index == 0 else "Ibuprofen",
                strength="10 mg/5 ml" if index == 0 else "200 mg",
                form="liquid" if index == 0 else "tablet",
                dose="2.5 ml" if index == 0 else "1 tablet",
                route="oral",
                instructions="",
                starts_on=start,
                prn=True,
                times=[],
                days=ALL_DAYS,
                prn_reason="Pain",
                min_interval_minutes=240,
                max_per_day=4,
                controlled=index == 0,
                version=1,
                created_by=author,
                updated_by=author,
                created_at=entered,
                updated_at=entered,
            )
        )
        db.add_all(medicines)
        await db.flush()
        await db.execute(
            insert(MedicationVersion),
            [
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "medication_id": m.id,
                    "version": 1,
                    "snapshot": {"name": m.name, "dose": m.dose, "times": list(m.times)},
                    "changed_by": author,
                    "changed_at": entered,
                }
                for m in medicines
            ],
        )
        rows = []
        for medicine in medicines:
            if medicine.prn:
                continue
            regimen = Regimen(
                times=tuple(time.fromisoformat(t) for t in medicine.times), starts_on=start
            )
            for offset in range(7, 0, -1):
                for moment in doses_on(regimen, today - timedelta(days=offset), zone):
                    if index == 0 and offset == 1 and moment.astimezone(zone).hour >= FORGOTTEN:
                        continue
                    carer = rng.choice(carer_ids)
                    roll = rng.random()
                    if roll < 0.06:
                        outcome, note = rng.choice(_OTHER)
                        given_at = None
                    else:
                        outcome, note = "given", ""
                        drift = 90 if roll < 0.14 else rng.randint(-20, 25)
                        given_at = moment + timedelta(minutes=drift)
                    rows.append(
                        {
                            "tenant_id": tenant_id,
                            "id": new_id(),
                            "patient_id": patient_id,
                            "medication_id": medicine.id,
                            "scheduled_for": moment,
                            "dose_at": moment,
                            "given_at": given_at,
                            "outcome": outcome,
                            "note": note,
                            "recorded_by": carer,
                            "recorded_at": given_at or moment,
                            "late": bool(given_at and is_late(moment, given_at, window)),
                        }
                    )
        if rows:
            await db.execute(insert(MedicationAdministration), rows)
