"""The notes card's one query: the latest notes and the handovers since a moment.

Built once per kind of person (`app.domain.today.bound`) from `visible_notes`, so it
carries the same scope as every other notes query: the tenant filter and the patients
`me` may see. Two index range scans on (tenant_id, patient_id, created_at, id), newest
first, each cut by its LIMIT: the cost does not grow with the patient's history.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Integer, bindparam, exists, literal_column, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from app.db.models import User
from app.db.models.care_notes import CareNote, CareNotePhoto
from app.domain.care_notes.repository import NoteRow, visible_notes
from app.domain.identity.access import AccessScope
from app.domain.today.bound import per_kind, scope_params

RECENT, HANDOVER = 0, 1


def _inline(name: str) -> BindParameter[int]:
    """A LIMIT written into the SQL, not sent as a parameter: PostgreSQL then keeps one
    generic plan for the prepared statement instead of planning it again on every run."""
    return bindparam(name, type_=Integer, literal_execute=True)


def _recent_and_handovers(me: AccessScope) -> CompoundSelect:
    author = aliased(User)
    editor = aliased(User)
    has_photo = exists().where(
        CareNotePhoto.tenant_id == CareNote.tenant_id, CareNotePhoto.note_id == CareNote.id
    )
    newest_first = (CareNote.created_at.desc(), CareNote.id.desc())

    def rows(kind: int):  # type: ignore[no-untyped-def]
        return (
            visible_notes(me)
            .with_only_columns(
                literal_column(str(kind)).label("kind"),
                CareNote.id,
                CareNote.patient_id,
                CareNote.author_id,
                author.display_name.label("author"),
                CareNote.created_at,
                CareNote.category,
                CareNote.body,
                CareNote.handover,
                CareNote.version,
                CareNote.updated_at,
                editor.display_name.label("updated_by"),
                has_photo.label("has_photo"),
            )
            .outerjoin(author, author.id == CareNote.author_id)
            .outerjoin(editor, editor.id == CareNote.updated_by)
            .where(CareNote.patient_id == bindparam("patient_id"))
            .order_by(*newest_first)
        )

    return union_all(
        rows(RECENT).limit(_inline("recent")),
        rows(HANDOVER)
        .where(
            CareNote.created_at > bindparam("since"),
            CareNote.handover.is_(True),
            CareNote.author_id != me.user_id,
        )
        .limit(_inline("handovers")),
    )


_STATEMENT = per_kind(_recent_and_handovers)


async def recent_and_handovers(
    db: AsyncSession,
    me: AccessScope,
    patient_id: uuid.UUID,
    since: datetime,
    *,
    recent: int,
    handovers: int,
) -> tuple[list[NoteRow], list[NoteRow]]:
    """The last `recent` notes of the patient, and up to `handovers` handover notes written
    after `since` by anyone but `me`; each newest first. One round trip."""
    params = scope_params(
        me, patient_id=patient_id, since=since, recent=recent, handovers=handovers
    )
    result = await db.execute(_STATEMENT[me.is_admin], params)
    found: tuple[list[NoteRow], list[NoteRow]] = ([], [])
    for row in result.mappings():
        values: dict[str, Any] = dict(row)
        kind = values.pop("kind")
        values["has_photo"] = bool(values["has_photo"])
        found[kind].append(NoteRow(**values))
    for rows in found:
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return found
