"""The rules that raise alerts from care records, called where the record is written.

Each rule runs in the transaction of its cause (a vitals set, a dose record), so the alert
commits with it or not at all. Each names its cause in a `dedupe_key`, so a retry or a
correction of the same cause adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.alerts import Alert
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.vitals.news2 import News2

NOT_GIVEN = frozenset({"refused", "missed"})


def news2_kind(result: News2 | None) -> Kind | None:
    """The one rule a scored set meets, the highest first; None when none applies."""
    if result is None:
        return None
    if result.total >= 7:
        return Kind.NEWS2_HIGH
    if result.total >= 5:
        return Kind.NEWS2_MEDIUM
    if result.single_three:
        return Kind.NEWS2_SINGLE
    return None


def news2_key(kind: Kind, original_id: uuid.UUID) -> str:
    """One alert per set as first taken: a correction keeps its original's key.

    A high score has a key of its own, so a correction that turns a medium set into a
    high one still raises the alert that escalates at once; a lower or equal correction
    finds the alert already raised.
    """
    prefix = "news2-high" if kind == Kind.NEWS2_HIGH else "news2"
    return f"{prefix}:{original_id}"


async def raise_for_vitals(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    set_id: uuid.UUID,
    original_id: uuid.UUID,
    result: News2 | None,
) -> uuid.UUID | None:
    """Raise the set's alert if its NEWS2 calls for one; the alert's id, or None."""
    kind = news2_kind(result)
    if kind is None or result is None:
        return None
    if kind != Kind.NEWS2_HIGH and original_id != set_id:
        # A correction below 7 of a set that already raised the high alert adds nothing.
        already = await db.scalar(
            select(Alert.id).where(
                Alert.tenant_id == tenant_id,
                Alert.dedupe_key == news2_key(Kind.NEWS2_HIGH, original_id),
            )
        )
        if already is not None:
            return None
    threes = [name for name, points in result.parts.items() if points == 3]
    return await raise_alert(
        db,
        tenant_id=tenant_id,
        patient_id=patient_id,
        kind=kind,
        params={"score": result.total, "band": str(result.risk), "threes": threes},
        link=f"/patients/{patient_id}/vitals/sets/{set_id}",
        dedupe_key=news2_key(kind, original_id),
    )


async def raise_for_dose(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
    medicine: str,
    outcome: str,
    scheduled: datetime | None,
    record_id: uuid.UUID,
    dose_at: datetime,
    zone: ZoneInfo,
) -> uuid.UUID | None:
    """A dose recorded refused or missed raises one warning per dose (a scheduled dose by
    its time, a PRN dose by its first record); any other outcome raises nothing."""
    if outcome not in NOT_GIVEN:
        return None
    cause = scheduled.isoformat() if scheduled is not None else str(record_id)
    day = dose_at.astimezone(zone).date().isoformat()
    return await raise_alert(
        db,
        tenant_id=tenant_id,
        patient_id=patient_id,
        kind=Kind.DOSE_NOT_GIVEN,
        params={
            "medicine": medicine,
            "outcome": outcome,
            "scheduled": scheduled.isoformat() if scheduled is not None else None,
        },
        link=f"/patients/{patient_id}/medicines/chart?day={day}",
        dedupe_key=f"dose-not-given:{medication_id}:{cause}",
    )
