"""`tend rotate-keys`: new data keys and rewrapping, from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.models import TenantKey
from app.domain.keys.keyring import Keyring
from app.domain.keys.rotation import KeyRotation
from app.lib.crypto import MasterKeys, fingerprint, new_key
from tests.conftest import DatabaseUnderTest
from tests.integration.keys.helpers import care_account_with_patients, patients_of, read_all

from .tend_cli import MASTER, bound_session, tend

pytestmark = pytest.mark.usefixtures("committed_care_accounts_removed")


def sessions_of(app_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(app_engine, expire_on_commit=False)


async def test_a_new_data_key_re_encrypts_every_patient(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    sessions = sessions_of(app_engine)
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MasterKeys(MASTER)), 25)
    result = await tend(
        test_database,
        "rotate-keys", "--new-data-key", "--tenant", str(tenant_id),
        "--batch-size", "10", "--settle-seconds", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "data key 2 active, 25 patients re-encrypted, retired [1]" in result.stdout
    assert {p.key_version for p in await patients_of(sessions, tenant_id)} == {2}
    assert await read_all(sessions, Keyring(MasterKeys(MASTER)), tenant_id) == made


async def test_resume_finishes_an_interrupted_rotation(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    sessions = sessions_of(app_engine)
    keyring = Keyring(MasterKeys(MASTER))
    tenant_id, made = await care_account_with_patients(sessions, keyring, 12)
    interrupted = KeyRotation(sessions, keyring, batch_size=5, settle_seconds=0)
    version = await interrupted.begin_new_data_key(tenant_id)
    await interrupted.reencrypt_batch(tenant_id, version)  # then the operator's laptop slept

    result = await tend(
        test_database,
        "rotate-keys", "--resume", "--tenant", str(tenant_id), "--settle-seconds", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "data key 2 active, 7 patients re-encrypted, retired [1]" in result.stdout
    assert await read_all(sessions, Keyring(MasterKeys(MASTER)), tenant_id) == made


async def test_rewrap_moves_the_keys_to_the_new_master_key(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    sessions = sessions_of(app_engine)
    old, new = new_key(), new_key()
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MasterKeys(old)), 3)
    result = await tend(
        test_database, "rotate-keys", "--rewrap", "--tenant", str(tenant_id),
        master=new, previous=[old],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 keys rewrapped" in result.stdout
    async with await bound_session(app_engine, tenant_id) as db:
        wrapped_by = (
            await db.scalars(select(TenantKey.wrapped_by).where(TenantKey.tenant_id == tenant_id))
        ).all()
    assert set(wrapped_by) == {fingerprint(new)}
    assert await read_all(sessions, Keyring(MasterKeys(new)), tenant_id) == made


async def test_rewrap_without_the_old_master_key_fails_and_changes_nothing(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    sessions = sessions_of(app_engine)
    old = new_key()
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MasterKeys(old)), 2)
    result = await tend(
        test_database, "rotate-keys", "--rewrap", "--tenant", str(tenant_id), master=new_key()
    )
    assert result.exit_code == 1
    assert f"FAILED  {tenant_id}" in result.stdout
    assert "TEND_MASTER_KEY_PREVIOUS" in result.stdout
    assert await read_all(sessions, Keyring(MasterKeys(old)), tenant_id) == made


async def test_rotate_keys_says_what_it_needs(test_database: DatabaseUnderTest) -> None:
    nothing = await tend(test_database, "rotate-keys")
    assert nothing.exit_code == 2
    assert "Choose --rewrap, --new-data-key or --resume." in nothing.output
    unnamed = await tend(test_database, "rotate-keys", "--new-data-key")
    assert unnamed.exit_code == 2
    assert "--all-tenants" in unnamed.output


async def test_all_tenants_rotates_each_care_account_on_its_own(
    test_database: DatabaseUnderTest, app_engine: AsyncEngine
) -> None:
    sessions = sessions_of(app_engine)
    first, made_first = await care_account_with_patients(sessions, Keyring(MasterKeys(MASTER)), 4)
    second, _ = await care_account_with_patients(sessions, Keyring(MasterKeys(MASTER)), 0)
    result = await tend(
        test_database, "rotate-keys", "--new-data-key", "--all-tenants", "--settle-seconds", "0"
    )
    # Care accounts of other tests, under other master keys, fail on their own lines.
    assert f"OK      {first}" in result.stdout
    assert f"OK      {second}" in result.stdout
    assert await read_all(sessions, Keyring(MasterKeys(MASTER)), first) == made_first
    assert {p.key_version for p in await patients_of(sessions, first)} == {2}
