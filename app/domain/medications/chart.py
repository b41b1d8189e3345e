"""The MAR chart: each medicine's doses on each day, with their outcomes, display-ready."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from app.db.models.medications import Medication, MedicationAdministration
from app.domain.medications.chart_data import ChartData
from app.domain.medications.records import regimen_of
from app.domain.medications.rules import dose_state
from app.domain.medications.schedule import day_bounds, doses_on
from app.domain.medications.views import medicine_view, record_view, show_time
from app.domain.patients.dates import show_day
from app.lib.i18n import _


def runs_between(medicine: Medication, first: date, last: date, start: datetime) -> bool:
    if medicine.starts_on > last or (medicine.ends_on is not None and medicine.ends_on < first):
        return False
    return medicine.stopped_at is None or medicine.stopped_at >= start


def _state_label(state: str) -> str:
    labels = {
        "upcoming": _("To come"),
        "due": _("Due now"),
        "overdue": _("Not recorded"),
    }
    return labels[state]


def chart_days(
    data: ChartData, days: list[date], zone: ZoneInfo, now: datetime, window: int, base: str
) -> list[dict[str, Any]]:
    """Rows of medicines; in each, one cell per day holding that day's doses."""
    start, _end = day_bounds(days[0], zone)
    by_dose: dict[tuple[uuid.UUID, datetime], MedicationAdministration] = {}
    prn: dict[tuple[uuid.UUID, date], list[MedicationAdministration]] = defaultdict(list)
    for row in data.records.values():
        if row.scheduled_for is not None:
            by_dose[(row.medication_id, row.scheduled_for)] = row
        else:
            prn[(row.medication_id, row.dose_at.astimezone(zone).date())].append(row)
    rows = []
    for medicine in data.medicines:
        if not runs_between(medicine, days[0], days[-1], start):
            continue
        regimen = regimen_of(medicine)
        cells = []
        for day in days:
            items = []
            for moment in doses_on(regimen, day, zone):
                found = by_dose.get((medicine.id, moment))
                # Quoted: the "+" of the time's offset would come back a space.
                dose_url = f"{base}/dose?medication={medicine.id}&at={quote(moment.isoformat())}"
                item: dict[str, Any] = {
                    "record": None,
                    "state": None,
                    "state_label": None,
                    "correct_url": None,
                    "time": show_time(moment, zone),
                    "at": moment.isoformat(),
                    "record_url": dose_url,
                }
                if found is not None:
                    item["record"] = record_view(found, zone, data.people)
                    item["correct_url"] = f"{dose_url}&corrects={found.corrects_id or found.id}"
                else:
                    item["state"] = dose_state(moment, now, window)
                    item["state_label"] = _state_label(item["state"])
                items.append(item)
            for row in sorted(prn.get((medicine.id, day), []), key=lambda r: r.dose_at):
                items.append(
                    {
                        "time": show_time(row.dose_at, zone),
                        "record": record_view(row, zone, data.people),
                        "state": None,
                        "state_label": None,
                        "record_url": None,
                        "correct_url": None,
                    }
                )
            cells.append({"day": day.isoformat(), "items": items})
        rows.append({"medicine": medicine_view(medicine, zone), "cells": cells})
    return rows


def day_columns(days: list[date]) -> list[dict[str, str]]:
    return [{"iso": d.isoformat(), "label": show_day(d)} for d in days]


def week_of(day: date) -> list[date]:
    first = day - timedelta(days=day.weekday())
    return [first + timedelta(days=n) for n in range(7)]
