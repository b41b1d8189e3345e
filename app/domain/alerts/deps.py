"""Dependency providers for alerts: the service built from the request's scope."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.alerts.services import AlertService
from app.domain.identity.guards import current_scope


async def provide_alerts(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> AlertService:
    return AlertService(
        db_session,
        me=current_scope(request),
        keyring=request.app.state.keyring,
        connection=request,
    )


# Handler parameter type.
Alerts = NamedDependency[AlertService]
