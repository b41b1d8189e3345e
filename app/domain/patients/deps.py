"""Dependency providers for the patients area: services built from the request's scope."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.guards import current_scope
from app.domain.patients.grants import AccessGrantService
from app.domain.patients.services import PatientService


async def provide_patients(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> PatientService:
    return PatientService(
        db_session,
        me=current_scope(request),
        keyring=request.app.state.keyring,
        connection=request,
    )


async def provide_grants(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> AccessGrantService:
    return AccessGrantService(db_session, current_scope(request), request)


# Handler parameter types.
Patients = NamedDependency[PatientService]
Grants = NamedDependency[AccessGrantService]
