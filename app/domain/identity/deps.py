"""Dependency providers for identity: the signed-in scope and the identity service."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.access import AccessScope
from app.domain.identity.guards import current_scope
from app.domain.identity.services import IdentityService


async def provide_me(request: Request) -> AccessScope:
    """The signed-in person (`me`): `scope` is a name Litestar keeps for itself."""
    return current_scope(request)


async def provide_identity(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> IdentityService:
    state = request.app.state
    return IdentityService(db_session, state.secret_key, state.keyring)


# Handler parameter types: `me: Me` is the signed-in person, `identity: Identity` the service.
Me = NamedDependency[AccessScope]
Identity = NamedDependency[IdentityService]
