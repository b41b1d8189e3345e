"""Care-plan tasks as the signed-in person may see and change them; every read and write
audited in the same transaction.

Repositories here cannot be built without an access scope: their base statement carries
the tenant filter and the patients `me` may see (`visible_to`), so even `get()` is scoped.
The module-level query functions take the same scope and serve the Today page and the
patient list too (app/domain/tasks/today.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from sqlalchemy import Select, and_, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, Patient, PatientAccess, Role, User
from app.db.models.base import new_id
from app.db.models.tasks import CareTask, CareTaskCompletion, CareTaskVersion
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.repository import visible_to
from app.domain.tasks.forms import TaskFields
from app.domain.tasks.recurrence import Schedule, day_bounds, is_occurrence, occurrences
from app.lib.i18n import _

# An occurrence is "due" from its time for this long, then "overdue" until recorded.
DUE_GRACE = timedelta(minutes=60)
# Who ticked something may take it back this long afterwards (a slip of the thumb).
UNDO_WINDOW = timedelta(minutes=5)
HISTORY_PAGE = 30
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


def schedule_of(task: CareTask | CareTaskVersion) -> Schedule:
    return Schedule(
        times=tuple(task.times),
        start=task.start_date,
        end=task.end_date,
        days_of_week=frozenset(task.days_of_week) if task.days_of_week is not None else None,
        every_days=task.every_days,
    )


# -- Scoped statements ------------------------------------------------------------------


def _patient_visible(me: AccessScope, patient_id: Any) -> Any:
    return visible_to(me).where(Patient.id == patient_id).exists()


def scoped_tasks(me: AccessScope) -> Select[tuple[CareTask]]:
    """Tasks of the patients `me` may see, in `me`'s tenant."""
    return select(CareTask).where(
        CareTask.tenant_id == me.tenant_id, _patient_visible(me, CareTask.patient_id)
    )


def scoped_completions(me: AccessScope) -> Select[tuple[CareTaskCompletion]]:
    return select(CareTaskCompletion).where(
        CareTaskCompletion.tenant_id == me.tenant_id,
        _patient_visible(me, CareTaskCompletion.patient_id),
    )


class TaskRepository(SQLAlchemyAsyncRepository[CareTask]):
    """Care-plan tasks as `me` may see them (no entity cache: it would ignore the scope)."""

    model_type = CareTask

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)
        super().__init__(statement=scoped_tasks(me), **kwargs)
        self.me = me


class CompletionRepository(SQLAlchemyAsyncRepository[CareTaskCompletion]):
    model_type = CareTaskCompletion

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)
        super().__init__(statement=scoped_completions(me), **kwargs)
        self.me = me


# -- Occurrences ------------------------------------------------------------------------


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


# -- The service ------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPage:
    rows: list[tuple[CareTaskCompletion, str]]
    next_cursor: str | None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _cursor(completion: CareTaskCompletion) -> str:
    """Where the next page starts: the last row's (occurrence time, id), URL-safe."""
    return f"{(completion.due_at - EPOCH) // MICROSECOND}~{completion.id}"


def _parse_cursor(value: str | None) -> tuple[datetime, uuid.UUID] | None:
    moment, _sep, ident = (value or "").partition("~")
    try:
        return EPOCH + int(moment) * MICROSECOND, uuid.UUID(ident)
    except (ValueError, OverflowError):
        return None  # a mangled "older" link starts again from the newest


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
        statement = (
            select(CareTaskCompletion, CareTask.title)
            .join(
                CareTask,
                and_(
                    CareTask.tenant_id == CareTaskCompletion.tenant_id,
                    CareTask.id == CareTaskCompletion.task_id,
                ),
            )
            .where(
                CareTaskCompletion.tenant_id == self.me.tenant_id,
                CareTaskCompletion.patient_id == patient.id,
                _patient_visible(self.me, CareTaskCompletion.patient_id),
            )
        )
        after = _parse_cursor(cursor)
        if after is not None:
            statement = statement.where(
                tuple_(CareTaskCompletion.due_at, CareTaskCompletion.id) < tuple_(*after)
            )
        statement = statement.order_by(
            CareTaskCompletion.due_at.desc(), CareTaskCompletion.id.desc()
        ).limit(HISTORY_PAGE + 1)
        rows = [(row[0], row[1]) for row in await self.db.execute(statement)]
        more = len(rows) > HISTORY_PAGE
        rows = rows[:HISTORY_PAGE]
        return HistoryPage(rows, _cursor(rows[-1][0]) if more and rows else None)

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
