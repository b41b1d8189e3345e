"""Dependency providers for the tasks area: the service built from the request's scope."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.guards import current_scope
from app.domain.tasks.services import TaskService


async def provide_tasks(request: Request, db_session: NamedDependency[AsyncSession]) -> TaskService:
    return TaskService(db_session, current_scope(request), request)


# Handler parameter type.
Tasks = NamedDependency[TaskService]
