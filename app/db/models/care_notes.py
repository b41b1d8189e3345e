"""Tables of the care notes module: the notes, every earlier version, and sealed photos."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.base import Base, TenantOwned, new_id


class CareNote(TenantOwned, Base):
    """A note as it reads now; what it said before is in `care_note_versions`."""

    __tablename__ = "care_notes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_care_notes_patient",
        ),
        # Newest first per patient, keyset-paginated on (created_at, id).
        Index("ix_care_notes_patient_time", "tenant_id", "patient_id", "created_at", "id"),
        Index(
            "ix_care_notes_patient_category_time",
            "tenant_id",
            "patient_id",
            "category",
            "created_at",
            "id",
        ),
        # A note sent again (from a phone that was offline) is found, not stored twice.
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_care_notes_idempotency_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    category: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    handover: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    idempotency_key: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class CareNoteVersion(TenantOwned, Base):
    """An earlier version of a note, kept whole: what it said, who wrote it and when."""

    __tablename__ = "care_note_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["care_notes.tenant_id", "care_notes.id"],
            name="fk_care_note_versions_note",
        ),
    )

    note_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    handover: Mapped[bool] = mapped_column(Boolean)
    written_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CareNotePhoto(TenantOwned, Base):
    """A note's photo: a metadata-free JPEG sealed under the tenant's data key. Its own
    table, so no list of notes ever reads the bytes."""

    __tablename__ = "care_note_photos"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["care_notes.tenant_id", "care_notes.id"],
            name="fk_care_note_photos_note",
        ),
    )

    note_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
