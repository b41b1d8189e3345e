"""The alert forms: a concern, acknowledging and resolving; kept as typed, checked per field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.alerts.kinds import Severity
from app.lib.forms import FieldErrors
from app.lib.i18n import _

TEXT_MAX = 2000
CONCERN_SEVERITIES = (Severity.WARNING, Severity.URGENT)


def _clean(text: str) -> str:
    lines = text.strip().replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines)


def _too_long(text: str) -> str | None:
    if len(text.strip()) > TEXT_MAX:
        return _(
            "Use at most %(max)s characters; this has %(count)s.",
            max=TEXT_MAX,
            count=len(text.strip()),
        )
    return None


def severity_choices() -> list[dict[str, str]]:
    return [
        {
            "value": Severity.WARNING,
            "label": _("Warning — the team should look soon"),
        },
        {
            "value": Severity.URGENT,
            "label": _("Urgent — someone must act now; administrators are told if nobody does"),
        },
    ]


@dataclass
class ConcernForm:
    """A concern raised by hand, as the browser sends it."""

    text: str = ""
    severity: str = Severity.WARNING
    place: str = "page"

    @property
    def inline(self) -> bool:
        return self.place == "inline"

    def values(self) -> dict[str, Any]:
        return {"text": self.text, "severity": self.severity, "place": self.place}

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if not self.text.strip():
            errors["text"] = _("Say what worries you: what you saw, and when.")
        elif message := _too_long(self.text):
            errors["text"] = message
        if self.severity not in CONCERN_SEVERITIES:
            errors["severity"] = _("Choose how urgent it is.")
        return errors

    def cleaned(self) -> tuple[str, Severity]:
        """The checked text and severity (call after `errors()` found none)."""
        return _clean(self.text), Severity(self.severity)


@dataclass
class NoteForm:
    """Acknowledging (the note optional) or resolving (the note required) an alert."""

    note: str = ""

    def values(self) -> dict[str, Any]:
        return {"note": self.note}

    def errors(self, *, required: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if required and not self.note.strip():
            errors["note"] = _("Say what was done, so the team knows why it is resolved.")
        elif message := _too_long(self.note):
            errors["note"] = message
        return errors

    def cleaned(self) -> str | None:
        return _clean(self.note) or None
