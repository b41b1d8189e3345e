"""The cards of a patient's day: one per module, each built by that module's `today.py`.

A card appears only when the care account's plan includes its module. Each builder
returns display-ready values for its own partial; none audits (the day is audited once).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.care_notes import today as notes
from app.domain.identity.access import AccessScope
from app.domain.medications import today as medications
from app.domain.patients.chosen import ChosenPatient
from app.domain.tasks import today as tasks
from app.domain.vitals import today as vitals

Builder = Callable[
    [AsyncSession, AccessScope, ChosenPatient, datetime | None, datetime],
    Awaitable[dict[str, Any]],
]


@dataclass(frozen=True)
class Section:
    module: str
    template: str
    build: Builder


async def _medications(db, me, patient, since, now):  # type: ignore[no-untyped-def]
    return await medications.today_section(db, me, patient, now)


async def _tasks(db, me, patient, since, now):  # type: ignore[no-untyped-def]
    return await tasks.today_section(db, me, patient, now)


async def _vitals(db, me, patient, since, now):  # type: ignore[no-untyped-def]
    return await vitals.today_section(db, me, patient, now)


async def _notes(db, me, patient, since, now):  # type: ignore[no-untyped-def]
    return await notes.today_section(db, me, patient, since, now)


# In the order a carer works through a visit: what is due first, then what was written.
SECTIONS = (
    Section("medications", "medications/partials/_today.html", _medications),
    Section("tasks", "tasks/partials/_today.html", _tasks),
    Section("vitals", "vitals/partials/_today.html", _vitals),
    Section("care_notes", "care_notes/partials/_today.html", _notes),
)


@dataclass(frozen=True)
class Due:
    """What a carer's list shows for each patient: counts due, overdue, the latest NEWS2."""

    doses: dict[uuid.UUID, dict[str, int]]
    tasks: dict[uuid.UUID, dict[str, int]]
    scores: dict[uuid.UUID, dict[str, Any]]


async def due_for(
    db: AsyncSession,
    me: AccessScope,
    patient_ids: list[uuid.UUID],
    now: datetime,
    included: Callable[[str], bool],
) -> Due:
    """Each included module's summary for many patients, a few queries in all."""
    if not patient_ids:
        return Due({}, {}, {})
    return Due(
        doses=await medications.due_counts(db, me, patient_ids, now)
        if included("medications")
        else {},
        tasks=await tasks.due_counts(db, me, patient_ids, now) if included("tasks") else {},
        scores=await vitals.latest_scores(db, me, patient_ids) if included("vitals") else {},
    )
