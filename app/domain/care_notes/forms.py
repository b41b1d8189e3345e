"""The note forms and the list's filters: what was typed, kept as typed, checked per field."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar.datastructures import UploadFile

from app.domain.care_notes.categories import CATEGORIES, DEFAULT_CATEGORY
from app.domain.care_notes.repository import Window
from app.domain.patients.dates import end_of_day
from app.domain.patients.photos import MAX_BYTES, PhotoRejected, clean_photo
from app.lib.day_ranges import RECORD_DAYS
from app.lib.forms import FieldErrors
from app.lib.i18n import _

TEXT_MAX = 4000
# Where a new-note form sits: its own page, the notes list, or the Today card.
PLACES = ("page", "list", "today")


@dataclass(frozen=True)
class NoteDraft:
    """A checked note, ready to store."""

    category: str
    text: str
    handover: bool


def _text_errors(text: str) -> str | None:
    if not text.strip():
        return _("Write the note: what happened, what you did, what to watch for.")
    if len(text.strip()) > TEXT_MAX:
        return _(
            "A note can be at most %(max)s characters; this one has %(count)s. "
            "Shorten it, or write a second note.",
            max=TEXT_MAX,
            count=len(text.strip()),
        )
    return None


def _clean_text(text: str) -> str:
    # Keep the carer's words and line breaks; only trailing spaces and Windows line ends go.
    lines = text.strip().replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines)


@dataclass
class NoteForm:
    """A new note, as the browser sends it (multipart: it may carry a photo)."""

    category: str = DEFAULT_CATEGORY
    text: str = ""
    handover: str = ""
    photo: UploadFile | None = None
    place: str = "page"
    # Chosen when the form is shown; the same note sent twice (a phone that was offline
    # retrying) carries the same key and is stored once.
    idempotency_key: str = ""

    @property
    def key(self) -> uuid.UUID | None:
        """The form's idempotency key; None when absent or not a UUID (no retry safety
        then, but the note is still saved: a form without JavaScript may omit it)."""
        try:
            return uuid.UUID(self.idempotency_key.strip()) if self.idempotency_key else None
        except ValueError:
            return None

    @property
    def photo_chosen(self) -> bool:
        return self.photo is not None and bool(self.photo.filename)

    @property
    def where(self) -> str:
        return self.place if self.place in PLACES else "page"

    def values(self) -> dict[str, Any]:
        """Everything typed, to put back in the form (a file cannot be put back), and its
        idempotency key: kept when the form comes back to be corrected, new otherwise."""
        return {
            "category": self.category,
            "text": self.text,
            "handover": bool(self.handover),
            "idempotency_key": str(self.key or uuid.uuid4()),
        }

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if self.category not in CATEGORIES:
            errors["category"] = _("Choose what the note is about.")
        if message := _text_errors(self.text):
            errors["text"] = message
        return errors

    def draft(self) -> NoteDraft:
        """The checked note (call after `errors()` found none); the photo is separate."""
        return NoteDraft(self.category, _clean_text(self.text), bool(self.handover))


@dataclass
class EditForm:
    """A change to a note. `version` is the one the form was opened on: an edit made
    meanwhile by someone else is not silently overwritten."""

    category: str = ""
    text: str = ""
    handover: str = ""
    version: str = ""

    def values(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "text": self.text,
            "handover": bool(self.handover),
            "version": self.version,
        }

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if self.category not in CATEGORIES:
            errors["category"] = _("Choose what the note is about.")
        if message := _text_errors(self.text):
            errors["text"] = message
        return errors

    def expected_version(self) -> int | None:
        try:
            return int(self.version)
        except ValueError:
            return None

    def draft(self) -> NoteDraft:
        return NoteDraft(self.category, _clean_text(self.text), bool(self.handover))


async def checked_photo(form: NoteForm, errors: FieldErrors) -> bytes | None:
    """The uploaded photo, cleaned (metadata gone); None when none was chosen or it was
    refused (then the reason is in `errors["photo"]`)."""
    if form.photo is None or not form.photo_chosen:
        return None
    data = await form.photo.read(MAX_BYTES + 1)
    if not data:
        return None
    try:
        # Decoding and re-encoding is CPU work: keep it off the event loop.
        return await asyncio.to_thread(clean_photo, data)
    except PhotoRejected as rejected:
        errors["photo"] = rejected.message
        return None


def _day(value: str) -> date | None:
    """The day; a filter day beyond every note is the nearest day that can hold one."""
    try:
        return RECORD_DAYS.nearest(date.fromisoformat(value.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The list's filters as typed in the query string."""

    category: str = ""
    date_from: str = ""
    date_to: str = ""

    @property
    def active(self) -> bool:
        return bool(self.category or self.date_from or self.date_to)

    def values(self) -> dict[str, str]:
        return {"category": self.category, "from": self.date_from, "to": self.date_to}

    def window(self, zone: ZoneInfo) -> tuple[Window, FieldErrors]:
        """The notes to show, days taken in the care account's zone; a filter that is
        not understood is left out and said so beside it."""
        errors: FieldErrors = {}
        category = self.category if self.category in CATEGORIES else None
        if self.category and category is None:
            errors["category"] = _("Choose a category from the list.")
        first = _day(self.date_from) if self.date_from.strip() else None
        last = _day(self.date_to) if self.date_to.strip() else None
        if self.date_from.strip() and first is None:
            errors["from"] = _("Enter a date, like 2026-03-12.")
        if self.date_to.strip() and last is None:
            errors["to"] = _("Enter a date, like 2026-03-12.")
        if first and last and first > last:
            errors["to"] = _("The last day cannot be before the first day.")
            last = None
        start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC) if first else None
        end = end_of_day(last, zone) if last else None
        return Window(category, start, end), errors
