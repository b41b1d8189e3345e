"""The audit page's filters: read from the query string, checked, and turned into a window."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.lib.day_ranges import RECORD_DAYS
from app.lib.forms import FieldErrors
from app.lib.i18n import _

MAX_ACTION = 40  # audit_events.action
MAX_SEQ = 2**63 - 1  # audit_events.seq is a bigint: a larger cursor is refused (400)


@dataclass(frozen=True)
class AuditFilters:
    """Which events to show; an unset filter lets every event through."""

    actor_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.actor_id, self.patient_id, self.action, self.date_from, self.date_to)
        )

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for links that keep them (paging, export)."""
        values = {
            "person": self.actor_id,
            "patient": self.patient_id,
            "action": self.action,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {key: str(value) for key, value in values.items() if value is not None}

    def window(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """[start, end) in absolute time: whole days from `date_from` to `date_to`,
        counted in the care account's time zone, not the server's or UTC."""
        start = datetime.combine(self.date_from, time.min, tzinfo=tz) if self.date_from else None
        end = (
            datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=tz)
            if self.date_to
            else None
        )
        return start, end


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _date(raw: str) -> date | None:
    """The day; one beyond every record (0001-01-01, 9999-12-31) is the range's nearest
    end, which shows the same events and leaves room for the day after."""
    try:
        return RECORD_DAYS.nearest(date.fromisoformat(raw))
    except ValueError:
        return None


def parse_filters(
    person: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> tuple[AuditFilters, FieldErrors]:
    """The filters, and an error beside each value that is not in the expected form.

    An empty value means "no filter", as an untouched form field sends it.
    """
    errors: FieldErrors = {}
    values: dict[str, Any] = {}
    if person := (person or "").strip():
        values["actor_id"] = _uuid(person)
        if values["actor_id"] is None:
            errors["person"] = _("Choose a person from the list.")
    if patient := (patient or "").strip():
        values["patient_id"] = _uuid(patient)
        if values["patient_id"] is None:
            errors["patient"] = _("This patient link is not valid. Show everyone instead.")
    if action := (action or "").strip():
        if len(action) > MAX_ACTION:
            errors["action"] = _("Choose an action from the list.")
        else:
            values["action"] = action
    for name, raw in (("from", date_from), ("to", date_to)):
        if raw := (raw or "").strip():
            values[f"date_{name}"] = _date(raw)
            if values[f"date_{name}"] is None:
                errors[name] = _("Enter a date, like 2025-03-31.")
    start, end = values.get("date_from"), values.get("date_to")
    if start and end and start > end:
        errors["to"] = _("The end date must be on or after the start date.")
    if errors:
        return AuditFilters(), errors
    return AuditFilters(**values), errors
