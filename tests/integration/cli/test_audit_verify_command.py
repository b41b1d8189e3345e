"""`tend audit-verify`: every care account's chain checked as the app role; 1 if broken."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import DatabaseUnderTest
from tests.integration.audit.chain_helpers import as_owner, committed_tenant, verify

from .tend_cli import tend

pytestmark = pytest.mark.usefixtures("committed_care_accounts_removed")


async def test_an_intact_chain_is_reported_ok(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=3)
    result = await tend(test_database, "audit-verify", "--tenant", str(tenant_id))
    assert result.exit_code == 0, result.output
    assert f"OK      {tenant_id}" in result.stdout
    head = (await verify(app_engine, tenant_id)).head_hash.hex()
    assert f"(3 events, head {head})" in result.stdout
    assert "1 of 1 audit chains are intact." in result.stdout


async def test_a_tampered_chain_fails_the_command(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=3)
    await as_owner(
        owner_engine,
        tenant_id,
        "UPDATE audit_events SET route = '/elsewhere' WHERE tenant_id = :tenant AND seq = 2",
    )
    result = await tend(test_database, "audit-verify", "--tenant", str(tenant_id))
    assert result.exit_code == 1
    assert f"BROKEN  {tenant_id}" in result.stdout
    assert "event 2: its content does not match its hash" in result.stdout


async def test_every_care_account_is_checked_by_default(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    intact = await committed_tenant(app_engine, events=2)
    broken = await committed_tenant(app_engine, events=2)
    await as_owner(owner_engine, broken, "DELETE FROM audit_events WHERE tenant_id = :tenant")
    result = await tend(test_database, "audit-verify")
    assert result.exit_code == 1
    assert f"OK      {intact}" in result.stdout
    assert f"BROKEN  {broken}" in result.stdout
    assert "the newest events are missing" in result.stdout


async def test_an_unknown_care_account_is_an_error(test_database: DatabaseUnderTest) -> None:
    result = await tend(
        test_database, "audit-verify", "--tenant", "00000000-0000-0000-0000-000000000000"
    )
    assert result.exit_code == 1
    assert "There is no care account" in result.output
