"""Visits: "since your last visit" for handover, from one row per person and patient."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.access import AccessScope

# Views closer together than this are one visit: a refresh must not hide the handover.
VISIT_GAP = "2 hours"

# One round trip: stamp this view and answer when the previous visit ended. On conflict
# the right-hand sides read the row as it was, so `previous_seen_at` moves on only when
# this view starts a new visit.
_STAMP = text(
    f"""
    INSERT INTO patient_visits (tenant_id, patient_id, user_id, last_seen_at)
    VALUES (:tenant_id, :patient_id, :user_id, :now)
    ON CONFLICT (tenant_id, patient_id, user_id) DO UPDATE SET
        previous_seen_at = CASE
            WHEN patient_visits.last_seen_at < EXCLUDED.last_seen_at - interval '{VISIT_GAP}'
            THEN patient_visits.last_seen_at
            ELSE patient_visits.previous_seen_at END,
        last_seen_at = EXCLUDED.last_seen_at
    RETURNING previous_seen_at
    """
)


async def stamp_visit(
    db: AsyncSession, me: AccessScope, patient_id: uuid.UUID, now: datetime
) -> datetime | None:
    """Record that `me` opened the patient's day; the end of their previous visit, or
    None on a first visit. The caller has checked that `me` may see the patient."""
    params = {
        "tenant_id": me.tenant_id,
        "patient_id": patient_id,
        "user_id": me.user_id,
        "now": now,
    }
    return (await db.execute(_STAMP, params)).scalar_one_or_none()
