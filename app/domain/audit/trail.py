"""Reading a care account's audit trail: one page at a time, or all of it in batches.

Pages are keyed by `seq` (newest first, `seq < before`), so a page costs the same on the
first day and after millions of events; the (tenant_id, actor_id, seq) and (tenant_id,
patient_id, seq) indexes serve the person and patient filters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Membership, TenantSettings, User
from app.domain.audit.filters import AuditFilters

PAGE_SIZE = 50
EXPORT_BATCH = 500


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_name: str | None
    patient_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    route: str | None
    ip: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    older_than: int | None
    """The `before` cursor of the next (older) page; None on the last page."""


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str


class AuditTrail:
    """One care account's events, as its administrators read them. `db` is bound to the
    tenant (RLS); every statement also names the tenant, so the indexes apply."""

    def __init__(self, db: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.db = db
        self.tenant_id = tenant_id

    async def time_zone(self) -> ZoneInfo:
        """The care account's time zone, in which dates are shown and filtered."""
        name = await self.db.scalar(
            select(TenantSettings.time_zone).where(TenantSettings.tenant_id == self.tenant_id)
        )
        try:
            return ZoneInfo(name or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    async def people(self) -> list[Person]:
        """Everyone who is or was a member, for the person filter."""
        rows = await self.db.execute(
            select(User.id, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == self.tenant_id)
            .order_by(User.display_name, User.id)
        )
        return [Person(row.id, row.display_name) for row in rows]

    async def page(
        self,
        filters: AuditFilters,
        tz: ZoneInfo,
        before: int | None = None,
        size: int = PAGE_SIZE,
    ) -> AuditPage:
        """Up to `size` events older than `before` (or the newest), newest first."""
        statement = self._select(filters, tz).order_by(AuditEvent.seq.desc()).limit(size + 1)
        if before is not None:
            statement = statement.where(AuditEvent.seq < before)
        entries = [_entry(row) for row in await self.db.execute(statement)]
        more = len(entries) > size
        entries = entries[:size]
        return AuditPage(entries, entries[-1].seq if more else None)

    async def newest_seq(self) -> int:
        statement = select(func.coalesce(func.max(AuditEvent.seq), 0)).where(
            AuditEvent.tenant_id == self.tenant_id
        )
        return int(await self.db.scalar(statement) or 0)

    async def batches(
        self, filters: AuditFilters, tz: ZoneInfo, upto: int, size: int = EXPORT_BATCH
    ) -> AsyncIterator[list[AuditEntry]]:
        """Every matching event up to `upto`, oldest first, `size` at a time.

        Each batch is its own short transaction (events never change once written), so a
        long export holds no snapshot and no connection while the client reads.
        """
        after = 0
        while True:
            statement = (
                self._select(filters, tz)
                .where(AuditEvent.seq > after, AuditEvent.seq <= upto)
                .order_by(AuditEvent.seq)
                .limit(size)
            )
            entries = [_entry(row) for row in await self.db.execute(statement)]
            await self.db.rollback()  # nothing was written: end the read, free the connection
            if not entries:
                return
            yield entries
            after = entries[-1].seq

    def _select(self, filters: AuditFilters, tz: ZoneInfo) -> Select:
        statement = (
            select(
                AuditEvent.seq,
                AuditEvent.occurred_at,
                AuditEvent.actor_id,
                User.display_name.label("actor_name"),
                AuditEvent.patient_id,
                AuditEvent.action,
                AuditEvent.object_type,
                AuditEvent.object_id,
                AuditEvent.route,
                AuditEvent.ip,
                AuditEvent.detail,
            )
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.tenant_id == self.tenant_id)
        )
        if filters.actor_id is not None:
            statement = statement.where(AuditEvent.actor_id == filters.actor_id)
        if filters.patient_id is not None:
            statement = statement.where(AuditEvent.patient_id == filters.patient_id)
        if filters.action is not None:
            statement = statement.where(AuditEvent.action == filters.action)
        start, end = filters.window(tz)
        if start is not None:
            statement = statement.where(AuditEvent.occurred_at >= start)
        if end is not None:
            statement = statement.where(AuditEvent.occurred_at < end)
        return statement


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        patient_id=row.patient_id,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        route=row.route,
        ip=str(row.ip) if row.ip is not None else None,
        detail=row.detail or {},
    )
