"""Dependency providers for the tenants area."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider

from app.domain.tenants.services import TenantService

provide_tenant_service = create_service_provider(TenantService)
