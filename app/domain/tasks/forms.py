"""The task, completion and stop forms: what was typed, kept as typed, checked field by field."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from app.domain.tasks.recurrence import Schedule
from app.lib.day_ranges import RECORD_DAYS, DayRange, plan_days
from app.lib.forms import FieldErrors
from app.lib.i18n import _

TITLE_MAX = 120
DETAILS_MAX = 2000
NOTE_MAX = 1000
REASON_MAX = 300
MAX_TIMES = 12
SHOWN_TIMES = 3
MAX_EVERY_DAYS = 365
# A plan is written for now and the months ahead, not for history long past.
START_BACK_LIMIT = timedelta(days=366)
REPEATS = ("weekly", "interval")
OUTCOMES = ("done", "skipped")


def many(value: list[str] | str) -> list[str]:
    """Checkboxes and repeated inputs arrive as one string when only one was sent."""
    return [value] if isinstance(value, str) else list(value)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _time(value: str) -> time | None:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


@dataclass(frozen=True)
class TaskFields:
    """A checked task form: ready to store."""

    title: str
    details: str
    schedule: Schedule
    assignee_id: uuid.UUID | None


@dataclass
class TaskForm:
    title: str = ""
    details: str = ""
    times: list[str] | str = field(default_factory=list)
    repeat: str = "weekly"
    days: list[str] | str = field(default_factory=list)
    every_days: str = ""
    start_date: str = ""
    end_date: str = ""
    assignee: str = ""

    @classmethod
    def blank(cls, day: date) -> TaskForm:
        # Every day from today: the commonest plan, one tap from done.
        return cls(days=[str(d) for d in range(7)], start_date=day.isoformat())

    @classmethod
    def from_task(cls, task: Any) -> TaskForm:
        return cls(
            title=task.title,
            details=task.details,
            times=[t.strftime("%H:%M") for t in sorted(task.times)],
            repeat="interval" if task.every_days is not None else "weekly",
            days=[str(d) for d in sorted(task.days_of_week or [])],
            every_days=str(task.every_days) if task.every_days is not None else "",
            start_date=task.start_date.isoformat(),
            end_date=task.end_date.isoformat() if task.end_date else "",
            assignee=str(task.assignee_id) if task.assignee_id else "",
        )

    def values(self) -> dict[str, Any]:
        """Everything typed, to put back in the form."""
        typed = [value.strip() for value in many(self.times)][:MAX_TIMES]
        filled = [value for value in typed if value]
        shown = max(SHOWN_TIMES, len(filled) + 1)
        return {
            "title": self.title,
            "details": self.details,
            "times": (filled + [""] * shown)[: max(shown, 1)][:MAX_TIMES],
            "repeat": self.repeat if self.repeat in REPEATS else "weekly",
            "days": set(many(self.days)),
            "every_days": self.every_days,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "assignee": self.assignee,
        }

    def checked(
        self, today: date, assignees: set[uuid.UUID], *, original_start: date | None = None
    ) -> tuple[TaskFields | None, FieldErrors]:
        """The cleaned task, or None and the problems keyed by field."""
        errors: FieldErrors = {}
        title = " ".join(self.title.split())
        if not title:
            errors["title"] = _("Enter what needs doing, like “Help to reposition”.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Use at most %(count)s characters.", count=TITLE_MAX)
        details = self.details.strip()
        if len(details) > DETAILS_MAX:
            errors["details"] = _("Use at most %(count)s characters.", count=DETAILS_MAX)

        times: list[time] = []
        for value in many(self.times):
            if not value.strip():
                continue
            parsed = _time(value)
            if parsed is None:
                errors["times"] = _("Enter each time as hours and minutes, like 08:00.")
                break
            times.append(parsed)
        if "times" not in errors and not times:
            errors["times"] = _("Enter at least one time of day.")
        elif len(set(times)) > MAX_TIMES:
            errors["times"] = _("Use at most %(count)s times a day.", count=MAX_TIMES)

        days: frozenset[int] | None = None
        every: int | None = None
        if self.repeat == "interval":
            text = self.every_days.strip()
            if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_EVERY_DAYS:
                errors["every_days"] = _(
                    "Enter a number of days from 1 to %(count)s.", count=MAX_EVERY_DAYS
                )
            else:
                every = int(text)
        elif self.repeat == "weekly":
            chosen = many(self.days)
            if not chosen or not all(d in {str(n) for n in range(7)} for d in chosen):
                errors["days"] = _("Choose at least one day of the week.")
            else:
                days = frozenset(int(d) for d in chosen)
        else:
            errors["repeat"] = _("Choose how often the task repeats.")

        start = _date(self.start_date)
        earliest = min(today - START_BACK_LIMIT, original_start or today)
        plan = plan_days(today)
        if start is None:
            errors["start_date"] = _("Enter the first day, like %(example)s.", example=today)
        elif start < earliest:
            errors["start_date"] = _("Choose a first day within the last year.")
        elif start > plan.latest:
            errors["start_date"] = DayRange(earliest, plan.latest).message()
        end: date | None = None
        if self.end_date.strip():
            end = _date(self.end_date)
            if end is None:
                errors["end_date"] = _(
                    "Enter the last day as a date, or leave it empty for no end."
                )
            elif end not in plan:
                errors["end_date"] = plan.message()
            elif start is not None and end < start:
                errors["end_date"] = _("The last day cannot be before the first day.")

        assignee: uuid.UUID | None = None
        if self.assignee.strip():
            try:
                assignee = uuid.UUID(self.assignee.strip())
            except ValueError:
                assignee = None
            if assignee is None or assignee not in assignees:
                errors["assignee"] = _("Choose someone from this patient's care team, or anyone.")

        if errors or start is None:
            return None, errors
        schedule = Schedule(
            times=tuple(sorted(set(times))),
            start=start,
            end=end,
            days_of_week=days,
            every_days=every,
        )
        return TaskFields(title, details, schedule, assignee), {}


@dataclass
class CompletionForm:
    at: str = ""
    outcome: str = "done"
    note: str = ""
    next: str = ""

    def moment(self) -> datetime | None:
        """The occurrence this is about (a UTC instant the page put in the form)."""
        try:
            parsed = datetime.fromisoformat(self.at.strip())
        except ValueError:
            return None
        if parsed.tzinfo is None or parsed.date() not in RECORD_DAYS:
            return None  # no task falls due then (and year 1 cannot be moved to UTC)
        return parsed

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if self.outcome not in OUTCOMES:
            errors["outcome"] = _("Choose done or skipped.")
        note = self.note.strip()
        if self.outcome == "skipped" and not note:
            errors["note"] = _("Say why it was skipped, so the next carer knows.")
        elif len(note) > NOTE_MAX:
            errors["note"] = _("Use at most %(count)s characters.", count=NOTE_MAX)
        return errors


@dataclass
class UndoForm:
    next: str = ""


@dataclass
class StopForm:
    reason: str = ""

    def errors(self) -> FieldErrors:
        if len(self.reason.strip()) > REASON_MAX:
            return {"reason": _("Use at most %(count)s characters.", count=REASON_MAX)}
        return {}
