"""Tenants (care accounts) and each tenant's settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base, TenantOwned, new_id


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TenantSettings(TenantOwned, Base):
    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id"), primary_key=True)
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    idle_timeout_minutes: Mapped[int] = mapped_column(Integer, default=30)
    session_lifetime_hours: Mapped[int] = mapped_column(Integer, default=12)
    require_mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    plan: Mapped[str] = mapped_column(String(40), server_default="complete")
    # How far from its time a scheduled dose may be given before it counts as late.
    dose_window_minutes: Mapped[int] = mapped_column(Integer, server_default="60")
    # How long an urgent alert may stay unacknowledged before it escalates to admins.
    escalate_after_minutes: Mapped[int] = mapped_column(Integer, server_default="15")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
