"""Tables of the tasks module: care-plan tasks, every version of them, and what was done.

A task row holds the current wording and schedule; each save (the first included) also
writes a `care_task_versions` row, so an edit never loses what the plan said before, who
changed it or when. Stopping sets `stopped_at`: the task and its history stay.
A completion is one occurrence done or skipped; an undo marks it undone (kept), and the
partial unique index allows one live completion per occurrence.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base, TenantOwned, new_id


class _Plan:
    """The columns a task and each of its versions share: what the plan says."""

    title: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text, default="")
    times: Mapped[list[time]] = mapped_column(ARRAY(Time))
    days_of_week: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    every_days: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class CareTask(_Plan, TenantOwned, Base):
    __tablename__ = "care_tasks"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    stop_reason: Mapped[str | None] = mapped_column(String(300))


class CareTaskVersion(_Plan, TenantOwned, Base):
    __tablename__ = "care_task_versions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "task_id"], ["care_tasks.tenant_id", "care_tasks.id"]),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CareTaskCompletion(TenantOwned, Base):
    __tablename__ = "care_task_completions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "task_id"], ["care_tasks.tenant_id", "care_tasks.id"]),
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
