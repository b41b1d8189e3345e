"""Reading medicine and dose rows: a medicine's regimen, and each dose's current record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.medications.schedule import Regimen, parse_times


def regimen_of(medicine: Medication) -> Regimen:
    return Regimen(
        times=parse_times(medicine.times),
        starts_on=medicine.starts_on,
        ends_on=medicine.ends_on,
        stopped_at=medicine.stopped_at,
        days=medicine.days,
        prn=medicine.prn,
    )


def current_records(rows: list[MedicationAdministration]) -> dict[uuid.UUID, Any]:
    """The outcome of each dose: its newest row, keyed by the original record's id."""
    newest: dict[uuid.UUID, MedicationAdministration] = {}
    for row in sorted(
        rows, key=lambda r: (r.recorded_at or datetime.min.replace(tzinfo=UTC), r.id)
    ):
        newest[row.corrects_id or row.id] = row
    return newest
