"""Escalation: an urgent alert still open at its `escalate_at` is marked escalated (the
administrators' view picks it up). Run every minute by the worker (app/domain/jobs)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Served by ix_alerts_escalation_due; a second run, or a second worker, finds nothing left.
_ESCALATE = text(
    """
    UPDATE alerts SET escalated_at = :now
     WHERE tenant_id = :tenant_id AND state = 'open' AND severity = 'urgent'
       AND escalated_at IS NULL AND escalate_at <= :now
    RETURNING id
    """
)


async def escalate_due(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    """Escalate `tenant_id`'s open urgent alerts that are past `escalate_at`, in the
    caller's transaction; how many were escalated."""
    return len((await db.execute(_ESCALATE, {"tenant_id": tenant_id, "now": now})).all())
