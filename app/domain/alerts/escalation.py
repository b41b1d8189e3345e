"""Escalation: urgent alerts still open when their time comes are flagged to admins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The partial index ix_alerts_escalation_due holds exactly the candidates, so this is one
# index range however many alerts the care account has; `escalated_at IS NULL` makes a
# second run (or a second worker) find nothing left to do.
_ESCALATE = text(
    """
    UPDATE alerts
       SET escalated_at = :now
     WHERE tenant_id = :tenant_id
       AND state = 'open'
       AND escalated_at IS NULL
       AND escalate_at IS NOT NULL
       AND escalate_at <= :now
    RETURNING id
    """
)


async def escalate_due(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    """Unscoped, for the worker (the caller has bound `db` to `tenant_id`): stamp every
    open urgent alert whose escalation time has come as escalated; how many were."""
    found = await db.execute(_ESCALATE, {"tenant_id": tenant_id, "now": now})
    return len(found.all())
