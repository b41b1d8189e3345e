"""Dependency providers for the staff area: its services, bound to the signed-in admin."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.deps import Me
from app.domain.staff.invites import InviteAcceptance, InviteService
from app.domain.staff.services import StaffService


async def provide_staff(
    request: Request, db_session: NamedDependency[AsyncSession], me: Me
) -> StaffService:
    return StaffService(db_session, me, request)


async def provide_invites(
    request: Request, db_session: NamedDependency[AsyncSession], me: Me
) -> InviteService:
    return InviteService(db_session, me, request)


async def provide_acceptance(db_session: NamedDependency[AsyncSession]) -> InviteAcceptance:
    return InviteAcceptance(db_session)


# Handler parameter types.
Staff = NamedDependency[StaffService]
Invites = NamedDependency[InviteService]
Acceptance = NamedDependency[InviteAcceptance]
