"""The tenancy rules hold for the real migrations, and the checker catches a table built wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.migration_helpers import tenant_rls_statements
from app.db.schema_rules import check_schema

SCRATCH = "rules_scratch"


@pytest.fixture
async def owner(owner_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """The owner, in a transaction rolled back at the end: DDL here never lands."""
    async with owner_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


async def scratch(owner: AsyncConnection, *statements: str) -> list[str]:
    """Build tables in a scratch schema and return what the checker says about it."""
    await owner.execute(text(f"CREATE SCHEMA {SCRATCH}"))
    await owner.execute(text(f"SET LOCAL search_path = {SCRATCH}"))
    await owner.execute(text("CREATE TABLE tenants (id uuid PRIMARY KEY)"))
    for statement in statements:
        await owner.execute(text(statement))
    return [str(v) for v in await check_schema(owner, SCRATCH)]


GOOD_TABLE = (
    "CREATE TABLE patients (tenant_id uuid NOT NULL REFERENCES tenants(id), id uuid NOT NULL,"
    " PRIMARY KEY (tenant_id, id))"
)


async def test_migrated_schema_follows_the_tenancy_rules(owner: AsyncConnection) -> None:
    assert await check_schema(owner) == []


async def test_migrations_have_a_tenant_owned_table_to_check(owner: AsyncConnection) -> None:
    count = await owner.scalar(
        text(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
    )
    assert count >= 1


async def test_a_table_built_by_the_helper_passes(owner: AsyncConnection) -> None:
    assert await scratch(owner, GOOD_TABLE, *tenant_rls_statements("patients")) == []


async def test_checker_catches_missing_row_level_security(owner: AsyncConnection) -> None:
    found = await scratch(owner, GOOD_TABLE)
    assert "patients: row-level security is not enabled" in found
    assert "patients: row-level security is not forced" in found
    assert "patients: has no tenant policy on app.tenant_id" in found


async def test_checker_catches_rls_enabled_but_not_forced(owner: AsyncConnection) -> None:
    statements = [s for s in tenant_rls_statements("patients") if "FORCE" not in s]
    found = await scratch(owner, GOOD_TABLE, *statements)
    assert found == ["patients: row-level security is not forced"]


async def test_checker_catches_a_policy_that_ignores_the_tenant(owner: AsyncConnection) -> None:
    found = await scratch(
        owner,
        GOOD_TABLE,
        "ALTER TABLE patients ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE patients FORCE ROW LEVEL SECURITY",
        "CREATE POLICY anything ON patients USING (true)",
    )
    assert found == [
        "patients: has no tenant policy on app.tenant_id",
        "patients: policy anything reaches beyond the tenant",
    ]


async def test_checker_catches_a_key_that_does_not_lead_with_tenant_id(
    owner: AsyncConnection,
) -> None:
    found = await scratch(
        owner,
        "CREATE TABLE notes (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)",
        *tenant_rls_statements("notes"),
    )
    assert found == ["notes: primary key does not begin with tenant_id"]


async def test_checker_catches_a_foreign_key_without_tenant_id(owner: AsyncConnection) -> None:
    found = await scratch(
        owner,
        GOOD_TABLE,
        *tenant_rls_statements("patients"),
        "ALTER TABLE patients ADD UNIQUE (id)",
        "CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, patient_id uuid,"
        " PRIMARY KEY (tenant_id, id),"
        " CONSTRAINT notes_patient FOREIGN KEY (patient_id) REFERENCES patients (id))",
        *tenant_rls_statements("notes"),
    )
    assert any("foreign key notes_patient" in v and "leaves tenant_id out" in v for v in found)


async def test_checker_accepts_a_foreign_key_with_tenant_id(owner: AsyncConnection) -> None:
    found = await scratch(
        owner,
        GOOD_TABLE,
        *tenant_rls_statements("patients"),
        "CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, patient_id uuid,"
        " PRIMARY KEY (tenant_id, id),"
        " FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id))",
        *tenant_rls_statements("notes"),
    )
    assert found == []


async def test_checker_catches_a_table_with_no_tenant_that_is_not_global(
    owner: AsyncConnection,
) -> None:
    found = await scratch(owner, "CREATE TABLE loose_ends (id uuid PRIMARY KEY)")
    assert found == ["loose_ends: has no tenant_id and is not declared in GLOBAL_TABLES"]


async def test_checker_catches_a_second_policy_that_widens_the_tenant(
    owner: AsyncConnection,
) -> None:
    found = await scratch(
        owner,
        GOOD_TABLE,
        *tenant_rls_statements("patients"),
        "CREATE POLICY everyone_reads ON patients FOR SELECT USING (true)",
    )
    assert found == ["patients: policy everyone_reads reaches beyond the tenant"]
