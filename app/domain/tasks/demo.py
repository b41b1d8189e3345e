"""Demo data for `tend demo`: a care plan per patient and a week of it done.

Unscoped inserts, no audit: the session is already bound to the demo tenant, and nobody
did these things. Never used in request handling. What the tasks say is demo text in
English, like anything a carer would have typed.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.base import new_id
from app.db.models.tasks import CareTask, CareTaskCompletion, CareTaskVersion
from app.domain.patients.dates import tenant_zone
from app.domain.tasks.occurrences import DUE_GRACE
from app.domain.tasks.recurrence import Schedule, occurrences

DEMO_DAYS = 7
SKIP_NOTES = (
    "Asleep, did not want to be disturbed.",
    "Declined today; will offer again later.",
    "Out at the day centre.",
    "Felt unwell, GP informed.",
)

# (title, details, times, days of the week or None, every N days or None)
PLANS = (
    (
        "Help to reposition",
        "Turn onto the other side; check heels and hips for redness.",
        [time(h) for h in (6, 10, 14, 18, 22)],
        [0, 1, 2, 3, 4, 5, 6],
        None,
    ),
    (
        "Fluids chart",
        "Offer a drink and write down how much was taken.",
        [time(9), time(13), time(17)],
        [0, 1, 2, 3, 4, 5, 6],
        None,
    ),
    (
        "Evening walk",
        "Ten minutes along the corridor or garden, with the frame.",
        [time(18, 30)],
        [0, 2, 4, 6],
        None,
    ),
    (
        "Weekly weigh-in",
        "Same scales, before breakfast; note the weight in vitals.",
        [time(8)],
        None,
        7,
    ),
    ("Mouth care", "Brush teeth or clean dentures.", [time(8), time(21)], None, 1),
)


async def seed_demo(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    carer_ids: list[uuid.UUID],
    now: datetime,
) -> None:
    """3–5 tasks per patient, started a week ago, and a week of completions: mostly done,
    a few skipped with a note, some missed (left for the overdue list)."""
    if not patient_ids or not carer_ids:
        return
    zone = await tenant_zone(db, tenant_id)
    chance = random.Random(f"{tenant_id}")  # noqa: S311 - demo data, not security
    begun = now - timedelta(days=DEMO_DAYS)
    first_day = begun.astimezone(zone).date()
    tasks: list[dict] = []
    versions: list[dict] = []
    completions: list[dict] = []
    for index, patient_id in enumerate(patient_ids):
        count = 3 + (index % 3)
        for offset, (title, details, times, days, every) in enumerate(PLANS[:count]):
            task_id = new_id()
            author = carer_ids[(index + offset) % len(carer_ids)]
            assignee = carer_ids[index % len(carer_ids)] if offset == 2 else None
            start = first_day - timedelta(days=offset) if every else first_day
            plan = {
                "title": title,
                "details": details,
                "times": times,
                "days_of_week": days,
                "every_days": every,
                "start_date": start,
                "end_date": None,
                "assignee_id": assignee,
            }
            tasks.append(
                {
                    "tenant_id": tenant_id,
                    "id": task_id,
                    "patient_id": patient_id,
                    "version": 1,
                    "created_by": author,
                    "created_at": begun,
                    "updated_by": author,
                    "updated_at": begun,
                    **plan,
                }
            )
            versions.append(
                {
                    "tenant_id": tenant_id,
                    "task_id": task_id,
                    "version": 1,
                    "changed_by": author,
                    "changed_at": begun,
                    **plan,
                }
            )
            schedule = Schedule(
                times=tuple(times),
                start=start,
                days_of_week=frozenset(days) if days is not None else None,
                every_days=every,
            )
            # Everything whose grace has passed gets a record, or is missed.
            for at in occurrences(schedule, begun, now - DUE_GRACE, zone, active_from=begun):
                roll = chance.random()
                if roll < 0.08:
                    continue  # missed: nobody recorded it
                skipped = roll < 0.15
                completions.append(
                    {
                        "tenant_id": tenant_id,
                        "id": new_id(),
                        "task_id": task_id,
                        "patient_id": patient_id,
                        "due_at": at,
                        "outcome": "skipped" if skipped else "done",
                        "note": chance.choice(SKIP_NOTES) if skipped else "",
                        "recorded_by": chance.choice(carer_ids),
                        "recorded_at": at + timedelta(minutes=chance.randint(-10, 40)),
                    }
                )
    await db.execute(insert(CareTask), tasks)
    await db.execute(insert(CareTaskVersion), versions)
    if completions:
        await db.execute(insert(CareTaskCompletion), completions)
