"""The tasks card's one query: a patient's tasks of one day, with that day's live
completions and the names of the people in them.

Built once per kind of person (`app.domain.today.bound`) from `scoped_tasks`: the tenant
filter and the patients `me` may see. Completions are joined on the task's tenant and
patient, so they are under the same scope. An index range scan on the patient's tasks
and, for each, a probe of (tenant_id, task_id, due_at) for the day: the cost does not
grow with the completions of earlier days.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import Select, and_, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.models import User
from app.db.models.tasks import CareTask, CareTaskCompletion
from app.domain.identity.access import AccessScope
from app.domain.tasks.occurrences import Occurrence, occurrences_of
from app.domain.tasks.recurrence import day_bounds
from app.domain.tasks.repository import scoped_tasks
from app.domain.today.bound import per_kind, scope_params


@dataclass(frozen=True, slots=True)
class DayTask:
    """What the day's rows read of a task (its schedule, title and assignee)."""

    id: uuid.UUID
    patient_id: uuid.UUID
    title: str
    details: str
    assignee_id: uuid.UUID | None
    times: list[time]
    days_of_week: list[int] | None
    every_days: int | None
    start_date: date
    end_date: date | None
    created_at: datetime
    stopped_at: datetime | None


@dataclass(frozen=True, slots=True)
class DayCompletion:
    """What the day's rows read of a completion."""

    id: uuid.UUID
    task_id: uuid.UUID
    due_at: datetime
    outcome: str
    note: str
    recorded_by: uuid.UUID
    recorded_at: datetime
    undone_at: datetime | None


_TASK = [
    CareTask.id,
    CareTask.patient_id,
    CareTask.title,
    CareTask.details,
    CareTask.assignee_id,
    CareTask.times,
    CareTask.days_of_week,
    CareTask.every_days,
    CareTask.start_date,
    CareTask.end_date,
    CareTask.created_at,
    CareTask.stopped_at,
]
_COMPLETION = [
    CareTaskCompletion.id,
    CareTaskCompletion.task_id,
    CareTaskCompletion.due_at,
    CareTaskCompletion.outcome,
    CareTaskCompletion.note,
    CareTaskCompletion.recorded_by,
    CareTaskCompletion.recorded_at,
    CareTaskCompletion.undone_at,
]


def _day(me: AccessScope) -> Select[Any]:
    assignee = aliased(User)
    recorder = aliased(User)
    begin, end, day = bindparam("begin"), bindparam("end"), bindparam("day")
    return (
        scoped_tasks(me)
        .with_only_columns(
            *_TASK,
            *(c.label(f"c_{c.key}") for c in _COMPLETION),
            assignee.display_name.label("assignee_name"),
            recorder.display_name.label("recorder_name"),
        )
        .outerjoin(
            CareTaskCompletion,
            and_(
                CareTaskCompletion.tenant_id == CareTask.tenant_id,
                CareTaskCompletion.patient_id == CareTask.patient_id,
                CareTaskCompletion.task_id == CareTask.id,
                CareTaskCompletion.due_at >= begin,
                CareTaskCompletion.due_at < end,
                CareTaskCompletion.undone_at.is_(None),
            ),
        )
        .outerjoin(assignee, assignee.id == CareTask.assignee_id)
        .outerjoin(recorder, recorder.id == CareTaskCompletion.recorded_by)
        .where(
            CareTask.patient_id == bindparam("patient_id"),
            CareTask.start_date <= day,
            or_(CareTask.end_date.is_(None), CareTask.end_date >= day),
            or_(CareTask.stopped_at.is_(None), CareTask.stopped_at > begin),
            CareTask.created_at < end,
        )
        .order_by(CareTask.id)
    )


_STATEMENT = per_kind(_day)


async def day_of_patient(
    db: AsyncSession, me: AccessScope, patient_id: uuid.UUID, day: date
) -> tuple[list[Occurrence], dict[uuid.UUID, str]]:
    """Every occurrence of the patient's tasks on one local day, each with its live
    completion (as `occurrences.day_occurrences`), and the display names of the tasks'
    assignees and the completions' recorders. One round trip."""
    begin, end = day_bounds(day, me.zone)
    params = scope_params(me, patient_id=patient_id, day=day, begin=begin, end=end)
    tasks: dict[uuid.UUID, DayTask] = {}
    completions: list[DayCompletion] = []
    names: dict[uuid.UUID, str] = {}
    for row in await db.execute(_STATEMENT[me.is_admin], params):
        if row.id not in tasks:
            tasks[row.id] = DayTask(*row[: len(_TASK)])
        if row.assignee_id is not None and row.assignee_name is not None:
            names[row.assignee_id] = row.assignee_name
        if row.c_id is not None:
            completion = DayCompletion(*row[len(_TASK) : len(_TASK) + len(_COMPLETION)])
            completions.append(completion)
            if row.recorder_name is not None:
                names[completion.recorded_by] = row.recorder_name
    found = occurrences_of(
        cast(list[CareTask], list(tasks.values())),
        cast(list[CareTaskCompletion], completions),
        begin,
        end,
        me.zone,
    )
    return found, names
