"""Every mapped table, imported here so Alembic and the app see one metadata."""

from app.db.models.base import Base, TenantOwned
from app.db.models.tenants import Tenant, TenantSettings

__all__ = ["Base", "Tenant", "TenantOwned", "TenantSettings"]
