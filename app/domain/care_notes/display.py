"""Notes made ready for templates: labels translated, times in the care account's zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app.domain.care_notes.categories import category_label
from app.domain.care_notes.repository import NoteRow, VersionRow
from app.domain.patients.dates import show_moment
from app.lib.i18n import _


def _name(name: str | None) -> str:
    return name or _("A former member")


def note_url(row: NoteRow) -> str:
    return f"/patients/{row.patient_id}/notes/{row.id}"


def show_note(row: NoteRow, zone: ZoneInfo) -> dict[str, Any]:
    """What a note's row shows: who wrote what, when, about what; and whether it changed."""
    url = note_url(row)
    return {
        "id": str(row.id),
        "category": row.category,
        "category_label": category_label(row.category),
        "text": row.body,
        "handover": row.handover,
        "author": _name(row.author),
        "written": show_moment(row.created_at, zone),
        "written_iso": row.created_at.isoformat(),
        "version": row.version,
        "edited": row.version > 1,
        "edited_by": _name(row.updated_by),
        "edited_at": show_moment(row.updated_at, zone),
        "has_photo": row.has_photo,
        "url": url,
        "edit_url": f"{url}/edit",
        "photo_url": f"{url}/photo",
    }


def show_version(row: VersionRow, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "version": row.version,
        "category_label": category_label(row.category),
        "text": row.body,
        "handover": row.handover,
        "written_by": _name(row.written_by),
        "written_at": show_moment(row.written_at, zone),
        "written_iso": row.written_at.isoformat(),
    }
