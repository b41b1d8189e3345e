"""The only way request handling reaches patients: queries scoped to who is asking.

Every query starts from `visible_to(me)`: the tenant filter, and for carers and observers
an EXISTS on a live `patient_access` grant (an expired grant is no grant) and no archived
patients. Row-level security stands behind it, so even a bug here cannot cross tenants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import (
    ColumnElement,
    Select,
    delete,
    distinct,
    exists,
    false,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, load_only

from app.db.models import Patient, PatientAccess, PatientSearchTerm
from app.domain.identity.access import AccessScope

PAGE_SIZE = 50


def live_grant(me: AccessScope) -> ColumnElement[bool]:
    """`me` holds a grant for the patient in the outer query, and it has not expired."""
    return exists().where(
        PatientAccess.tenant_id == me.tenant_id,
        PatientAccess.patient_id == Patient.id,
        PatientAccess.user_id == me.user_id,
        or_(PatientAccess.expires_at.is_(None), PatientAccess.expires_at > func.now()),
    )


def visible_to(me: AccessScope) -> Select[tuple[Patient]]:
    """Patients `me` may see: all of the tenant's for an admin; granted, current ones for
    carers and observers (an archived patient is gone for them)."""
    statement = select(Patient).where(Patient.tenant_id == me.tenant_id)
    if not me.is_admin:
        statement = statement.where(live_grant(me), Patient.archived_at.is_(None))
    return statement


def visible_patient_ids(me: AccessScope) -> Select[tuple[uuid.UUID]]:
    """Ids of the patients `me` may see: for `record.patient_id IN (...)` in other areas."""
    return visible_to(me).with_only_columns(Patient.id)


def sees_patient(me: AccessScope, patient_id: Any) -> ColumnElement[bool]:
    """`me` may see the patient `patient_id` (a column of the outer query): an EXISTS."""
    return visible_to(me).where(Patient.id == patient_id).exists()


class PatientRepository(SQLAlchemyAsyncRepository[Patient]):
    """Patients as `me` may see them. There is no constructor without a scope.

    advanced-alchemy's entity cache stays off (no `cache_manager`): it is keyed by id and
    would ignore the scoped statement.
    """

    model_type = Patient

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)  # the scope decides the statement, never the caller
        super().__init__(statement=visible_to(me), **kwargs)
        self.me = me

    async def find(self, patient_id: uuid.UUID, *, with_photo: bool = False) -> Patient | None:
        """One visible patient (archived ones included for admins), or None. The photo,
        the one large column, is left in the database unless asked for."""
        statement = self.statement.where(Patient.id == patient_id)
        if not with_photo:
            statement = statement.options(defer(Patient.photo, raiseload=True))
        return await self.get_one_or_none(statement=statement)

    async def has_photo(self, patient_id: uuid.UUID) -> bool:
        statement = self.statement.where(Patient.id == patient_id, Patient.photo.is_not(None))
        return bool(await self.session.scalar(select(statement.exists())))

    async def page(
        self,
        *,
        after: uuid.UUID | None = None,
        include_archived: bool = False,
        matching: Select[Any] | None = None,
        limit: int = PAGE_SIZE,
    ) -> Sequence[Patient]:
        """Up to `limit` patients, newest first, after the id `after` (keyset pagination).

        Names are ciphertext, so SQL cannot sort by them: the order is the id, a UUIDv7,
        i.e. when the patient was added. `(tenant_id, id)` is the primary key, so each page
        is an index range scan: the same cost at 10 patients or 100,000.
        """
        statement = self.statement.options(
            load_only(
                Patient.tenant_id,
                Patient.id,
                Patient.given_name,
                Patient.family_name,
                Patient.preferred_name,
                Patient.date_of_birth,
                Patient.archived_at,
                raiseload=True,
            )
        )
        if not include_archived:
            statement = statement.where(Patient.archived_at.is_(None))
        if after is not None:
            statement = statement.where(Patient.id < after)
        if matching is not None:
            statement = statement.where(Patient.id.in_(matching))
        statement = statement.order_by(Patient.id.desc()).limit(limit)
        return (await self.session.scalars(statement)).all()

    def matching_terms(self, name_terms: Sequence[bytes], identifier: bytes | None) -> Select[Any]:
        """Ids of patients whose blind index holds every name term, or the identifier.

        Each term is an index lookup on (tenant_id, term): the clear text never reaches
        the database, and nothing is decrypted to search.
        """
        tenant = PatientSearchTerm.tenant_id == self.me.tenant_id
        branches = []
        if name_terms:
            branches.append(
                select(PatientSearchTerm.patient_id)
                .where(tenant, PatientSearchTerm.term.in_(name_terms))
                .group_by(PatientSearchTerm.patient_id)
                .having(func.count(distinct(PatientSearchTerm.term)) == len(set(name_terms)))
            )
        if identifier is not None:
            branches.append(
                select(PatientSearchTerm.patient_id).where(
                    tenant, PatientSearchTerm.term == identifier
                )
            )
        if not branches:
            return select(PatientSearchTerm.patient_id).where(false())
        if len(branches) == 1:
            return branches[0]
        return branches[0].union(branches[1])  # type: ignore[return-value]


async def replace_search_terms(db: AsyncSession, patient: Patient, terms: Iterable[bytes]) -> None:
    """The patient's blind index, rebuilt from scratch (the caller holds the patient)."""
    await db.execute(
        delete(PatientSearchTerm).where(
            PatientSearchTerm.tenant_id == patient.tenant_id,
            PatientSearchTerm.patient_id == patient.id,
        )
    )
    rows = [{"tenant_id": patient.tenant_id, "patient_id": patient.id, "term": t} for t in terms]
    if rows:
        await db.execute(insert(PatientSearchTerm), rows)
