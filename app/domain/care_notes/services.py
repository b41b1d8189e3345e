"""Care notes: the list, one note with its history, writing and changing one, its photo.

Every read and write is audited here, in the same transaction. The service is built per
request from the signed-in scope; its repository cannot be built without one. Nothing is
deleted: a change keeps the earlier version whole, with who wrote it and when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.base import new_id
from app.db.models.care_notes import CareNote, CareNoteVersion
from app.domain.audit.services import record
from app.domain.care_notes.forms import NoteDraft
from app.domain.care_notes.photos import open_photo, sealed_photo
from app.domain.care_notes.repository import NoteRepository, NoteRow, VersionRow, Window
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.chosen import ChosenPatient
from app.lib.errors import RedirectRequired
from app.lib.i18n import _

PAGE_SIZE = 20
OBJECT = "care_note"


class NoteMissing(RedirectRequired):
    """A note id that is not one of this (visible) patient's notes: back to their list,
    which says so. The patient was already checked, so this tells nothing new."""

    def __init__(self, patient_id: uuid.UUID) -> None:
        super().__init__(f"/patients/{patient_id}/notes?missing=1")


class PatientArchived(HTTPException):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(detail=_("Archived: care can no longer be recorded for this patient."))


class KeyReused(Exception):
    """A new note came with the idempotency key of a note that is not this person's
    note about this patient: not a retry, so neither stored nor answered with that note."""


class EditConflict(Exception):
    """Someone saved a change to the note after this form was opened."""

    def __init__(self, current: NoteRow) -> None:
        super().__init__("edit conflict")
        self.current = current


def parse_note_id(patient: ChosenPatient, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NoteMissing(patient.id) from None


@dataclass(frozen=True)
class Listing:
    rows: list[NoteRow]
    next_after: uuid.UUID | None


class CareNoteService(SQLAlchemyAsyncRepositoryService[CareNote, NoteRepository]):
    """Care notes as the signed-in person may see and write them."""

    repository_type = NoteRepository

    def __init__(
        self,
        session: AsyncSession,
        *,
        me: AccessScope,
        keyring: Keyring,
        connection: ASGIConnection,
    ) -> None:
        super().__init__(session=session, me=me)
        self.db = session
        self.me = me
        self.keyring = keyring
        self.connection = connection

    async def _audit(
        self,
        action: str,
        patient: ChosenPatient,
        note_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await record(
            self.db,
            self.me,
            self.connection,
            action,
            OBJECT,
            object_id=note_id,
            patient_id=patient.id,
            detail=detail,
        )

    def _require_writer(self, patient: ChosenPatient) -> None:
        if not self.me.can_write_care:
            raise PermissionDeniedException(_("Observers can read but not change records."))
        if not patient.active:
            raise PatientArchived()

    async def _row(self, patient: ChosenPatient, note_id: uuid.UUID) -> NoteRow:
        row = await self.repository.row(patient.id, note_id)
        if row is None:
            raise NoteMissing(patient.id)
        return row

    # -- Reading ---------------------------------------------------------------------

    async def listing(
        self, patient: ChosenPatient, window: Window, after: uuid.UUID | None = None
    ) -> Listing:
        """One page of the patient's notes, newest first; audited with the ids shown."""
        cursor = await self.repository.cursor(patient.id, after) if after else None
        rows = await self.repository.page(patient.id, window, after=cursor, limit=PAGE_SIZE + 1)
        shown = rows[:PAGE_SIZE]
        detail: dict[str, Any] = {"note_ids": [str(row.id) for row in shown]}
        if window.category:
            detail["category"] = window.category
        if window.start or window.end:
            detail["between"] = [
                window.start.isoformat() if window.start else None,
                window.end.isoformat() if window.end else None,
            ]
        if cursor is not None:
            detail["after"] = str(cursor[1])
        await self._audit("note.list", patient, detail=detail)
        return Listing(shown, shown[-1].id if len(rows) > PAGE_SIZE else None)

    async def view(
        self, patient: ChosenPatient, note_id: uuid.UUID, purpose: str | None = None
    ) -> tuple[NoteRow, list[VersionRow]]:
        """The note and every earlier version of it, audited as a view."""
        row = await self._row(patient, note_id)
        versions = await self.repository.versions(row.id)
        await self._audit("note.view", patient, row.id, {"purpose": purpose} if purpose else None)
        return row, versions

    async def photo(self, patient: ChosenPatient, note_id: uuid.UUID) -> bytes | None:
        """The photo's JPEG bytes, audited; None when the note has none."""
        await self._row(patient, note_id)
        sealed = await self.repository.photo(patient.id, note_id)
        if sealed is None:
            return None
        content = await open_photo(self.db, self.keyring, sealed)
        await self._audit("note.photo_view", patient, note_id)
        return content

    # -- Writing ---------------------------------------------------------------------

    async def create(
        self,
        patient: ChosenPatient,
        draft: NoteDraft,
        photo: bytes | None = None,
        key: uuid.UUID | None = None,
    ) -> tuple[NoteRow, bool]:
        """A new note by `me`, now; its photo sealed; audited (no text in the audit).
        Returns the note and whether it is new: a note whose idempotency `key` arrived
        before (a retry from a phone that was offline) is the earlier one, stored once.
        Raises KeyReused when the key belongs to some other note."""
        self._require_writer(patient)
        if key is not None and (earlier := await self._sent_before(patient, key)):
            return earlier, False
        note = CareNote(
            id=new_id(),
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            author_id=self.me.user_id,
            updated_by=self.me.user_id,
            category=draft.category,
            body=draft.text,
            handover=draft.handover,
            version=1,
            idempotency_key=key,
        )
        try:
            async with self.db.begin_nested():
                self.db.add(note)
                await self.db.flush()
        except IntegrityError:
            # The same note arriving twice at once: the unique key made this one wait for
            # the other to commit, and the other is the note.
            if key is None or not (earlier := await self._sent_before(patient, key)):
                raise
            return earlier, False
        if photo is not None:
            self.db.add(
                await sealed_photo(self.db, self.keyring, self.me.tenant_id, note.id, photo)
            )
            await self.db.flush()
        detail = {"category": draft.category, "handover": draft.handover, "photo": bool(photo)}
        await self._audit("note.create", patient, note.id, detail)
        return await self._row(patient, note.id), True

    async def _sent_before(self, patient: ChosenPatient, key: uuid.UUID) -> NoteRow | None:
        """The note stored earlier under `key`, when it is `me`'s note about `patient`."""
        found = (
            await self.db.execute(
                select(CareNote.id, CareNote.patient_id, CareNote.author_id).where(
                    CareNote.tenant_id == self.me.tenant_id, CareNote.idempotency_key == key
                )
            )
        ).first()
        if found is None:
            return None
        if found.patient_id != patient.id or found.author_id != self.me.user_id:
            raise KeyReused
        row = await self._row(patient, found.id)
        # Shown again to the one who wrote it: a read, audited as one.
        await self._audit("note.view", patient, row.id, {"purpose": "resend"})
        return row

    async def update(
        self,
        patient: ChosenPatient,
        note_id: uuid.UUID,
        draft: NoteDraft,
        expected_version: int | None,
    ) -> tuple[NoteRow, list[str]]:
        """Save a change as a new version, the old one kept whole; returns the note and
        the names of what changed (audited, without the words). Raises EditConflict when
        the note changed since the form was opened."""
        self._require_writer(patient)
        note = await self.repository.locked(patient.id, note_id)
        if note is None:
            raise NoteMissing(patient.id)
        if expected_version is not None and expected_version != note.version:
            raise EditConflict(await self._row(patient, note_id))
        changed = [
            name
            for name, old, new in (
                ("category", note.category, draft.category),
                ("text", note.body, draft.text),
                ("handover", note.handover, draft.handover),
            )
            if old != new
        ]
        if not changed:
            return await self._row(patient, note_id), []
        self.db.add(
            CareNoteVersion(
                tenant_id=note.tenant_id,
                note_id=note.id,
                version=note.version,
                category=note.category,
                body=note.body,
                handover=note.handover,
                written_by=note.updated_by,
                written_at=note.updated_at,
            )
        )
        note.version += 1
        note.category = draft.category
        note.body = draft.text
        note.handover = draft.handover
        note.updated_by = self.me.user_id
        note.updated_at = func.now()
        await self.db.flush()
        await self._audit(
            "note.update", patient, note.id, {"fields": changed, "version": note.version}
        )
        return await self._row(patient, note_id), changed
