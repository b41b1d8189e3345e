"""`tend create-tenant` and `tend create-user`: the sign-up rules, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.models import AuditEvent, Membership, TenantKey, User
from app.domain.audit.services import check_chain
from app.lib.passwords import verify_password
from tests.conftest import DatabaseUnderTest
from tests.factories import stored_password_hash

from .tend_cli import bound_session, care_account, environment, tend

pytestmark = pytest.mark.usefixtures("committed_care_accounts_removed")

PASSWORD = "plum orchard lantern 42"


def email() -> str:
    return f"op-{uuid.uuid4().hex[:10]}@example.com"


async def test_create_tenant_makes_a_care_account_with_its_first_admin(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    admin_email = email()
    result = await tend(
        test_database,
        "create-tenant",
        "--name", "Harbour View Care",
        "--admin-email", admin_email.upper(),
        "--admin-name", "Hana Admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tenant_id = uuid.UUID(result.stdout.strip())

    async with await bound_session(app_engine, tenant_id) as db:
        admin = (await db.scalars(select(User).where(User.email == admin_email))).one()
        membership = await db.get(Membership, (tenant_id, admin.id))
        assert membership is not None and membership.role == "admin"
        assert admin.display_name == "Hana Admin"
        assert (await verify_password(await stored_password_hash(db, admin_email), PASSWORD))[0]
        keys = (
            await db.scalars(select(TenantKey.purpose).where(TenantKey.tenant_id == tenant_id))
        ).all()
        assert sorted(keys) == ["data", "search"]
        events = (
            (await db.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)))
            .scalars()
            .all()
        )
        assert [(e.action, e.actor_id) for e in events] == [("tenant.create", None)]
        assert (await check_chain(db, tenant_id)).intact


async def test_create_tenant_asks_for_the_password_twice(
    test_database: DatabaseUnderTest,
) -> None:
    args = (
        "create-tenant",
        "--name",
        "Kauri House",
        "--admin-email",
        email(),
        "--admin-name",
        "Kim",
    )
    result = await tend(test_database, *args, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    uuid.UUID(result.stdout.strip().splitlines()[-1])


async def test_create_tenant_refuses_a_weak_password_or_a_taken_email(
    test_database: DatabaseUnderTest,
) -> None:
    taken = email()
    base = ("create-tenant", "--name", "Rata Lodge", "--admin-name", "Rua", "--password-stdin")
    weak = await tend(test_database, *base, "--admin-email", taken, stdin="short\n")
    assert weak.exit_code == 1
    assert "Use at least 12 characters." in weak.output
    first = await tend(test_database, *base, "--admin-email", taken, stdin=PASSWORD + "\n")
    assert first.exit_code == 0, first.output
    again = await tend(test_database, *base, "--admin-email", taken, stdin=PASSWORD + "\n")
    assert again.exit_code == 1
    assert "already has an account" in again.output
    bad = await tend(test_database, *base, "--admin-email", "not-an-email", stdin=PASSWORD + "\n")
    assert bad.exit_code == 2


async def test_create_user_adds_a_new_person_with_a_password(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    tenant_id = await care_account(app_engine)
    address = email()
    result = await tend(
        test_database,
        "create-user", "--tenant", str(tenant_id), "--email", address,
        "--name", "Cara Carer", "--role", "carer", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    async with await bound_session(app_engine, tenant_id) as db:
        person = (await db.scalars(select(User).where(User.email == address))).one()
        membership = await db.get(Membership, (tenant_id, person.id))
        assert membership is not None and (membership.role, membership.status) == (
            "carer",
            "active",
        )
        stored = await stored_password_hash(db, person.email)
        assert (await verify_password(stored, PASSWORD))[0]
        actions = (
            await db.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id))
        ).all()
        assert actions == ["member.add"]


async def test_create_user_adds_someone_who_already_has_an_account(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    first, second = await care_account(app_engine), await care_account(app_engine)
    address = email()
    args = ("create-user", "--email", address, "--name", "Oli Observer")
    made = await tend(
        test_database, *args, "--tenant", str(first), "--role", "carer", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    added = await tend(test_database, *args, "--tenant", str(second), "--role", "observer")
    assert added.exit_code == 0, added.output
    assert "password unchanged" in added.output
    async with await bound_session(app_engine, second) as db:
        person = (await db.scalars(select(User).where(User.email == address))).one()
        stored = await stored_password_hash(db, person.email)
        assert (await verify_password(stored, PASSWORD))[0]
        assert (await db.get(Membership, (second, person.id))).role == "observer"
    twice = await tend(test_database, *args, "--tenant", str(second), "--role", "admin")
    assert twice.exit_code == 1
    assert "already a member" in twice.output


async def test_create_user_needs_an_existing_care_account(test_database: DatabaseUnderTest) -> None:
    result = await tend(
        test_database,
        "create-user", "--tenant", str(uuid.uuid4()), "--email", email(),
        "--name", "Nobody", "--role", "carer", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "There is no care account" in result.output


def test_the_tend_script_creates_a_care_account(
    test_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    """Through the installed console script, as an operator types it."""
    env = {**os.environ, **environment(test_database), "TEND_DATA_DIR": str(tmp_path)}
    tend_script = Path(sys.executable).with_name("tend")
    done = subprocess.run(
        [str(tend_script), "create-tenant", "--name", "Tōtara Care", "--admin-email", email(),
         "--admin-name", "Tui Admin", "--password-stdin"],
        input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    uuid.UUID(done.stdout.strip())
    assert "Created care account 'Tōtara Care'" in done.stderr
