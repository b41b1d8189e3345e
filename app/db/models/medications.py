"""Tables of the medications module: medicines, their earlier versions, and dose outcomes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base, TenantOwned, new_id


class Medication(TenantOwned, Base):
    """A medicine on a patient's list: changed in place, each version kept in
    `medication_versions`; stopped, never deleted."""

    __tablename__ = "medications"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str] = mapped_column(String(100), default="")
    form: Mapped[str] = mapped_column(String(20))
    dose: Mapped[str] = mapped_column(String(100))
    route: Mapped[str] = mapped_column(String(20))
    instructions: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    prn: Mapped[bool] = mapped_column(Boolean, default=False)
    # Local wall-clock times "HH:MM" in the care account's zone; weekdays as bits, Monday = 1.
    times: Mapped[list[str]] = mapped_column(ARRAY(String(5)), default=list)
    days: Mapped[int] = mapped_column(SmallInteger, default=127)
    prn_reason: Mapped[str] = mapped_column(String(300), default="")
    min_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    controlled: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    stop_reason: Mapped[str | None] = mapped_column(String(500))


class MedicationVersion(TenantOwned, Base):
    """Each version of a medicine as it was saved, by whom and when."""

    __tablename__ = "medication_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "medication_id"], ["medications.tenant_id", "medications.id"]
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    medication_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MedicationAdministration(TenantOwned, Base):
    """One outcome of one dose. A correction is a new row pointing at the original
    (`corrects_id`), which stays as it was; the newest row of a dose is its outcome."""

    __tablename__ = "medication_administrations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "medication_id"], ["medications.tenant_id", "medications.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "corrects_id"],
            ["medication_administrations.tenant_id", "medication_administrations.id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    medication_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The scheduled moment (None for PRN); `dose_at` is it, or the time a PRN dose was given,
    # so the chart reads one index range.
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dose_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    prn_reason: Mapped[str] = mapped_column(String(300), default="")
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    witness_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    effect: Mapped[str | None] = mapped_column(String(20))
    effect_note: Mapped[str] = mapped_column(Text, default="")
    effect_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    effect_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
