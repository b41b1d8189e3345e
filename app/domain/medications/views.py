"""Medicines and doses as pages show them: words, local times, symbols."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.medications.labels import (
    OUTCOME_SYMBOLS,
    effect_label,
    form_label,
    outcome_label,
    route_label,
    weekday_label,
)
from app.domain.medications.schedule import ALL_DAYS
from app.domain.patients.dates import show_day, show_moment
from app.lib.i18n import _, current_locale


def show_time(moment: datetime, zone: ZoneInfo) -> str:
    return format_time(moment, format="short", tzinfo=zone, locale=current_locale())


def interval_text(minutes: int | None) -> str:
    if not minutes:
        return ""
    if minutes % 60 == 0:
        return _("%(hours)s h", hours=minutes // 60)
    return _("%(minutes)s min", minutes=minutes)


def medicine_view(medicine: Medication, zone: ZoneInfo) -> dict[str, Any]:
    days = (
        _("Every day")
        if medicine.days == ALL_DAYS
        else ", ".join(weekday_label(d) for d in range(7) if medicine.days & (1 << d))
    )
    return {
        "id": str(medicine.id),
        "name": medicine.name,
        "strength": medicine.strength,
        "form": form_label(medicine.form),
        "dose": medicine.dose,
        "route": route_label(medicine.route),
        "instructions": medicine.instructions,
        "starts_on": show_day(medicine.starts_on),
        "ends_on": show_day(medicine.ends_on) if medicine.ends_on else None,
        "prn": medicine.prn,
        "times": ", ".join(medicine.times),
        "days": days,
        "prn_reason": medicine.prn_reason,
        "min_interval": interval_text(medicine.min_interval_minutes),
        "max_per_day": medicine.max_per_day,
        "controlled": medicine.controlled,
        "version": medicine.version,
        "stopped": medicine.stopped_at is not None,
        "stopped_at": show_moment(medicine.stopped_at, zone) if medicine.stopped_at else None,
        "stop_reason": medicine.stop_reason,
    }


def record_view(
    row: MedicationAdministration, zone: ZoneInfo, people: dict[uuid.UUID, str]
) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "original_id": str(row.corrects_id or row.id),
        "outcome": row.outcome,
        "outcome_label": outcome_label(row.outcome),
        "symbol": OUTCOME_SYMBOLS.get(row.outcome, "?"),
        "late": row.late,
        "note": row.note,
        "given_at": show_time(row.given_at, zone) if row.given_at else None,
        "by": people.get(row.recorded_by, ""),
        "witness": people.get(row.witness_id) if row.witness_id else None,
        "corrected": row.corrects_id is not None,
        "prn_reason": row.prn_reason,
        "override_reason": row.override_reason,
        "effect": effect_label(row.effect) if row.effect else None,
        "effect_note": row.effect_note,
    }
