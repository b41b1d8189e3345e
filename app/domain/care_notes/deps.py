"""Dependency providers for care notes: the service built from the request's scope."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.care_notes.services import CareNoteService
from app.domain.identity.guards import current_scope


async def provide_notes(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> CareNoteService:
    return CareNoteService(
        db_session,
        me=current_scope(request),
        keyring=request.app.state.keyring,
        connection=request,
    )


# Handler parameter type.
Notes = NamedDependency[CareNoteService]
