"""The app serves as a role that row-level security binds: not superuser, owner or BYPASSRLS."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.models import Role
from app.db.tenancy import bind_tenant
from tests.conftest import OWNER_ROLE
from tests.factories import make_person, make_tenant


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


@pytest.mark.parametrize("column", ["password_hash", "mfa_secret"])
async def test_app_role_cannot_read_a_persons_secrets(
    connection: AsyncConnection, column: str
) -> None:
    # Co-members may see a person's name; no query of the app may return these.
    with pytest.raises(DBAPIError, match="permission denied"):
        async with connection.begin_nested():
            await connection.execute(text(f"SELECT {column} FROM users"))


async def test_own_mfa_secret_is_only_ever_ones_own(db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    me = await make_person(db_session, tenant, Role.ADMIN)
    other = await make_person(db_session, tenant, Role.ADMIN)
    await bind_tenant(db_session, tenant.id, me.id)
    mine = await db_session.scalar(text("SELECT tend_own_mfa_secret(:u)"), {"u": me.id})
    theirs = await db_session.scalar(text("SELECT tend_own_mfa_secret(:u)"), {"u": other.id})
    assert mine is not None
    assert theirs is None
