"""The care-plan rules: reading, adding, changing, stopping and recording tasks, audited.

Every read and write is audited in the same transaction. The scoped repositories are in
app/domain/tasks/repository.py, occurrences in occurrences.py, history paging in history.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, PatientAccess, Role, User
from app.db.models.base import new_id
from app.db.models.tasks import CareTask, CareTaskCompletion, CareTaskVersion
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.tasks.forms import TaskFields
from app.domain.tasks.history import HistoryPage, history_page
from app.domain.tasks.occurrences import Occurrence, day_occurrences, schedule_of
from app.domain.tasks.recurrence import is_occurrence
from app.domain.tasks.repository import CompletionRepository, TaskRepository
from app.lib.i18n import _

# Who ticked something may take it back this long afterwards (a slip of the thumb).
UNDO_WINDOW = timedelta(minutes=5)
STOPPED_SHOWN = 50
# Completions are recorded for today's and past occurrences, not for days to come.
AHEAD_LIMIT = timedelta(hours=12)


def clock() -> datetime:
    """Now, in UTC (one place, so tests can fix the time)."""
    return datetime.now(UTC)


class TaskGone(HTTPException):
    """The task or record named in the path is not in this patient's care plan.

    410, not 404: the patient is one the person may see (404 is kept for patients), and a
    stale link deserves a plain answer rather than "page not found".
    """

    status_code = 410

    def __init__(self) -> None:
        super().__init__(detail="task not in this care plan")  # i18n: not shown


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class TaskService:
    """The care plan of one patient at a time, for the signed-in person."""

    def __init__(self, db: AsyncSession, me: AccessScope, connection: ASGIConnection) -> None:
        self.db = db
        self.me = me
        self.connection = connection
        self.tasks = TaskRepository(session=db, me=me)
        self.completions = CompletionRepository(session=db, me=me)

    def now(self) -> datetime:
        return clock()

    async def audit(
        self,
        action: str,
        patient: ChosenPatient,
        object_type: str,
        object_id: uuid.UUID | None = None,
        **detail: Any,
    ) -> None:
        await record(
            self.db,
            self.me,
            self.connection,
            action,
            object_type,
            object_id=object_id,
            patient_id=patient.id,
            detail=detail,
        )

    @staticmethod
    def writable(patient: ChosenPatient) -> None:
        """Care is recorded only for a patient who is not archived."""
        if patient.archived:
            raise PermissionDeniedException(
                _("Archived: care can no longer be recorded for this patient.")
            )

    # Reads ------------------------------------------------------------------------------

    async def task(self, patient: ChosenPatient, task_id: str) -> CareTask:
        """One task of this patient's plan, or TaskGone."""
        wanted = parse_uuid(task_id)
        if wanted is None:
            raise TaskGone()
        statement = self.tasks.statement.where(
            CareTask.id == wanted, CareTask.patient_id == patient.id
        )
        task = await self.tasks.get_one_or_none(statement=statement)
        if task is None:
            raise TaskGone()
        return task

    async def plan(self, patient: ChosenPatient) -> tuple[list[CareTask], list[CareTask]]:
        """(active tasks, most recently stopped ones), oldest active first."""
        base = self.tasks.statement.where(CareTask.patient_id == patient.id)
        active = await self.db.scalars(
            base.where(CareTask.stopped_at.is_(None)).order_by(CareTask.id)
        )
        stopped = await self.db.scalars(
            base.where(CareTask.stopped_at.is_not(None))
            .order_by(CareTask.id.desc())
            .limit(STOPPED_SHOWN)
        )
        return list(active), list(stopped)

    async def versions(self, task: CareTask) -> Sequence[CareTaskVersion]:
        """Every saved version of a task the caller already holds, newest first."""
        statement = (
            select(CareTaskVersion)
            .where(
                CareTaskVersion.tenant_id == task.tenant_id,
                CareTaskVersion.task_id == task.id,
            )
            .order_by(CareTaskVersion.version.desc())
        )
        return (await self.db.scalars(statement)).all()

    async def assignees(self, patient: ChosenPatient) -> list[tuple[uuid.UUID, str]]:
        """Who a task may be given to: the patient's carers (a live grant) and the care
        account's admins, all with an active membership; by name."""
        grant = (
            select(PatientAccess.user_id)
            .where(
                PatientAccess.tenant_id == self.me.tenant_id,
                PatientAccess.patient_id == patient.id,
                or_(PatientAccess.expires_at.is_(None), PatientAccess.expires_at > self.now()),
            )
            .scalar_subquery()
        )
        statement = (
            select(User.id, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.tenant_id == self.me.tenant_id,
                Membership.status == "active",
                or_(
                    Membership.role == str(Role.ADMIN),
                    and_(Membership.role == str(Role.CARER), User.id.in_(grant)),
                ),
            )
            .order_by(User.display_name, User.id)
        )
        return [(row.id, row.display_name) for row in await self.db.execute(statement)]

    async def day(self, patient: ChosenPatient, day: date) -> list[Occurrence]:
        return await day_occurrences(self.db, self.me, [patient.id], day)

    async def history(self, patient: ChosenPatient, cursor: str | None) -> HistoryPage:
        """Completions (undone ones too), latest occurrence first, a page at a time by key."""
        return await history_page(self.db, self.me, patient.id, cursor)

    # Writes -----------------------------------------------------------------------------

    def _apply(self, target: CareTask | CareTaskVersion, fields: TaskFields) -> None:
        schedule = fields.schedule
        target.title = fields.title
        target.details = fields.details
        target.times = list(schedule.sorted_times)
        target.days_of_week = sorted(schedule.days_of_week) if schedule.days_of_week else None
        target.every_days = schedule.every_days
        target.start_date = schedule.start
        target.end_date = schedule.end
        target.assignee_id = fields.assignee_id

    def _snapshot(self, task: CareTask, at: datetime) -> CareTaskVersion:
        version = CareTaskVersion(
            tenant_id=task.tenant_id,
            task_id=task.id,
            version=task.version,
            changed_by=self.me.user_id,
            changed_at=at,
        )
        for column in (
            "title",
            "details",
            "times",
            "days_of_week",
            "every_days",
            "start_date",
            "end_date",
            "assignee_id",
        ):
            setattr(version, column, getattr(task, column))
        return version

    async def create(self, patient: ChosenPatient, fields: TaskFields) -> CareTask:
        """Add a task to the plan (version 1 is kept as the first history entry)."""
        self.writable(patient)
        now = self.now()
        task = CareTask(
            id=new_id(),
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            version=1,
            created_by=self.me.user_id,
            created_at=now,
            updated_by=self.me.user_id,
            updated_at=now,
        )
        self._apply(task, fields)
        self.db.add(task)
        await self.db.flush()
        self.db.add(self._snapshot(task, now))
        await self.db.flush()
        await self.audit("task.create", patient, "care_task", task.id, title=task.title)
        return task

    async def update(self, patient: ChosenPatient, task: CareTask, fields: TaskFields) -> bool:
        """Save a new version of the task; False when nothing changed (nothing written)."""
        self.writable(patient)
        if task.stopped_at is not None:
            raise PermissionDeniedException(_("This task was stopped: add a new one instead."))
        before = self._snapshot(task, task.updated_at)
        probe = CareTaskVersion()
        self._apply(probe, fields)
        columns = ("title", "details", "times", "days_of_week", "every_days")
        columns += ("start_date", "end_date", "assignee_id")
        changed = [c for c in columns if getattr(probe, c) != getattr(before, c)]
        if not changed:
            return False
        now = self.now()
        self._apply(task, fields)
        task.version += 1
        task.updated_by = self.me.user_id
        task.updated_at = now
        await self.db.flush()
        self.db.add(self._snapshot(task, now))
        await self.db.flush()
        await self.audit(
            "task.update", patient, "care_task", task.id, version=task.version, changed=changed
        )
        return True

    async def stop(self, patient: ChosenPatient, task: CareTask, reason: str) -> bool:
        """Stop the task from now on; its past stays. False when it was already stopped."""
        self.writable(patient)
        if task.stopped_at is not None:
            return False
        task.stopped_at = self.now()
        task.stopped_by = self.me.user_id
        task.stop_reason = reason.strip() or None
        await self.db.flush()
        await self.audit("task.stop", patient, "care_task", task.id, reason=task.stop_reason)
        return True

    def may_record(self, task: CareTask, at: datetime) -> bool:
        """`at` is an occurrence of the task, today or before (not one still days away)."""
        if at > self.now() + AHEAD_LIMIT:
            return False
        return is_occurrence(
            schedule_of(task),
            at,
            self.me.zone,
            active_from=task.created_at,
            stopped_at=task.stopped_at,
        )

    async def complete(
        self, patient: ChosenPatient, task: CareTask, at: datetime, outcome: str, note: str
    ) -> CareTaskCompletion | None:
        """Record one occurrence done or skipped. None when it was already recorded (a
        double tick, or a colleague a moment earlier): nothing is written then."""
        self.writable(patient)
        now = self.now()
        row_id = new_id()
        statement = (
            pg_insert(CareTaskCompletion)
            .values(
                tenant_id=self.me.tenant_id,
                id=row_id,
                task_id=task.id,
                patient_id=patient.id,
                due_at=at.astimezone(UTC),
                outcome=outcome,
                note=note.strip(),
                recorded_by=self.me.user_id,
                recorded_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["tenant_id", "task_id", "due_at"],
                index_where=CareTaskCompletion.undone_at.is_(None),
            )
            .returning(CareTaskCompletion.id)
        )
        inserted = await self.db.scalar(statement)
        if inserted is None:
            return None
        await self.audit(
            "task.done",
            patient,
            "care_task_completion",
            row_id,
            task_id=str(task.id),
            due_at=at.astimezone(UTC).isoformat(),
            outcome=outcome,
        )
        return await self.completions.get_one(
            statement=self.completions.statement.where(CareTaskCompletion.id == row_id)
        )

    async def live_completion(self, task: CareTask, at: datetime) -> CareTaskCompletion | None:
        statement = self.completions.statement.where(
            CareTaskCompletion.task_id == task.id,
            CareTaskCompletion.due_at == at.astimezone(UTC),
            CareTaskCompletion.undone_at.is_(None),
        )
        return await self.completions.get_one_or_none(statement=statement)

    async def completion(
        self, patient: ChosenPatient, task: CareTask, completion_id: str
    ) -> CareTaskCompletion:
        wanted = parse_uuid(completion_id)
        if wanted is None:
            raise TaskGone()
        statement = self.completions.statement.where(
            CareTaskCompletion.id == wanted,
            CareTaskCompletion.task_id == task.id,
            CareTaskCompletion.patient_id == patient.id,
        )
        found = await self.completions.get_one_or_none(statement=statement)
        if found is None:
            raise TaskGone()
        return found

    def can_undo(self, completion: CareTaskCompletion) -> bool:
        """Only who recorded it, only for a few minutes, only once."""
        return (
            completion.undone_at is None
            and completion.recorded_by == self.me.user_id
            and self.now() - completion.recorded_at <= UNDO_WINDOW
        )

    async def undo(self, patient: ChosenPatient, completion: CareTaskCompletion) -> bool:
        """Mark a just-made record undone (kept, with who and when). False when too late,
        not theirs, or already undone."""
        self.writable(patient)
        if not self.can_undo(completion):
            return False
        now = self.now()
        result = await self.db.execute(
            update(CareTaskCompletion)
            .where(
                CareTaskCompletion.tenant_id == completion.tenant_id,
                CareTaskCompletion.id == completion.id,
                CareTaskCompletion.undone_at.is_(None),
            )
            .values(undone_at=now, undone_by=self.me.user_id)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        completion.undone_at = now
        completion.undone_by = self.me.user_id
        await self.audit(
            "task.done",
            patient,
            "care_task_completion",
            completion.id,
            task_id=str(completion.task_id),
            due_at=completion.due_at.astimezone(UTC).isoformat(),
            outcome="undone",
            was=completion.outcome,
        )
        return True
