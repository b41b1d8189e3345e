"""What every vitals page shares: the patient, the service, the form page, the notices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template

from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.nav import patient_frame
from app.domain.vitals.display import scale_label
from app.domain.vitals.forms import (
    LIMITS,
    VitalsForm,
    confirmations,
    consciousness_label,
    measurement_label,
    unit_label,
)
from app.domain.vitals.news2 import Consciousness
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _

FORM_PAGE = "vitals/form.html"
FORM_PARTIAL = "vitals/partials/_form.html"


def now() -> datetime:
    return datetime.now(UTC)


def writable(me: AccessScope, patient: ChosenPatient) -> None:
    """Refuse a write nobody may make here: observers, and anyone for an archived patient."""
    if not me.can_write_care:
        raise PermissionDeniedException(_("Observers can read but not change records."))
    if not patient.active:
        raise PermissionDeniedException(
            _("Archived: care can no longer be recorded for this patient.")
        )


def parse_set_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def vitals_url(patient: ChosenPatient, done: str | None = None) -> str:
    return f"/patients/{patient.id}/vitals" + (f"?done={done}" if done else "")


def gone(patient: ChosenPatient) -> Redirect:
    """A set that is not (or no longer) this patient's current one: back to their vitals,
    which say so. Not a 404: the patient is visible, only the link is stale."""
    return Redirect(vitals_url(patient, "missing"), status_code=303)


def done_message(done: str | None) -> str | None:
    messages = {
        "recorded": _("Vitals recorded."),
        "corrected": _("Vitals corrected. The earlier version is kept in the record."),
        "scale": _("Oxygen saturation scale changed."),
        "missing": _("That set of vitals was not found, or has been corrected since."),
    }
    return messages.get(done or "")


def form_choices() -> dict[str, Any]:
    return {
        "levels": [
            {"value": str(level), "label": consciousness_label(str(level))}
            for level in Consciousness
        ],
        "labels": {
            name: measurement_label(name) for name in (*LIMITS, "on_oxygen", "consciousness")
        },
        "units": {name: unit_label(name) for name in LIMITS},
    }


def form_page(
    request: Request,
    me: AccessScope,
    patient: ChosenPatient,
    form: VitalsForm,
    *,
    scale: int,
    errors: FieldErrors | None = None,
    unconfirmed: FieldErrors | None = None,
    correcting: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    """The record (or correction) form, with what was typed and what to fix or confirm."""
    errors = errors or {}
    unconfirmed = unconfirmed or {}
    action = (
        f"/patients/{patient.id}/vitals/sets/{correcting['id']}/correct"
        if correcting
        else f"/patients/{patient.id}/vitals/new"
    )
    summary = None
    if errors:
        summary = _("Some answers need checking: see the messages beside them.")
    elif unconfirmed:
        summary = _("Some values are unusual. Please confirm each one, then save again.")
    context = {
        **patient_frame(me, patient, "vitals"),
        **form_choices(),
        "form": form.values(),
        "errors": errors,
        "unconfirmed": unconfirmed,
        "confirm_values": confirmations(form, unconfirmed),
        "summary": summary,
        "action": action,
        "correcting": correcting,
        "in_place": form.return_to == "today",
        "scale": scale,
        "scale_label": scale_label(scale),
    }
    return render(request, FORM_PAGE, FORM_PARTIAL, context, status_code=status)
