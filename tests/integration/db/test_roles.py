"""The app serves as a role that row-level security binds: not superuser, owner or BYPASSRLS."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import OWNER_ROLE


async def test_app_role_is_neither_superuser_nor_bypassrls(connection: AsyncConnection) -> None:
    row = (
        await connection.execute(
            text(
                "SELECT current_user AS name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                "FROM pg_roles WHERE rolname = current_user"
            )
        )
    ).one()
    assert row.name == "tend_app"
    assert not row.rolsuper
    assert not row.rolbypassrls
    assert not row.rolcreaterole
    assert not row.rolcreatedb


async def test_app_role_owns_no_table(connection: AsyncConnection) -> None:
    owned = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user"
        )
    )
    tables = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
    )
    assert tables > 0
    assert owned == 0


async def test_app_role_cannot_act_as_the_owner(connection: AsyncConnection) -> None:
    # Membership in the owner role would let it SET ROLE and escape every policy.
    member = await connection.scalar(
        text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"), {"owner": OWNER_ROLE}
    )
    assert member is False


async def test_app_role_cannot_create_tables(connection: AsyncConnection) -> None:
    can_create = await connection.scalar(text("SELECT has_schema_privilege('public', 'CREATE')"))
    assert can_create is False
