"""The care plan's part of other pages: a patient's Today card, and counts for a list.

No audit here: the page that shows these audits once for itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.repository import visible_patient_ids
from app.domain.tasks.occurrences import day_occurrences
from app.domain.tasks.today_queries import day_of_patient
from app.domain.tasks.views import sorted_rows


async def today_section(
    db: AsyncSession, me: AccessScope, patient: ChosenPatient, now: datetime
) -> dict[str, Any]:
    """Today's tasks of one patient, display-ready for tasks/partials/_today.html:
    `rows` (overdue, then due now; later and recorded ones are counted, not listed),
    the counts, and the links."""
    day = now.astimezone(me.zone).date()
    found, names = await day_of_patient(db, me, patient.id, day)
    rows = sorted_rows(found, now, me, names)
    states = [row["state"] for row in rows]
    return {
        "rows": [row for row in rows if row["state"] in ("overdue", "due")],
        "overdue": states.count("overdue"),
        "due": states.count("due"),
        "later": states.count("later"),
        "done": states.count("done"),
        "skipped": states.count("skipped"),
        "total": len(rows),
        "due_url": f"/patients/{patient.id}/tasks/today",
        "plan_url": f"/patients/{patient.id}/tasks",
        # Where a tick without JavaScript returns to: the Today page the card is on.
        "next_url": f"/patients/{patient.id}/today",
    }


async def due_counts(
    db: AsyncSession, me: AccessScope, patient_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, dict[str, int]]:
    """{"due": n, "overdue": m} for each of these patients that `me` may see, today so
    far, in three queries however many patients (patients `me` may not see are left out)."""
    if not patient_ids:
        return {}
    visible = await db.scalars(visible_patient_ids(me).where(Patient.id.in_(patient_ids)))
    wanted = list(visible)
    counts = {pid: {"due": 0, "overdue": 0} for pid in wanted}
    day = now.astimezone(me.zone).date()
    for occurrence in await day_occurrences(db, me, wanted, day):
        state = occurrence.state(now)
        if state in ("due", "overdue"):
            counts[occurrence.task.patient_id][state] += 1
    return counts
