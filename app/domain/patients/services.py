"""Patients: list and search, view, create, edit, archive, the photo, and who viewed them.

Every read and write of a patient's identity is audited here, in the same transaction.
The service is built per request from the signed-in scope; its repository cannot be
built without one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Patient, User
from app.db.models.base import new_id
from app.domain.audit.services import flush_audit, record
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.codec import (
    DATE_COLUMNS,
    SEALED_COLUMNS,
    PatientIdentity,
    identity_terms,
    open_identity,
    query_terms,
    seal_identity,
    search_key,
)
from app.domain.patients.dates import tenant_zone
from app.domain.patients.repository import PAGE_SIZE, PatientRepository, replace_search_terms
from app.lib.i18n import _

LIST_COLUMNS = ("given_name", "family_name", "preferred_name", *DATE_COLUMNS)
PAGE_COLUMNS = tuple(column for column in SEALED_COLUMNS if column != "photo")
VIEWERS_SHOWN = 20
# What identity_terms reads: only a change to these needs a new blind index.
INDEXED_COLUMNS = frozenset({"given_name", "family_name", "preferred_name", "identifiers"})


def parse_id(value: str) -> uuid.UUID:
    """A path's id, or the same 404 as a patient that does not exist."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundException() from None


@dataclass(frozen=True)
class PatientRow:
    id: uuid.UUID
    display_name: str
    date_of_birth: date | None
    archived: bool


@dataclass(frozen=True)
class Listing:
    rows: list[PatientRow]
    next_after: uuid.UUID | None
    searching: bool


@dataclass(frozen=True)
class PatientView:
    patient: Patient
    identity: PatientIdentity
    has_photo: bool

    @property
    def archived(self) -> bool:
        return self.patient.archived_at is not None


@dataclass(frozen=True)
class Viewer:
    name: str
    at: datetime


@dataclass
class PhotoChange:
    """What an edit does to the photo: keep it, replace it, or remove it."""

    new: bytes | None = None
    remove: bool = False


def _filled(identity: PatientIdentity) -> list[str]:
    return [column for column in SEALED_COLUMNS if getattr(identity, column) not in (None, "", [])]


async def insert_patient(
    db: AsyncSession,
    keyring: Keyring,
    tenant_id: uuid.UUID,
    created_by: uuid.UUID,
    identity: PatientIdentity,
) -> Patient:
    """Unscoped: store a new patient, sealed and indexed, with no audit and no access check.
    For the service below, the CLI's demo data and tests; never for request handling."""
    patient = Patient(id=new_id(), tenant_id=tenant_id, created_by=created_by)
    await seal_identity(db, keyring, patient, identity)
    db.add(patient)
    await db.flush()
    await _reindex(db, keyring, patient, identity)
    return patient


async def _reindex(
    db: AsyncSession, keyring: Keyring, patient: Patient, identity: PatientIdentity
) -> None:
    terms = identity_terms(await search_key(db, keyring, patient.tenant_id), identity)
    await replace_search_terms(db, patient, terms)


class PatientService(SQLAlchemyAsyncRepositoryService[Patient, PatientRepository]):
    """Patients as the signed-in person may see and change them."""

    repository_type = PatientRepository

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
        patient_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await record(
            self.db,
            self.me,
            self.connection,
            action,
            "patient",
            object_id=patient_id,
            patient_id=patient_id,
            detail=detail,
        )

    def _require_admin(self) -> None:
        if not self.me.is_admin:
            raise PermissionDeniedException(_("Only an administrator can do this."))

    async def visible(self, patient_id: uuid.UUID, *, with_photo: bool = False) -> Patient:
        """The patient if `me` may see it; otherwise the 404 of a patient that is not there."""
        patient = await self.repository.find(patient_id, with_photo=with_photo)
        if patient is None:
            raise NotFoundException()
        return patient

    async def zone(self) -> ZoneInfo:
        """The care account's time zone: "today" and times on these pages are its own."""
        return await tenant_zone(self.db, self.me.tenant_id)

    async def has_photo(self, patient_id: uuid.UUID) -> bool:
        return await self.repository.has_photo(patient_id)

    # -- Reading ---------------------------------------------------------------------

    async def browse(
        self, query: str = "", after: uuid.UUID | None = None, include_archived: bool = False
    ) -> Listing:
        """One page of the patients `me` may see, optionally matching a search; audited
        with the ids shown (never the words searched for: they may be a name)."""
        include_archived = include_archived and self.me.is_admin
        matching = None
        searching = bool(query.strip())
        if searching:
            key = await search_key(self.db, self.keyring, self.me.tenant_id)
            names, identifier = query_terms(key, query)
            matching = self.repository.matching_terms(names, identifier)
        patients = await self.repository.page(
            after=after,
            include_archived=include_archived,
            matching=matching,
            limit=PAGE_SIZE + 1,
        )
        shown = list(patients[:PAGE_SIZE])
        rows = []
        for patient in shown:
            identity = await open_identity(self.db, self.keyring, patient, LIST_COLUMNS)
            rows.append(
                PatientRow(
                    patient.id,
                    identity.display_name,
                    identity.date_of_birth,
                    patient.archived_at is not None,
                )
            )
        detail: dict[str, Any] = {"patient_ids": [str(p.id) for p in shown]}
        if after is not None:
            detail["after"] = str(after)
        if include_archived:
            detail["archived"] = True
        await self._audit("patient.search" if searching else "patient.list", detail=detail)
        next_after = shown[-1].id if len(patients) > PAGE_SIZE else None
        return Listing(rows, next_after, searching)

    async def view(self, patient_id: uuid.UUID, purpose: str | None = None) -> PatientView:
        """The patient in clear (not the photo), audited as a view."""
        patient = await self.visible(patient_id)
        identity = await open_identity(self.db, self.keyring, patient, PAGE_COLUMNS)
        has_photo = await self.repository.has_photo(patient_id)
        await self._audit("patient.view", patient_id, {"purpose": purpose} if purpose else None)
        return PatientView(patient, identity, has_photo)

    async def photo(self, patient_id: uuid.UUID) -> bytes | None:
        """The photo's JPEG bytes, audited; None when the patient has no photo."""
        patient = await self.visible(patient_id, with_photo=True)
        if patient.photo is None:
            return None
        identity = await open_identity(self.db, self.keyring, patient, ("photo",))
        await self._audit("patient.photo_view", patient_id)
        return identity.photo

    async def recent_viewers(self, patient: Patient, limit: int = VIEWERS_SHOWN) -> list[Viewer]:
        """Who opened this patient's record lately (admins), newest first; this very view
        included (its pending event is written first)."""
        self._require_admin()
        await flush_audit(self.db)
        rows = await self.db.execute(
            select(User.display_name, AuditEvent.occurred_at)
            .select_from(AuditEvent)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(
                AuditEvent.tenant_id == self.me.tenant_id,
                AuditEvent.patient_id == patient.id,
                AuditEvent.action == "patient.view",
            )
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
        return [Viewer(name or _("A former member"), at) for name, at in rows.all()]

    # -- Writing ---------------------------------------------------------------------

    async def create(self, identity: PatientIdentity) -> Patient:
        """A new patient, sealed, indexed for search, audited with the fields filled."""
        self._require_admin()
        patient = await insert_patient(
            self.db, self.keyring, self.me.tenant_id, self.me.user_id, identity
        )
        await self._audit("patient.create", patient.id, {"fields": _filled(identity)})
        return patient

    async def update(
        self, patient_id: uuid.UUID, edited: PatientIdentity, photo: PhotoChange
    ) -> list[str]:
        """Apply an edit; returns the names of the fields that changed (audited, no values).

        Every field is sealed again, the kept photo too: the row's `key_version` then
        truly describes all of it, which key rotation relies on.
        """
        self._require_admin()
        patient = await self.visible(patient_id, with_photo=True)
        current = await open_identity(self.db, self.keyring, patient)
        if photo.new is not None:
            edited.photo = photo.new
        elif not photo.remove:
            edited.photo = current.photo
        changed = [c for c in SEALED_COLUMNS if getattr(current, c) != getattr(edited, c)]
        if not changed:
            return []
        await seal_identity(self.db, self.keyring, patient, edited)
        await self.db.flush()
        if set(changed) & INDEXED_COLUMNS:
            await _reindex(self.db, self.keyring, patient, edited)
        await self._audit("patient.update", patient.id, {"fields": changed})
        return changed

    async def archive(self, patient_id: uuid.UUID) -> None:
        """Hide the patient from lists and from carers and observers (nothing is deleted)."""
        self._require_admin()
        patient = await self.visible(patient_id)
        if patient.archived_at is None:
            patient.archived_at = datetime.now(UTC)
            await self.db.flush()
            await self._audit("patient.archive", patient.id)

    async def unarchive(self, patient_id: uuid.UUID) -> None:
        self._require_admin()
        patient = await self.visible(patient_id)
        if patient.archived_at is not None:
            patient.archived_at = None
            await self.db.flush()
            await self._audit("patient.unarchive", patient.id)
