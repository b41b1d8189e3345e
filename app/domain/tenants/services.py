"""Tenants (care accounts): the service the rest of the app asks about them."""

from __future__ import annotations

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import exists, select

from app.db.models import Tenant

_seen_a_tenant = False


class TenantService(SQLAlchemyAsyncRepositoryService[Tenant]):
    """Care accounts. The table is global (not tenant-owned): it is the tenants' list."""

    class Repository(SQLAlchemyAsyncRepository[Tenant]):
        model_type = Tenant

    repository_type = Repository

    async def any_exist(self) -> bool:
        """Whether this installation has any care account yet (an index-only probe).

        Care accounts are never deleted by the app, so once one exists this process stops
        asking: the welcome page then costs no database work at all."""
        global _seen_a_tenant
        if not _seen_a_tenant:
            _seen_a_tenant = bool(
                await self.repository.session.scalar(select(exists().select_from(Tenant)))
            )
        return _seen_a_tenant
