"""A realistic week of care notes for the demo care account (`tend demo`).

Unscoped inserts, no audit: the session is already bound to the demo tenant, and
nothing here runs in request handling.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.base import new_id
from app.db.models.care_notes import CareNote

DAYS = 7
# (hours after midnight UTC of the day, category, text, handover); a few a day, varied.
ROUND = (
    (7.5, "personal_care", "Helped to wash and dress. Heels checked: skin intact.", False),
    (8.25, "meals_fluids", "Porridge and a cup of tea at breakfast; ate most of it.", False),
    (10.0, "mobility", "Walked to the garden with the frame, one rest on the bench.", False),
    (12.5, "meals_fluids", "Soup and half a sandwich at lunch. Drank 300 ml of water.", False),
    (14.0, "mood", "Cheerful after a call with her daughter; sang to the radio.", False),
    (15.5, "continence", "Pad changed, dry at the previous check. No concerns.", False),
    (17.0, "general", "GP surgery rang: repeat prescription ready on Thursday.", True),
    (18.5, "meals_fluids", "Small dinner, a few spoonfuls of fish pie. Declined pudding.", True),
    (20.5, "mood", "Unsettled this evening, asked about home twice. Settled with tea.", True),
    (21.5, "sleep", "In bed by half past nine, bed rails checked, call bell within reach.", False),
    (6.5, "sleep", "Woke twice in the night for the toilet; back to sleep quickly.", True),
)
PER_DAY = (3, 4, 5)


async def seed_demo(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    carer_ids: list[uuid.UUID],
    now: datetime,
) -> None:
    """A week of notes before `now`: a few a day for each patient, by the carers in
    turn, some flagged for handover. Deterministic for the same inputs."""
    if not patient_ids or not carer_ids:
        return
    chooser = random.Random(f"{tenant_id}")  # noqa: S311 - demo data, not security
    rows: list[dict[str, Any]] = []
    start = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for patient_number, patient_id in enumerate(patient_ids):
        for day in range(DAYS):
            midnight = start + timedelta(days=day)
            for hours, category, text, handover in chooser.sample(ROUND, chooser.choice(PER_DAY)):
                written = midnight + timedelta(hours=hours, minutes=chooser.randint(0, 20))
                if written >= now:
                    continue
                author = carer_ids[(day + patient_number + int(hours)) % len(carer_ids)]
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "id": new_id(),
                        "patient_id": patient_id,
                        "author_id": author,
                        "updated_by": author,
                        "created_at": written,
                        "updated_at": written,
                        "category": category,
                        "body": text,
                        "handover": handover,
                        "version": 1,
                    }
                )
    if rows:
        await db.execute(insert(CareNote), rows)
