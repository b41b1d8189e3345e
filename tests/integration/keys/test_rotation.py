"""Data key rotation: every record stays readable before, during and after, with no downtime."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.models import AuditEvent, TenantKey
from app.db.tenancy import bind_tenant
from app.domain.audit.services import check_chain
from app.domain.keys.keyring import DATA, SEARCH, Keyring
from app.domain.keys.rotation import KeyRotation
from app.domain.patients.codec import SEALED_COLUMNS
from app.lib.crypto import MasterKeys, key_version, new_key

from .helpers import add_patients, care_account_with_patients, patients_of, read_all

MASTER = MasterKeys(new_key())


def rotation(sessions: async_sessionmaker[AsyncSession], batch_size: int = 50) -> KeyRotation:
    # A keyring of its own, as the `tend rotate-keys` process has; no settling wait in tests.
    return KeyRotation(sessions, Keyring(MASTER), batch_size=batch_size, settle_seconds=0)


async def key_states(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID
) -> dict[tuple[str, int], str]:
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        rows = await db.execute(
            select(TenantKey.purpose, TenantKey.version, TenantKey.state).where(
                TenantKey.tenant_id == tenant_id
            )
        )
        return {(row.purpose, row.version): row.state for row in rows}


def versions_in(patients: list, column_versions: bool = True) -> set[int]:
    found = {p.key_version for p in patients}
    if column_versions:
        for patient in patients:
            found |= {
                key_version(getattr(patient, c)) for c in SEALED_COLUMNS if getattr(patient, c)
            }
    return found


async def test_rotation_keeps_every_record_readable(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MASTER), 130)
    before = {p.id: p.updated_at for p in await patients_of(sessions, tenant_id)}

    result = await rotation(sessions).rotate_data_key(tenant_id)

    assert (result.version, result.reencrypted, result.retired) == (2, 130, [1])
    assert await read_all(sessions, Keyring(MASTER), tenant_id) == made
    after = await patients_of(sessions, tenant_id)
    assert versions_in(after) == {2}
    assert {p.id: p.updated_at for p in after} == before  # re-encrypting is not an edit
    assert await key_states(sessions, tenant_id) == {
        (DATA, 1): "retired",
        (DATA, 2): "active",
        (SEARCH, 1): "active",
    }


async def test_a_read_during_rotation_never_fails(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app_keyring = Keyring(MASTER)  # an app process, with the old version cached as active
    tenant_id, made = await care_account_with_patients(sessions, app_keyring, 120)
    rotating = rotation(sessions)

    version = await rotating.begin_new_data_key(tenant_id)
    count, _ = await rotating.reencrypt_batch(tenant_id, version)
    assert count == 50
    assert versions_in(await patients_of(sessions, tenant_id)) == {1, 2}
    assert await read_all(sessions, app_keyring, tenant_id) == made
    assert await read_all(sessions, Keyring(MASTER), tenant_id) == made

    assert await rotating.reencrypt_pass(tenant_id, version) == 70
    assert await read_all(sessions, app_keyring, tenant_id) == made
    assert await rotating.retire(tenant_id, version) == [1]
    assert await read_all(sessions, app_keyring, tenant_id) == made


async def test_rows_written_meanwhile_with_the_old_key_are_caught(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app_keyring = Keyring(MASTER)
    tenant_id, made = await care_account_with_patients(sessions, app_keyring, 10)
    rotating = rotation(sessions)
    version = await rotating.begin_new_data_key(tenant_id)
    assert await rotating.reencrypt_pass(tenant_id, version) == 10

    # The app process still believes version 1 is active (its cache lasts ~30 s).
    made |= await add_patients(sessions, app_keyring, tenant_id, range(100, 103))
    assert await rotating.retire(tenant_id, version) is None  # not while rows remain

    result = await rotating.finish(tenant_id)
    assert (result.reencrypted, result.retired) == (3, [1])
    assert versions_in(await patients_of(sessions, tenant_id)) == {2}
    assert await read_all(sessions, Keyring(MASTER), tenant_id) == made


async def test_a_row_locked_by_the_app_is_skipped_then_caught(
    sessions: async_sessionmaker[AsyncSession], app_engine: AsyncEngine
) -> None:
    tenant_id, made = await care_account_with_patients(sessions, Keyring(MASTER), 5)
    busy = sorted(made)[2]
    rotating = rotation(sessions)
    version = await rotating.begin_new_data_key(tenant_id)
    async with app_engine.connect() as other:
        await other.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
        await other.execute(
            text("SELECT 1 FROM patients WHERE tenant_id = :t AND id = :id FOR UPDATE"),
            {"t": tenant_id, "id": busy},
        )
        assert await rotating.reencrypt_pass(tenant_id, version) == 4  # no waiting on it
        assert await rotating.retire(tenant_id, version) is None
        await other.rollback()
    assert await rotating.reencrypt_pass(tenant_id, version) == 1
    assert await rotating.retire(tenant_id, version) == [1]
    assert await read_all(sessions, Keyring(MASTER), tenant_id) == made


async def test_rotation_is_recorded_in_the_care_accounts_audit_chain(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant_id, _ = await care_account_with_patients(sessions, Keyring(MASTER), 3)
    await rotation(sessions).rotate_data_key(tenant_id)
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        events = (
            await db.execute(
                select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
                .where(AuditEvent.tenant_id == tenant_id)
                .order_by(AuditEvent.seq)
            )
        ).all()
        assert (await check_chain(db, tenant_id)).intact
    assert [(e.action, e.actor_id) for e in events] == [
        ("keys.rotate", None),
        ("keys.retire", None),
    ]
    assert events[0].detail == {"version": 2, "retiring": [1]}
    assert events[1].detail == {"retired": [1], "active": 2}


async def test_many_care_accounts_rotate_independently(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, made_first = await care_account_with_patients(sessions, Keyring(MASTER), 4)
    second, made_second = await care_account_with_patients(sessions, Keyring(MASTER), 6)
    rotating = rotation(sessions)
    results = [await rotating.rotate_data_key(first), await rotating.rotate_data_key(second)]
    assert [(r.tenant_id, r.reencrypted) for r in results] == [(first, 4), (second, 6)]
    assert await read_all(sessions, Keyring(MASTER), first) == made_first
    assert await read_all(sessions, Keyring(MASTER), second) == made_second

    again = await rotation(sessions).rotate_data_key(first)  # a second rotation: 2 → 3
    assert (again.version, again.retired) == (3, [2])
    assert versions_in(await patients_of(sessions, first)) == {3}
    assert await read_all(sessions, Keyring(MASTER), first) == made_first
