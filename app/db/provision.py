"""Create Tend's two database roles and its database, for the embedded server and tests.

The owner role owns the tables and runs the migrations. The app role, which serves
requests, is neither superuser, nor owner, nor BYPASSRLS, so row-level security binds it.
On a managed PostgreSQL an operator creates these once (docs/OPERATIONS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from app.config import plain_url


@dataclass(frozen=True)
class Provisioned:
    owner_url: str
    app_url: str


def _with(url: str, *, user: str, database: str) -> str:
    parts = urlsplit(plain_url(url))
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{quote(user)}@{host}", f"/{database}", parts.query, ""))


async def provision(
    admin_url: str,
    database: str = "tend",
    owner_role: str = "tend_owner",
    app_role: str = "tend_app",
) -> Provisioned:
    """Create the roles and the database if missing; safe to run at every start."""
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        for role in (owner_role, app_role):
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            if not exists:
                await conn.execute(
                    f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                    "NOBYPASSRLS NOREPLICATION"
                )
        has_db = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not has_db:
            await conn.execute(f'CREATE DATABASE "{database}" OWNER "{owner_role}"')
    finally:
        await conn.close()

    # Only the owner creates objects; the app role may use what it is granted, nothing more.
    conn = await asyncpg.connect(_with(admin_url, user=_admin_user(admin_url), database=database))
    try:
        await conn.execute(f'ALTER SCHEMA public OWNER TO "{owner_role}"')
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'GRANT USAGE ON SCHEMA public TO "{app_role}"')
    finally:
        await conn.close()
    return Provisioned(
        owner_url=_with(admin_url, user=owner_role, database=database),
        app_url=_with(admin_url, user=app_role, database=database),
    )


async def drop(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


def _admin_user(admin_url: str) -> str:
    return urlsplit(plain_url(admin_url)).username or "postgres"
