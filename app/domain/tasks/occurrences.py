"""When care-plan tasks fall due: occurrences of a period, each with what was recorded.

The query functions take the access scope and serve the care plan, the Today page and
the patient list (app/domain/tasks/today.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.models.tasks import CareTask, CareTaskCompletion, CareTaskVersion
from app.domain.identity.access import AccessScope
from app.domain.tasks.recurrence import Schedule, day_bounds, occurrences
from app.domain.tasks.repository import scoped_completions, scoped_tasks

# An occurrence is "due" from its time for this long, then "overdue" until recorded.
DUE_GRACE = timedelta(minutes=60)


def schedule_of(task: CareTask | CareTaskVersion) -> Schedule:
    return Schedule(
        times=tuple(task.times),
        start=task.start_date,
        end=task.end_date,
        days_of_week=frozenset(task.days_of_week) if task.days_of_week is not None else None,
        every_days=task.every_days,
    )


@dataclass(frozen=True)
class Occurrence:
    """One time a task is asked for, and what was recorded for it (if anything)."""

    task: CareTask
    at: datetime
    completion: CareTaskCompletion | None

    def state(self, now: datetime) -> str:
        """done, skipped, later, due or overdue."""
        if self.completion is not None:
            return self.completion.outcome
        if now < self.at:
            return "later"
        if now < self.at + DUE_GRACE:
            return "due"
        return "overdue"


STATE_ORDER = {"overdue": 0, "due": 1, "later": 2, "done": 3, "skipped": 3}


async def tasks_between(
    db: AsyncSession,
    me: AccessScope,
    patient_ids: Sequence[uuid.UUID],
    begin: datetime,
    end: datetime,
    first_day: date,
    last_day: date,
) -> Sequence[CareTask]:
    """Tasks of these (visible) patients that may have occurrences in [begin, end)."""
    if not patient_ids:
        return []
    statement = scoped_tasks(me).where(
        CareTask.patient_id.in_(patient_ids),
        CareTask.start_date <= last_day,
        or_(CareTask.end_date.is_(None), CareTask.end_date >= first_day),
        or_(CareTask.stopped_at.is_(None), CareTask.stopped_at > begin),
        CareTask.created_at < end,
    )
    return (await db.scalars(statement.order_by(CareTask.id))).all()


async def completions_between(
    db: AsyncSession,
    me: AccessScope,
    patient_ids: Sequence[uuid.UUID],
    begin: datetime,
    end: datetime,
) -> Sequence[CareTaskCompletion]:
    """Live (not undone) completions of these patients' occurrences in [begin, end)."""
    if not patient_ids:
        return []
    statement = scoped_completions(me).where(
        CareTaskCompletion.patient_id.in_(patient_ids),
        CareTaskCompletion.due_at >= begin,
        CareTaskCompletion.due_at < end,
        CareTaskCompletion.undone_at.is_(None),
    )
    return (await db.scalars(statement)).all()


def occurrences_of(
    tasks: Iterable[CareTask],
    completions: Iterable[CareTaskCompletion],
    begin: datetime,
    end: datetime,
    zone: Any,
) -> list[Occurrence]:
    """Every occurrence of `tasks` in [begin, end), each with its live completion."""
    recorded = {(c.task_id, c.due_at.astimezone(UTC)): c for c in completions}
    found = []
    for task in tasks:
        times = occurrences(
            schedule_of(task),
            begin,
            end,
            zone,
            active_from=task.created_at,
            stopped_at=task.stopped_at,
        )
        found.extend(Occurrence(task, at, recorded.get((task.id, at))) for at in times)
    return found


async def day_occurrences(
    db: AsyncSession, me: AccessScope, patient_ids: Sequence[uuid.UUID], day: date
) -> list[Occurrence]:
    """All occurrences of one local day for these patients, in two queries."""
    begin, end = day_bounds(day, me.zone)
    tasks = await tasks_between(db, me, patient_ids, begin, end, day, day)
    completions = await completions_between(db, me, patient_ids, begin, end)
    return occurrences_of(tasks, completions, begin, end, me.zone)


async def names_of(db: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Display names of people (members of this care account), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await db.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}
