"""The vitals card of the Today page, and the latest NEWS2 of each of a carer's patients.

Display-ready, and unaudited: the Today page audits its one view of the patient itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.vitals import VitalsObservation
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.dates import show_moment
from app.domain.vitals.display import score_view, set_view
from app.domain.vitals.news2 import Risk
from app.domain.vitals.services import observations_visible_to
from app.domain.vitals.today_queries import latest_and_scored
from app.lib.i18n import _

# A set scoring 5 or more, or 3 in one parameter, asks for hourly observations (RCP).
RECHECK = timedelta(hours=1)


def _due(
    latest: VitalsObservation | None,
    scored: VitalsObservation | None,
    now: datetime,
    me: AccessScope,
) -> str | None:
    """Why a set is due now, or None."""
    if latest is None:
        return _("No vitals yet — record the first set.")
    if latest.taken_at.astimezone(me.zone).date() != now.astimezone(me.zone).date():
        return _("No vitals recorded today.")
    urgent = scored is not None and scored.news2_risk in (Risk.LOW_MEDIUM, Risk.MEDIUM, Risk.HIGH)
    if urgent and scored is not None and now - scored.taken_at >= RECHECK:
        return _("NEWS2 was raised: check the vitals again (at least every hour).")
    return None


async def today_section(
    db: AsyncSession, me: AccessScope, patient: ChosenPatient, now: datetime
) -> dict[str, Any]:
    """The latest set with its NEWS2, band and time, and whether a set is due."""
    latest, scored = await latest_and_scored(db, me, patient.id)
    latest_view = set_view(latest, me.zone) if latest else None
    score_is_latest = scored is not None and latest is not None and scored.id == latest.id
    # Usually the latest set is the scored one: shown once, not formatted twice.
    score_view = latest_view if score_is_latest else set_view(scored, me.zone) if scored else None
    return {
        "latest": latest_view,
        "score": score_view,
        "score_is_latest": score_is_latest,
        "due": _due(latest, scored, now, me),
        "url": f"/patients/{patient.id}/vitals",
    }


async def latest_scores(
    db: AsyncSession, me: AccessScope, patient_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The latest NEWS2 and band of each patient `me` may see, in one query (DISTINCT ON
    over the (tenant_id, patient_id, taken_at) index). Patients with none are left out."""
    if not patient_ids:
        return {}
    statement = (
        observations_visible_to(me)
        .where(
            VitalsObservation.patient_id.in_(patient_ids),
            VitalsObservation.superseded_at.is_(None),
            VitalsObservation.news2.is_not(None),
        )
        .ext(distinct_on(VitalsObservation.patient_id))
        .order_by(VitalsObservation.patient_id, VitalsObservation.taken_at.desc())
    )
    rows = (await db.scalars(statement)).all()
    return {
        row.patient_id: {
            "news2": row.news2,
            "risk": row.news2_risk,
            "taken_at": row.taken_at,
            "when": show_moment(row.taken_at, me.zone),
            "score": score_view(row.news2, row.news2_risk, []),
        }
        for row in rows
    }
