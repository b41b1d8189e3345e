"""Tables of the vitals module: observation sets with their NEWS2, and each patient's scale."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base, TenantOwned, new_id


class VitalsObservation(TenantOwned, Base):
    """One set of observations, scored when taken. Never updated but for `superseded_at`:
    a correction is a new row that `replaces_id` the one it corrects."""

    __tablename__ = "vitals_observations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "replaces_id"],
            ["vitals_observations.tenant_id", "vitals_observations.id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    respiration_rate: Mapped[int | None] = mapped_column(SmallInteger)
    spo2: Mapped[int | None] = mapped_column(SmallInteger)
    on_oxygen: Mapped[bool | None] = mapped_column(Boolean)
    systolic: Mapped[int | None] = mapped_column(SmallInteger)
    diastolic: Mapped[int | None] = mapped_column(SmallInteger)
    pulse: Mapped[int | None] = mapped_column(SmallInteger)
    consciousness: Mapped[str | None] = mapped_column(String(1))
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    weight: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    glucose: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    spo2_scale: Mapped[int] = mapped_column(SmallInteger)
    news2: Mapped[int | None] = mapped_column(SmallInteger)
    news2_risk: Mapped[str | None] = mapped_column(String(16))
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VitalsSettings(TenantOwned, Base):
    """The SpO₂ scale a patient is scored on (no row: scale 1)."""

    __tablename__ = "vitals_settings"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "patient_id"], ["patients.tenant_id", "patients.id"]),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    spo2_scale: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
