"""What the task templates are given, shared by the plan and the due-list controllers."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from litestar import Request
from litestar.response import Template

from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.nav import patient_frame
from app.domain.tasks.services import TaskGone
from app.lib.htmx import VARY, wants_partial
from app.lib.i18n import _, activate_for, current_locale


def done_message(done: str | None) -> str | None:
    """The confirmation after a form posted and redirected (`?done=`)."""
    messages = {
        "created": _("Task added to the care plan."),
        "updated": _("Changes saved. The earlier version is kept in the task's history."),
        "unchanged": _("Nothing was changed."),
        "stopped": _("Task stopped. Its history is kept."),
    }
    return messages.get(done or "")


def weekdays() -> list[tuple[str, str]]:
    """(value, name) Monday first: the value is Python's weekday number."""
    names = get_day_names("wide", locale=current_locale())
    return [(str(day), names[day]) for day in range(7)]


def frame(me: AccessScope, patient: ChosenPatient) -> dict[str, Any]:
    return patient_frame(me, patient, "tasks")


def safe_next(value: str, patient: ChosenPatient) -> str:
    """Where a form without JavaScript returns to: a page of this patient, else the due
    list (never another site)."""
    base = f"/patients/{patient.id}"
    fallback = f"{base}/tasks/today"
    value = value.strip()
    if value.startswith(f"{base}/") and "//" not in value and "\\" not in value:
        return value
    return fallback


def task_gone(request: Request, exc: TaskGone) -> Template:
    """A task, or a record of it, that is not (or no longer) in this patient's plan."""
    activate_for(request)
    context = {
        "status": exc.status_code,
        "title": _("Not in this care plan"),
        "detail": _(
            "This task, or this record of it, is not in the patient's care plan. "
            "Go back to the care plan and choose it again."
        ),
    }
    headers = {"Vary": VARY}
    if wants_partial(request):
        headers.update({"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"})
        return Template(
            "errors/partials/_error.html", context=context, status_code=410, headers=headers
        )
    return Template("errors/page.html", context=context, status_code=410, headers=headers)
