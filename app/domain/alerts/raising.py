"""Raising an alert: in the caller's transaction, once per cause.

The alert commits with what caused it or not at all, so none is ever lost and none
outlives a rolled-back cause. A `dedupe_key` names the cause (e.g. one dose of one
medicine); raising it again, from a retry or a second worker, adds nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.base import new_id
from app.domain.alerts.kinds import ESCALATES_AT_ONCE, SEVERITY, Kind, Severity

# One round trip. Urgent alerts get their escalation time from the care account's
# setting; those that escalate at once are stamped escalated already.
_RAISE = text(
    """
    INSERT INTO alerts (tenant_id, id, patient_id, kind, severity, params, detail, link,
                        dedupe_key, raised_by, escalate_at, escalated_at)
    SELECT :tenant_id, :id, :patient_id, :kind, :severity, CAST(:params AS jsonb), :detail,
           :link, :dedupe_key, :raised_by,
           CASE WHEN CAST(:urgent AS boolean)
                THEN now() + make_interval(mins => ts.escalate_after_minutes) END,
           CASE WHEN CAST(:at_once AS boolean) THEN now() END
      FROM tenant_settings ts
     WHERE ts.tenant_id = :tenant_id
    ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
    RETURNING id
    """
)


async def raise_alert(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    kind: Kind,
    params: dict[str, Any] | None = None,
    detail: str | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
    raised_by: uuid.UUID | None = None,
    severity: Severity | None = None,
) -> uuid.UUID | None:
    """Insert the alert in `db`'s transaction (bound to `tenant_id`); its id, or None when
    an alert with this `dedupe_key` exists already. `raised_by` is None for the system."""
    chosen = severity or SEVERITY[kind]
    found = await db.execute(
        _RAISE,
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "patient_id": patient_id,
            "kind": str(kind),
            "severity": str(chosen),
            "urgent": chosen == Severity.URGENT,
            "params": json.dumps(params or {}, ensure_ascii=False),
            "detail": detail,
            "link": link,
            "dedupe_key": dedupe_key,
            "raised_by": raised_by,
            "at_once": kind in ESCALATES_AT_ONCE,
        },
    )
    return found.scalar_one_or_none()
