"""The patient a care-record page is about: checked visible to `me`, named for the top bar.

Every module (notes, medicines, vitals, tasks…) starts here, so a record can only ever be
read or written against a patient the person may see, and the page always says whose
record it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from litestar.exceptions import NotFoundException
from sqlalchemy import Select, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.codec import open_identity
from app.domain.patients.repository import visible_to
from app.domain.patients.services import parse_id
from app.domain.today.bound import per_kind, scope_params

NAME_COLUMNS = ("given_name", "family_name", "preferred_name")


def _named(me: AccessScope) -> Select[Any]:
    """The patient if visible to `me`, with what a name and the archive flag need."""
    return (
        visible_to(me)
        .with_only_columns(
            Patient.tenant_id,
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            Patient.preferred_name,
            Patient.archived_at,
        )
        .where(Patient.id == bindparam("patient_id"))
    )


# Built once per kind of person: every care-record page starts here.
_NAMED = per_kind(_named)


@dataclass(frozen=True)
class ChosenPatient:
    """A patient `me` may see, with the name their pages show."""

    id: uuid.UUID
    name: str
    archived: bool

    @property
    def active(self) -> bool:
        """Care is recorded only for patients who are not archived."""
        return not self.archived


async def chosen_patient(
    db: AsyncSession, keyring: Keyring, me: AccessScope, patient_id: str | uuid.UUID
) -> ChosenPatient:
    """The patient named in the path if `me` may see them; otherwise the 404 of a patient
    that does not exist (not allowed and not there look the same)."""
    wanted = patient_id if isinstance(patient_id, uuid.UUID) else parse_id(patient_id)
    result = await db.execute(_NAMED[me.is_admin], scope_params(me, patient_id=wanted))
    patient = result.one_or_none()
    if patient is None:
        raise NotFoundException()
    # The row has the columns open_identity reads (ids and the sealed names).
    identity = await open_identity(db, keyring, cast(Patient, patient), NAME_COLUMNS)
    return ChosenPatient(patient.id, identity.display_name, patient.archived_at is not None)
