"""Rewrapping under a new master key, and ciphertexts that open only where they were sealed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import TenantKey
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.domain.keys.rotation import KeyRotation
from app.domain.patients.codec import open_identity
from app.lib.crypto import DecryptionError, MasterKeys, fingerprint, new_key

from .helpers import care_account_with_patients, patients_of, read_all


async def wrapped_by(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> set[str]:
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        return set(
            (
                await db.scalars(
                    select(TenantKey.wrapped_by).where(TenantKey.tenant_id == tenant_id)
                )
            ).all()
        )


async def test_after_rewrap_the_new_master_key_alone_opens_everything(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old, new = new_key(), new_key()
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MasterKeys(old)), 12)
    assert await wrapped_by(sessions, tenant_id) == {fingerprint(old)}

    # The operator sets TEND_MASTER_KEY=new and TEND_MASTER_KEY_PREVIOUS=old, then rewraps.
    rewrapping = KeyRotation(sessions, Keyring(MasterKeys(new, (old,))), settle_seconds=0)
    assert await rewrapping.rewrap(tenant_id) == 2  # the data key and the search key
    assert await rewrapping.rewrap(tenant_id) == 0  # nothing left to do
    assert await wrapped_by(sessions, tenant_id) == {fingerprint(new)}

    assert await read_all(sessions, Keyring(MasterKeys(new)), tenant_id) == made
    with pytest.raises(DecryptionError):
        await read_all(sessions, Keyring(MasterKeys(old)), tenant_id)


async def test_rewrap_without_the_old_master_key_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old, new = new_key(), new_key()
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MasterKeys(old)), 2)
    with pytest.raises(DecryptionError):
        await KeyRotation(sessions, Keyring(MasterKeys(new))).rewrap(tenant_id)
    assert await wrapped_by(sessions, tenant_id) == {fingerprint(old)}
    assert await read_all(sessions, Keyring(MasterKeys(old)), tenant_id) == made


async def test_a_ciphertext_copied_to_another_row_or_care_account_does_not_open(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    master = MasterKeys(new_key())
    keyring = Keyring(master)
    first, _ = await care_account_with_patients(sessions, keyring, 2)
    second, _ = await care_account_with_patients(sessions, keyring, 1)
    one, two = await patients_of(sessions, first)
    (elsewhere,) = await patients_of(sessions, second)

    async with sessions() as db:
        await bind_tenant(db, first)
        two.given_name = one.given_name  # another row of the same care account
        with pytest.raises(DecryptionError):
            await open_identity(db, keyring, two)
        one.family_name, one.given_name = one.given_name, one.family_name  # another column
        with pytest.raises(DecryptionError):
            await open_identity(db, keyring, one)

    fresh_one = next(p for p in await patients_of(sessions, first) if p.id == one.id)
    async with sessions() as db:
        await bind_tenant(db, second)
        elsewhere.given_name = fresh_one.given_name  # another care account, same key version
        with pytest.raises(DecryptionError):
            await open_identity(db, keyring, elsewhere)
