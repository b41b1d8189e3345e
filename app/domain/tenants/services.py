"""Tenants (care accounts): the service the rest of the app asks about them."""

from __future__ import annotations

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import exists, select

from app.db.models import Tenant


class TenantService(SQLAlchemyAsyncRepositoryService[Tenant]):
    """Care accounts. The table is global (not tenant-owned): it is the tenants' list."""

    class Repository(SQLAlchemyAsyncRepository[Tenant]):
        model_type = Tenant

    repository_type = Repository

    async def any_exist(self) -> bool:
        """Whether this installation has any care account yet (an index-only probe)."""
        return bool(await self.repository.session.scalar(select(exists().select_from(Tenant))))
