"""Removing the care accounts a test committed for real, so the next test finds the
database as the rest of the suite expects it (an installation with no care account).

Audit chains, key rotation and the CLI need real commits across connections, which the
usual rolled-back test transaction cannot give. This deletes, as the owner role, every
care account that appeared during the test, child tables before parents, and the people
who belonged only to them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from graphlib import TopologicalSorter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_TENANT_TABLES = text(
    "SELECT table_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND column_name = 'tenant_id' AND table_name <> 'tenants'"
)
_REFERENCES = text(
    "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent "
    "FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
)


async def tenant_ids(owner_engine: AsyncEngine) -> set[uuid.UUID]:
    async with owner_engine.connect() as conn:
        return set((await conn.scalars(text("SELECT id FROM tenants"))).all())


async def _children_first(conn: AsyncConnection) -> list[str]:
    tables = set((await conn.scalars(_TENANT_TABLES)).all())
    graph: dict[str, set[str]] = {table: set() for table in tables}
    for row in await conn.execute(_REFERENCES):
        if row.child in tables and row.parent in tables and row.child != row.parent:
            graph[row.parent].add(row.child)  # a parent goes after its children
    return list(TopologicalSorter(graph).static_order())


async def purge(owner_engine: AsyncEngine, tenant_ids: set[uuid.UUID]) -> None:
    if not tenant_ids:
        return
    async with owner_engine.begin() as conn:
        people = set(
            (
                await conn.scalars(
                    text("SELECT user_id FROM memberships WHERE tenant_id = ANY(:ids)"),
                    {"ids": list(tenant_ids)},
                )
            ).all()
        )
        order = await _children_first(conn)
        for tenant_id in tenant_ids:
            # Row-level security is forced on the owner too: name each tenant in turn.
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            for table in order:
                await conn.execute(
                    text(f'DELETE FROM "{table}" WHERE tenant_id = :t'), {"t": tenant_id}
                )
            await conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
        if people:
            await conn.execute(
                text("DELETE FROM mfa_recovery_codes WHERE user_id = ANY(:ids)"),
                {"ids": list(people)},
            )
            await conn.execute(
                text(
                    "DELETE FROM users u WHERE u.id = ANY(:ids) AND NOT EXISTS "
                    "(SELECT 1 FROM memberships m WHERE m.user_id = u.id)"
                ),
                {"ids": list(people)},
            )


async def removed_after(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    """For a fixture: every care account committed while it is held is deleted after."""
    before = await tenant_ids(owner_engine)
    yield
    await purge(owner_engine, await tenant_ids(owner_engine) - before)
