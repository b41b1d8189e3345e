"""Demo vitals: a week of observations per patient, one patient slowly getting worse.

Unscoped inserts for the demo command: the session is already bound to the tenant, and
nothing a person did is being recorded, so there is no audit. Each set meets the NEWS2
rule the vitals service applies, so the worsening patient has open alerts to show.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.alerts.rules import raise_for_vitals
from app.domain.vitals.forms import Measured
from app.domain.vitals.news2 import Consciousness, score
from app.domain.vitals.services import observation_row

DAYS = 7
HOURS = (8, 14, 20)  # morning, afternoon and evening rounds


def _steady(rng: random.Random) -> dict[str, object]:
    return {
        "respiration_rate": rng.randint(14, 18),
        "spo2": rng.randint(96, 99),
        "systolic": rng.randint(118, 138),
        "pulse": rng.randint(62, 84),
        "temperature": Decimal(rng.randint(364, 374)) / 10,
    }


def _drifting(progress: float) -> dict[str, object]:
    """From normal to a NEWS2 of 5 (RR 21 → 2, pulse 111 → 2, temperature 38.4 → 1)."""
    if progress < 0.85:
        return {
            "respiration_rate": 16 + round(4 * progress),
            "spo2": 96,
            "systolic": 124,
            "pulse": 76 + round(14 * progress),
            "temperature": Decimal(368 + round(12 * progress)) / 10,
        }
    return {
        "respiration_rate": 21,
        "spo2": 96,
        "systolic": 122,
        "pulse": 111,
        "temperature": Decimal("38.4"),
    }


async def seed_demo(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    carer_ids: list[uuid.UUID],
    now: datetime,
) -> None:
    """Two or three sets a day for the past week for each patient; the first patient
    drifts to a NEWS2 of 5 (medium) in the last day."""
    if not patient_ids or not carer_ids:
        return
    start = (now - timedelta(days=DAYS - 1)).replace(minute=0, second=0, microsecond=0)
    for index, patient_id in enumerate(patient_ids):
        rng = random.Random(f"{tenant_id}-{index}")  # noqa: S311 - demo data, not secrets
        moments = [
            start.replace(hour=hour) + timedelta(days=day, minutes=rng.randint(0, 40))
            for day in range(DAYS)
            for hour in HOURS
            if hour != 14 or rng.random() < 0.5
        ]
        moments = [moment for moment in moments if moment <= now - timedelta(minutes=5)]
        for number, moment in enumerate(moments):
            progress = number / max(len(moments) - 1, 1)
            values = _drifting(progress) if index == 0 else _steady(rng)
            measured = Measured(
                taken_at=moment,
                on_oxygen=False,
                consciousness=Consciousness.ALERT,
                diastolic=int(values["systolic"]) - rng.randint(40, 55),  # type: ignore[call-overload]
                weight=Decimal(rng.randint(600, 800)) / 10 if moment.hour == 8 else None,
                glucose=None,
                **values,  # type: ignore[arg-type]
            )
            carer = carer_ids[number % len(carer_ids)]
            row = observation_row(tenant_id, patient_id, carer, measured, scale=1)
            db.add(row)
            await db.flush()
            await raise_for_vitals(
                db,
                tenant_id=tenant_id,
                patient_id=patient_id,
                set_id=row.id,
                original_id=row.id,
                result=score(measured.observations(), 1),
            )
