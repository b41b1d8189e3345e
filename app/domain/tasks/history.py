"""A patient's task history: completions, newest occurrence first, a page at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.tasks import CareTask, CareTaskCompletion
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import sees_patient

HISTORY_PAGE = 30


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


async def history_page(
    db: AsyncSession, me: AccessScope, patient_id: uuid.UUID, cursor: str | None
) -> HistoryPage:
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
            CareTaskCompletion.tenant_id == me.tenant_id,
            CareTaskCompletion.patient_id == patient_id,
            sees_patient(me, CareTaskCompletion.patient_id),
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
    rows = [(row[0], row[1]) for row in await db.execute(statement)]
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    return HistoryPage(rows, _cursor(rows[-1][0]) if more and rows else None)
