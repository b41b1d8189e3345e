"""What the notes pages share: the page frame, the forms' contexts, and the closed answer."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from app.domain.care_notes.categories import category_choices
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.nav import patient_frame
from app.domain.patients.photos import MAX_BYTES
from app.lib.forms import FieldErrors
from app.lib.htmx import render, wants_partial
from app.lib.i18n import _

# Above this the request is refused before the form is read (Litestar's 413 page); between
# the photo limit and this, the form comes back with the photo's error and the text kept.
BODY_MAX = 2 * MAX_BYTES


def frame(me: AccessScope, patient: ChosenPatient) -> dict[str, Any]:
    """The patient's name, tabs and whether this person may write, plus the notes' URLs."""
    base = f"/patients/{patient.id}/notes"
    return {
        **patient_frame(me, patient, "care_notes"),
        "list_url": base,
        "new_url": f"{base}/new",
    }


def form_context(
    me: AccessScope,
    patient: ChosenPatient,
    form: dict[str, Any],
    errors: FieldErrors,
    *,
    place: str = "page",
    photo_again: bool = False,
) -> dict[str, Any]:
    """The new-note form: what was typed, the errors beside the fields, where it sits."""
    return {
        **frame(me, patient),
        "form": form,
        "errors": errors,
        "place": place,
        "categories": category_choices(),
        # A browser cannot be handed a file back: say so rather than lose it silently.
        "photo_again": photo_again,
        "form_error": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
    }


def closed(request: Request, me: AccessScope, patient: ChosenPatient) -> Template:
    """409: an archived patient's record is read-only. Said plainly, as a page or a toast."""
    context = {
        **frame(me, patient),
        "title": _("This record is closed"),
        "detail": _("Archived: care can no longer be recorded for this patient."),
    }
    headers = {}
    if wants_partial(request):
        headers = {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
    return render(
        request,
        "care_notes/closed.html",
        "care_notes/partials/_closed.html",
        context,
        status_code=409,
        headers=headers,
    )
