"""Helpers for Alembic migrations: tenant-owned tables with row-level security and grants.

Every tenant-owned table is made with `create_tenant_table`, so none can be forgotten:
it gets `tenant_id` first in its primary key, a foreign key to `tenants`, RLS enabled
and forced, the tenant policy, and the app role's grants. `tests/integration/db/
test_schema_rules.py` inspects the migrated database to prove it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import context, op

from app.config import url_user

TENANT_POLICY = "tenant_isolation"
# NULLIF: once a session has set app.tenant_id, PostgreSQL reports '' (not NULL) when it is
# unset again; both must match no row, so an unbound connection sees nothing (fails closed).
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def app_role() -> str:
    """The role that serves requests and gets the grants (not the migration's own role)."""
    attributes = context.config.attributes
    return (
        attributes.get("app_role")
        or os.environ.get("TEND_DB_APP_ROLE")
        or url_user(os.environ.get("DATABASE_URL", ""))
        or "tend_app"
    )


def tenant_rls_statements(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY {TENANT_POLICY} ON "{table}" '
        f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]


def grant_app(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    op.execute(f'GRANT {privileges} ON "{table}" TO "{app_role()}"')


def create_tenant_table(
    table: str,
    *columns: sa.Column | sa.Constraint | sa.Index,
    primary_key: Iterable[str] = ("id",),
    privileges: str = "SELECT, INSERT, UPDATE, DELETE",
) -> None:
    """Create a tenant-owned table: `(tenant_id, *primary_key)` key, RLS forced, grants."""
    op.create_table(
        table,
        sa.Column(
            "tenant_id",
            sa.Uuid(),
            sa.ForeignKey("tenants.id", name=f"fk_{table}_tenant"),
            nullable=False,
        ),
        *columns,
        sa.PrimaryKeyConstraint("tenant_id", *primary_key, name=f"pk_{table}"),
    )
    for statement in tenant_rls_statements(table):
        op.execute(statement)
    grant_app(table, privileges)
