"""The only way request handling reaches care notes: queries scoped to who is asking.

Every query starts from notes of patients `visible_to(me)` (the tenant filter, and for
carers and observers a live grant), so even a lookup by id cannot reach a note of a
patient the person may not see. Row-level security stands behind it. Versions and photos
are reached only through a visible note.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, Select, exists, select, tuple_
from sqlalchemy.orm import aliased

from app.db.models import User
from app.db.models.care_notes import CareNote, CareNotePhoto, CareNoteVersion
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import visible_patient_ids


@dataclass(frozen=True)
class NoteRow:
    """A note as it reads now, with its people named."""

    id: uuid.UUID
    patient_id: uuid.UUID
    author_id: uuid.UUID
    author: str | None
    created_at: datetime
    category: str
    body: str
    handover: bool
    version: int
    updated_at: datetime
    updated_by: str | None
    has_photo: bool


@dataclass(frozen=True)
class VersionRow:
    """An earlier version of a note: what it said, who wrote it, when."""

    version: int
    category: str
    body: str
    handover: bool
    written_by: str | None
    written_at: datetime


@dataclass(frozen=True)
class Window:
    """Which notes a list shows: one category or all, and a span of time [start, end)."""

    category: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def visible_notes(me: AccessScope) -> Select[tuple[CareNote]]:
    """Notes of the patients `me` may see, in `me`'s care account."""
    patients = visible_patient_ids(me)
    return select(CareNote).where(
        CareNote.tenant_id == me.tenant_id, CareNote.patient_id.in_(patients)
    )


class NoteRepository(SQLAlchemyAsyncRepository[CareNote]):
    """Care notes as `me` may see them. There is no constructor without a scope.

    advanced-alchemy's entity cache stays off (no `cache_manager`): it is keyed by id and
    would ignore the scoped statement.
    """

    model_type = CareNote

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)  # the scope decides the statement, never the caller
        super().__init__(statement=visible_notes(me), **kwargs)
        self.me = me

    def _rows(self) -> Select[Any]:
        author = aliased(User)
        editor = aliased(User)
        has_photo = exists().where(
            CareNotePhoto.tenant_id == CareNote.tenant_id, CareNotePhoto.note_id == CareNote.id
        )
        return (
            self.statement.add_columns(
                author.display_name, editor.display_name, has_photo.label("has_photo")
            )
            .outerjoin(author, author.id == CareNote.author_id)
            .outerjoin(editor, editor.id == CareNote.updated_by)
            # A note just changed in this session is read back as the database has it.
            .execution_options(populate_existing=True)
        )

    async def _fetch(self, statement: Select[Any]) -> list[NoteRow]:
        rows = (await self.session.execute(statement)).all()
        return [
            NoteRow(
                id=note.id,
                patient_id=note.patient_id,
                author_id=note.author_id,
                author=author,
                created_at=note.created_at,
                category=note.category,
                body=note.body,
                handover=note.handover,
                version=note.version,
                updated_at=note.updated_at,
                updated_by=editor,
                has_photo=bool(has_photo),
            )
            for note, author, editor, has_photo in rows
        ]

    async def row(self, patient_id: uuid.UUID, note_id: uuid.UUID) -> NoteRow | None:
        """One note of this patient, or None (not there, another patient's, not visible)."""
        rows = await self._fetch(
            self._rows().where(CareNote.patient_id == patient_id, CareNote.id == note_id)
        )
        return rows[0] if rows else None

    async def locked(self, patient_id: uuid.UUID, note_id: uuid.UUID) -> CareNote | None:
        """The note, locked until the end of the transaction (an edit in progress)."""
        statement = (
            self.statement.where(CareNote.patient_id == patient_id, CareNote.id == note_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return await self.get_one_or_none(statement=statement)

    async def cursor(
        self, patient_id: uuid.UUID, note_id: uuid.UUID
    ) -> tuple[datetime, uuid.UUID] | None:
        """Where a page that continues after `note_id` starts."""
        found = (
            await self.session.execute(
                self.statement.with_only_columns(CareNote.created_at, CareNote.id).where(
                    CareNote.patient_id == patient_id, CareNote.id == note_id
                )
            )
        ).first()
        return (found[0], found[1]) if found else None

    async def page(
        self,
        patient_id: uuid.UUID,
        window: Window,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[NoteRow]:
        """Up to `limit` notes, newest first, after the cursor `after` (keyset pagination).

        An index range scan on (tenant_id, patient_id[, category], created_at, id): the
        cost of a page does not grow with the patient's history.
        """
        statement = self._rows().where(CareNote.patient_id == patient_id)
        conditions: list[ColumnElement[bool]] = []
        if window.category:
            conditions.append(CareNote.category == window.category)
        if window.start is not None:
            conditions.append(CareNote.created_at >= window.start)
        if window.end is not None:
            conditions.append(CareNote.created_at < window.end)
        if after is not None:
            conditions.append(tuple_(CareNote.created_at, CareNote.id) < tuple_(*after))
        statement = (
            statement.where(*conditions)
            .order_by(CareNote.created_at.desc(), CareNote.id.desc())
            .limit(limit)
        )
        return await self._fetch(statement)

    async def handovers(
        self, patient_id: uuid.UUID, since: datetime, *, not_by: uuid.UUID, limit: int
    ) -> list[NoteRow]:
        """Handover notes written after `since` by anyone but `not_by`, newest first."""
        statement = (
            self._rows()
            .where(
                CareNote.patient_id == patient_id,
                CareNote.created_at > since,
                CareNote.handover.is_(True),
                CareNote.author_id != not_by,
            )
            .order_by(CareNote.created_at.desc(), CareNote.id.desc())
            .limit(limit)
        )
        return await self._fetch(statement)

    async def versions(self, note_id: uuid.UUID) -> list[VersionRow]:
        """Every earlier version of a visible note, newest first."""
        writer = aliased(User)
        statement = (
            select(CareNoteVersion, writer.display_name)
            .outerjoin(writer, writer.id == CareNoteVersion.written_by)
            .where(
                CareNoteVersion.tenant_id == self.me.tenant_id,
                CareNoteVersion.note_id == note_id,
                CareNoteVersion.note_id.in_(self.statement.with_only_columns(CareNote.id)),
            )
            .order_by(CareNoteVersion.version.desc())
        )
        rows = (await self.session.execute(statement)).all()
        return [
            VersionRow(v.version, v.category, v.body, v.handover, name, v.written_at)
            for v, name in rows
        ]

    async def photo(self, patient_id: uuid.UUID, note_id: uuid.UUID) -> CareNotePhoto | None:
        """The sealed photo of a visible note of this patient, or None."""
        notes = self.statement.with_only_columns(CareNote.id).where(
            CareNote.patient_id == patient_id, CareNote.id == note_id
        )
        statement = select(CareNotePhoto).where(
            CareNotePhoto.tenant_id == self.me.tenant_id,
            CareNotePhoto.note_id == note_id,
            CareNotePhoto.note_id.in_(notes),
        )
        return (await self.session.scalars(statement)).first()
