"""The vitals card's one query: the patient's latest current set, and the latest with a
NEWS2 (often the same set).

Built once per kind of person (`app.domain.today.bound`) from `observations_visible_to`:
the tenant filter and the patients `me` may see. Each half is a backward scan of
(tenant_id, patient_id, taken_at) stopped by its LIMIT 1: the cost does not grow with
the patient's history.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, literal_column, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.vitals import VitalsObservation
from app.domain.identity.access import AccessScope
from app.domain.today.bound import per_kind, scope_params
from app.domain.vitals.services import observations_visible_to

LATEST, SCORED = 0, 1


def _latest_and_scored(me: AccessScope) -> CompoundSelect:
    def newest(kind: int):  # type: ignore[no-untyped-def]
        return (
            observations_visible_to(me)
            .with_only_columns(
                literal_column(str(kind)).label("kind"), *VitalsObservation.__table__.columns
            )
            .where(
                VitalsObservation.patient_id == bindparam("patient_id"),
                VitalsObservation.superseded_at.is_(None),
            )
            .order_by(VitalsObservation.taken_at.desc())
            # LIMIT 1 written into the SQL, not a parameter: PostgreSQL then keeps one
            # generic plan for the prepared statement instead of planning every run.
            .limit(literal_column("1"))
        )

    return union_all(newest(LATEST), newest(SCORED).where(VitalsObservation.news2.is_not(None)))


_STATEMENT = per_kind(_latest_and_scored)


async def latest_and_scored(
    db: AsyncSession, me: AccessScope, patient_id: uuid.UUID
) -> tuple[Row[Any] | None, Row[Any] | None]:
    """The newest current set and the newest current set with a NEWS2 (as
    `VitalsService.latest`, unscored and scored), or None for each. One round trip."""
    found: list[Row[Any] | None] = [None, None]
    for row in await db.execute(_STATEMENT[me.is_admin], scope_params(me, patient_id=patient_id)):
        found[row.kind] = row
    return found[0], found[1]
