"""How fast the care team answers alerts: the admins' figures over the last 30 days."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DAYS = 30
DAY = timedelta(hours=24)

# One pass over one index range (ix_alerts_raised: tenant_id, raised_at). Medians are
# computed by the database (percentile_cont), in seconds. The share resolved within 24 h
# counts only alerts that have had their 24 hours, or were resolved sooner: an alert
# raised an hour ago and still open has not failed yet.
_FIGURES = text(
    """
    SELECT count(*) AS raised,
           count(*) FILTER (WHERE severity = 'urgent') AS urgent,
           count(*) FILTER (WHERE severity = 'warning') AS warning,
           count(*) FILTER (WHERE severity = 'info') AS info,
           count(*) FILTER (WHERE escalated_at IS NOT NULL) AS escalated,
           count(*) FILTER (WHERE state <> 'resolved') AS unresolved,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM acknowledged_at - raised_at)
           ) FILTER (WHERE acknowledged_at IS NOT NULL) AS median_acknowledge,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM resolved_at - raised_at)
           ) FILTER (WHERE resolved_at IS NOT NULL) AS median_resolve,
           count(*) FILTER (WHERE resolved_at IS NOT NULL AND resolved_at - raised_at <= :day)
               AS within_day,
           count(*) FILTER (WHERE resolved_at - raised_at <= :day OR raised_at <= :day_ago)
               AS judged
      FROM alerts
     WHERE tenant_id = :tenant_id
       AND raised_at >= :since
       AND raised_at <= :now
    """
)


@dataclass(frozen=True)
class Figures:
    raised: int
    by_severity: dict[str, int]
    escalated: int
    unresolved: int
    median_acknowledge: timedelta | None
    median_resolve: timedelta | None
    within_day: int
    judged: int

    @property
    def share_within_day(self) -> float | None:
        """Of alerts that have had 24 hours, the share resolved within them."""
        return self.within_day / self.judged if self.judged else None


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=float(value)) if value is not None else None


async def alert_figures(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> Figures:
    """The care account's alert figures for the 30 days up to `now`."""
    row = (
        await db.execute(
            _FIGURES,
            {
                "tenant_id": tenant_id,
                "since": now - timedelta(days=DAYS),
                "now": now,
                "day": DAY,
                "day_ago": now - DAY,
            },
        )
    ).one()
    return Figures(
        raised=row.raised,
        by_severity={"urgent": row.urgent, "warning": row.warning, "info": row.info},
        escalated=row.escalated,
        unresolved=row.unresolved,
        median_acknowledge=_seconds(row.median_acknowledge),
        median_resolve=_seconds(row.median_resolve),
        within_day=row.within_day,
        judged=row.judged,
    )
