"""What the task pages show: schedules in words, occurrences as rows, all display-ready.

Times are stored in UTC and shown in the care account's time zone, in the reader's
language (Babel); what carers wrote is shown as written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names
from babel.lists import format_list

from app.db.models.tasks import CareTask, CareTaskCompletion, CareTaskVersion
from app.domain.identity.access import AccessScope
from app.domain.patients.dates import show_day, show_moment
from app.domain.tasks.occurrences import STATE_ORDER, Occurrence, schedule_of
from app.domain.tasks.recurrence import Schedule
from app.domain.tasks.services import UNDO_WINDOW
from app.lib.i18n import _, current_locale, ngettext

WEEKDAYS = frozenset({0, 1, 2, 3, 4})


def show_time(moment: time | datetime, zone: ZoneInfo | None = None) -> str:
    """08:00 or 8:00 AM, as the reader's language writes a time of day."""
    if isinstance(moment, datetime):
        return format_time(moment, format="short", tzinfo=zone, locale=current_locale())
    return format_time(moment, format="short", locale=current_locale())


def _list(items: Iterable[str]) -> str:
    return format_list(list(items), locale=current_locale())


def describe(schedule: Schedule) -> str:
    """The schedule in words: "Every day at 08:00 and 20:00", "Every 7 days at 09:00"."""
    times = _list(show_time(t) for t in schedule.sorted_times)
    if schedule.every_days is not None:
        if schedule.every_days == 1:
            return _("Every day at %(times)s", times=times)
        return ngettext(
            "Every %(num)s day at %(times)s",
            "Every %(num)s days at %(times)s",
            schedule.every_days,
            times=times,
        )
    days = schedule.days_of_week or frozenset()
    if len(days) == 7:
        return _("Every day at %(times)s", times=times)
    if days == WEEKDAYS:
        return _("Weekdays at %(times)s", times=times)
    names = get_day_names("wide", locale=current_locale())
    return _("On %(days)s at %(times)s", days=_list(names[d] for d in sorted(days)), times=times)


def span(schedule: Schedule) -> str:
    if schedule.end is None:
        return _("From %(start)s", start=show_day(schedule.start))
    return _(
        "From %(start)s to %(end)s", start=show_day(schedule.start), end=show_day(schedule.end)
    )


def anyone() -> str:
    return _("Anyone on the team")


def task_card(task: CareTask, names: Mapping[uuid.UUID, str], zone: ZoneInfo) -> dict[str, Any]:
    schedule = schedule_of(task)
    return {
        "id": str(task.id),
        "title": task.title,
        "details": task.details,
        "repeat": describe(schedule),
        "span": span(schedule),
        "assignee": names.get(task.assignee_id, anyone()) if task.assignee_id else anyone(),
        "version": task.version,
        "stopped": show_moment(task.stopped_at, zone) if task.stopped_at else None,
        "stopped_by": names.get(task.stopped_by) if task.stopped_by else None,
        "stop_reason": task.stop_reason or "",
    }


def version_row(
    version: CareTaskVersion, names: Mapping[uuid.UUID, str], zone: ZoneInfo
) -> dict[str, Any]:
    schedule = schedule_of(version)
    return {
        "version": version.version,
        "title": version.title,
        "details": version.details,
        "repeat": describe(schedule),
        "span": span(schedule),
        "assignee": names.get(version.assignee_id, anyone()) if version.assignee_id else anyone(),
        "by": names.get(version.changed_by, ""),
        "when": show_moment(version.changed_at, zone),
    }


def state_label(state: str) -> tuple[str, str]:
    """(icon, word): a state is never shown by colour alone."""
    labels = {
        "overdue": ("⚠", _("Overdue")),
        "due": ("●", _("Due now")),
        "later": ("○", _("Later today")),
        "done": ("✓", _("Done")),
        "skipped": ("↷", _("Skipped")),
    }
    return labels[state]


def occurrence_row(
    occurrence: Occurrence,
    now: datetime,
    me: AccessScope,
    names: Mapping[uuid.UUID, str],
) -> dict[str, Any]:
    """One occurrence as the due list and the Today card show it."""
    task, at, completion = occurrence.task, occurrence.at, occurrence.completion
    state = occurrence.state(now)
    icon, word = state_label(state)
    row: dict[str, Any] = {
        "id": f"task-{task.id}-{int(at.timestamp())}",
        "task_id": str(task.id),
        "title": task.title,
        "details": task.details,
        "at": at.astimezone(UTC).isoformat(),
        "time": show_time(at, me.zone),
        "state": state,
        "icon": icon,
        "word": word,
        "assignee": names.get(task.assignee_id) if task.assignee_id else None,
        "mine": task.assignee_id == me.user_id,
        "completion": None,
        # Set when a skip comes back to be corrected.
        "errors": {},
        "typed_note": "",
        "skipping": False,
    }
    if completion is not None:
        row["completion"] = completion_view(completion, now, me, names)
    return row


def completion_view(
    completion: CareTaskCompletion,
    now: datetime,
    me: AccessScope,
    names: Mapping[uuid.UUID, str],
) -> dict[str, Any]:
    return {
        "id": str(completion.id),
        "outcome": completion.outcome,
        "note": completion.note,
        "by": names.get(completion.recorded_by, ""),
        "when": show_time(completion.recorded_at, me.zone),
        "can_undo": (
            completion.undone_at is None
            and completion.recorded_by == me.user_id
            and now - completion.recorded_at <= UNDO_WINDOW
        ),
    }


def sorted_rows(
    occurrences: Iterable[Occurrence],
    now: datetime,
    me: AccessScope,
    names: Mapping[uuid.UUID, str],
) -> list[dict[str, Any]]:
    """Overdue and due first, then later today, then what was recorded; by time within."""
    ordered = sorted(occurrences, key=lambda o: (STATE_ORDER[o.state(now)], o.at, o.task.title))
    return [occurrence_row(o, now, me, names) for o in ordered]


def people_in(occurrences: Iterable[Occurrence]) -> set[uuid.UUID | None]:
    ids: set[uuid.UUID | None] = set()
    for occurrence in occurrences:
        ids.add(occurrence.task.assignee_id)
        if occurrence.completion is not None:
            ids.add(occurrence.completion.recorded_by)
    return ids
