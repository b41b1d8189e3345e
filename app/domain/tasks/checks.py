"""The periodic task check: an occurrence overdue with nothing recorded raises one
"task overdue" alert. Run by the worker (app/domain/jobs), one care account at a time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, TenantSettings
from app.db.models.tasks import CareTask, CareTaskCompletion
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.billing.plans import includes
from app.domain.tasks.occurrences import DUE_GRACE, occurrences_of

# Only occurrences that became overdue this recently are checked (no flood on a first run).
LOOKBACK = timedelta(hours=24)


# Matches the expression of ix_care_tasks_until (migration 0011).
def _until():  # type: ignore[no-untyped-def]
    return func.coalesce(CareTask.stopped_at, literal_column("'infinity'::timestamptz"))


async def raise_overdue_tasks(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    """Raise a TASK_OVERDUE alert for each occurrence of `tenant_id`'s tasks that became
    overdue in the last day with no live completion; how many were newly raised.
    Unscoped: the caller binds `db` to the tenant and owns the transaction."""
    found = (
        await db.execute(
            select(TenantSettings.time_zone, TenantSettings.plan).where(
                TenantSettings.tenant_id == tenant_id
            )
        )
    ).one_or_none()
    if found is None or not includes(found.plan, "tasks"):
        return 0
    zone = _zone(found.time_zone)
    # Overdue once DUE_GRACE has passed since its time (Occurrence.state), so up to and
    # including now - DUE_GRACE: the end of the half-open range is just after it.
    end = now - DUE_GRACE + timedelta(microseconds=1)
    begin = end - LOOKBACK
    tasks = (
        await db.scalars(
            select(CareTask)
            .join(
                Patient,
                and_(Patient.tenant_id == CareTask.tenant_id, Patient.id == CareTask.patient_id),
            )
            .where(
                CareTask.tenant_id == tenant_id,
                _until() > begin,
                CareTask.start_date <= end.astimezone(zone).date(),
                (CareTask.end_date.is_(None))
                | (CareTask.end_date >= begin.astimezone(zone).date()),
                CareTask.created_at < end,
                Patient.archived_at.is_(None),
            )
            .order_by(CareTask.id)
        )
    ).all()
    if not tasks:
        return 0
    # Read through the one-live-record-per-occurrence unique index.
    completions = (
        await db.scalars(
            select(CareTaskCompletion).where(
                CareTaskCompletion.tenant_id == tenant_id,
                CareTaskCompletion.task_id.in_([t.id for t in tasks]),
                CareTaskCompletion.due_at >= begin,
                CareTaskCompletion.due_at < end,
                CareTaskCompletion.undone_at.is_(None),
            )
        )
    ).all()
    raised = 0
    for occurrence in occurrences_of(tasks, completions, begin, end, zone):
        if occurrence.state(now) != "overdue":
            continue
        task = occurrence.task
        alert = await raise_alert(
            db,
            tenant_id=tenant_id,
            patient_id=task.patient_id,
            kind=Kind.TASK_OVERDUE,
            params={"task": task.title, "due": occurrence.at.isoformat()},
            link=f"/patients/{task.patient_id}/tasks/today",
            dedupe_key=f"task-overdue:{task.id}:{occurrence.at.isoformat()}",
        )
        raised += alert is not None
    return raised


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
