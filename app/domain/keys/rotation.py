"""Key rotation without downtime: new data keys, re-encrypted records, rewrapped keys.

A new data key version becomes active at once, and the old one `retiring`. Every table
with sealed columns (`SEALED_TABLES`: patients, care note photos) is then re-sealed in
small batches, each its own transaction that locks only its rows
(`FOR UPDATE SKIP LOCKED`), so the app keeps reading and writing throughout: a reader
takes the key version from each ciphertext's header, never from the row. App processes
may keep sealing with the old version for up to `ACTIVE_TTL_SECONDS` (keyring.py), so
the sweep repeats until a pass finds nothing, waits that long after the switch, sweeps
once more, and only then marks the old version `retired`.

Rewrapping re-seals the data keys themselves under the current master key, after the
operator moves the old master key to TEND_MASTER_KEY_PREVIOUS.

Every function here names the care account it works on and binds its sessions to it, so
row-level security applies as for the web app.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, TenantKey
from app.db.models.care_notes import CareNotePhoto
from app.db.tenancy import bind_tenant
from app.domain.audit.actions import KEYS_RETIRE, KEYS_REWRAP, KEYS_ROTATE
from app.domain.audit.services import append
from app.domain.care_notes import photos as note_photos
from app.domain.keys.keyring import ACTIVE_TTL_SECONDS, DATA, Keyring
from app.domain.patients import codec as patient_codec
from app.lib.crypto import (
    DecryptionError,
    field_context,
    fingerprint,
    key_version,
    open_sealed,
    seal,
)

log = logging.getLogger("tend.keys")

BATCH_SIZE = 200
# How long after a new key becomes active the old one may still be used for new writes:
# the keyring's cache of "which version is active", plus room for requests in flight.
SETTLE_SECONDS = ACTIVE_TTL_SECONDS + 5.0
# A row another transaction keeps locked is skipped and retried; give up after this many
# passes that found only such rows, and let the operator resume later.
MAX_IDLE_PASSES = 120
IDLE_PAUSE_SECONDS = 0.5


@dataclass(frozen=True)
class SealedTable:
    """A table whose columns are sealed under the data key, as rotation sweeps it: rows
    named by (tenant_id, `row_key`), each ciphertext bound to (tenant, `name`, column,
    row key), and `key_version` no newer than the oldest key any of its columns uses."""

    table: Table
    row_key: str
    columns: tuple[str, ...]
    # Columns a re-seal leaves as they are although an update would change them.
    kept: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    def key(self) -> Any:
        return self.table.c[self.row_key]

    def reseal(self) -> Any:
        table = self.table
        return (
            table.update()
            .where(table.c.tenant_id == bindparam("b_tenant"), self.key() == bindparam("b_id"))
            .values(
                key_version=bindparam("b_version"),
                **{column: table.c[column] for column in self.kept},
                **{column: bindparam(f"b_{column}") for column in self.columns},
            )
        )


PATIENTS = SealedTable(
    cast(Table, Patient.__table__),
    "id",
    patient_codec.SEALED_COLUMNS,
    # Re-encryption is not an edit: "last changed" stays what the people did.
    kept=("updated_at",),
)
NOTE_PHOTOS = SealedTable(
    cast(Table, CareNotePhoto.__table__), "note_id", note_photos.SEALED_COLUMNS
)
# Every table with sealed columns; a module that seals data adds its table here.
SEALED_TABLES = (PATIENTS, NOTE_PHOTOS)


class RotationError(Exception):
    """The rotation cannot go on; what was done so far is safe and can be resumed."""


@dataclass(frozen=True)
class RotationResult:
    tenant_id: uuid.UUID
    version: int
    reencrypted: int
    """Patients re-sealed."""
    retired: list[int] = field(default_factory=list)
    by_table: dict[str, int] = field(default_factory=dict)
    """Rows re-sealed in each sealed table (patients, care note photos…)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one care account: a result, or why it failed."""

    tenant_id: uuid.UUID
    result: RotationResult | int | None = None
    """A rotation's result, or how many keys a rewrap rewrapped."""
    error: str | None = None


class KeyRotation:
    """Rotates the data keys and rewraps the keys of care accounts.

    `sessions` makes sessions as the app role; each step opens its own and commits it.
    """

    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        keyring: Keyring,
        *,
        batch_size: int = BATCH_SIZE,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.keyring = keyring
        self.batch_size = batch_size
        self.settle_seconds = settle_seconds

    async def _session(self, tenant_id: uuid.UUID) -> AsyncSession:
        db = self.sessions()
        await bind_tenant(db, tenant_id)
        return db

    # -- Rewrapping under a new master key ---------------------------------------------

    async def rewrap(self, tenant_id: uuid.UUID) -> int:
        """Re-seal every key of a care account still wrapped by an earlier master key
        under the current one; returns how many were rewrapped (0 when all are current)."""
        master = self.keyring.master
        current = fingerprint(master.current)
        async with await self._session(tenant_id) as db, db.begin():
            keys = (
                await db.scalars(
                    select(TenantKey)
                    .where(TenantKey.tenant_id == tenant_id, TenantKey.wrapped_by != current)
                    .with_for_update()
                )
            ).all()
            for row in keys:
                ident = (tenant_id, row.version, row.purpose)
                row.wrapped = master.wrap(
                    master.unwrap(row.wrapped, row.wrapped_by, *ident), *ident
                )
                row.wrapped_by = current
            if keys:
                await db.flush()
                await append(
                    db,
                    tenant_id,
                    None,
                    KEYS_REWRAP,
                    "tenant_keys",
                    detail={"keys": len(keys), "master_key": current},
                )
        return len(keys)

    async def rewrap_many(self, tenant_ids: list[uuid.UUID]) -> AsyncIterator[Outcome]:
        """`rewrap` for each care account in turn; one that fails does not stop the rest."""
        for tenant_id in tenant_ids:
            try:
                count = await self.rewrap(tenant_id)
            except DecryptionError as exc:
                yield Outcome(tenant_id, error=str(exc))
                continue
            yield Outcome(tenant_id, result=count)

    # -- A new data key and re-encryption ----------------------------------------------

    async def rotate_many(
        self, tenant_ids: list[uuid.UUID], *, new_key: bool = True
    ) -> AsyncIterator[Outcome]:
        """A new data key for each care account (or, without `new_key`, the end of an
        interrupted rotation), each outcome as it is known. Every new key is made active
        before any is finished, so the settling wait is spent once, not once each."""
        started: list[uuid.UUID] = []
        for tenant_id in tenant_ids:
            try:
                if new_key:
                    await self.begin_new_data_key(tenant_id)
            except (RotationError, DecryptionError) as exc:
                yield Outcome(tenant_id, error=str(exc))
                continue
            started.append(tenant_id)
        for tenant_id in started:
            try:
                result = await self.finish(tenant_id)
            except (RotationError, DecryptionError) as exc:
                yield Outcome(tenant_id, error=str(exc))
                continue
            yield Outcome(tenant_id, result=result)

    async def rotate_data_key(self, tenant_id: uuid.UUID) -> RotationResult:
        """Make a new data key active, re-encrypt every patient under it, retire the rest."""
        await self.begin_new_data_key(tenant_id)
        return await self.finish(tenant_id)

    async def begin_new_data_key(self, tenant_id: uuid.UUID) -> int:
        """A new active data key version; earlier active ones become `retiring`.
        From the next cache refresh on, the app seals new data with it."""
        try:
            return await self._begin_new_data_key(tenant_id)
        except IntegrityError as exc:  # the same version number, taken a moment ago
            msg = f"care account {tenant_id}: another key rotation is under way"
            raise RotationError(msg) from exc

    async def _begin_new_data_key(self, tenant_id: uuid.UUID) -> int:
        async with await self._session(tenant_id) as db, db.begin():
            versions = (
                await db.scalars(
                    select(TenantKey.version)
                    .where(TenantKey.tenant_id == tenant_id, TenantKey.purpose == DATA)
                    # A second rotation begun at the same moment waits here, then fails on
                    # the version number (IntegrityError) instead of making a second key.
                    .with_for_update()
                )
            ).all()
            if not versions:
                msg = f"care account {tenant_id} has no data key"
                raise RotationError(msg)
            version = max(versions) + 1
            await self.keyring.add_version(db, tenant_id, DATA, version)
            retiring = (
                await db.scalars(
                    update(TenantKey)
                    .where(
                        TenantKey.tenant_id == tenant_id,
                        TenantKey.purpose == DATA,
                        TenantKey.version < version,
                        TenantKey.state == "active",
                    )
                    .values(state="retiring")
                    .returning(TenantKey.version)
                )
            ).all()
            await append(
                db,
                tenant_id,
                None,
                KEYS_ROTATE,
                "tenant_keys",
                object_id=f"data:{version}",
                detail={"version": version, "retiring": sorted(retiring)},
            )
        log.info("care account %s: data key version %s is active", tenant_id, version)
        return version

    async def finish(self, tenant_id: uuid.UUID) -> RotationResult:
        """Re-encrypt whatever is still sealed under an older data key than the active
        one, until none is left, then retire the older keys. Safe to run again after an
        interruption (`tend rotate-keys --resume`)."""
        version = await self._active_data_key(tenant_id)
        done = {sealed.name: 0 for sealed in SEALED_TABLES}
        idle_passes = 0
        settled = False
        while True:
            swept = 0
            for sealed in SEALED_TABLES:
                count = await self.reencrypt_table_pass(tenant_id, version, sealed)
                done[sealed.name] += count
                swept += count
            if swept:
                idle_passes = 0
                continue
            if not settled:
                # Writes sealed by processes that still cached the old version: wait
                # them out once, then sweep again.
                await asyncio.sleep(await self._settle_wait(tenant_id, version))
                settled = True
                continue
            retired = await self.retire(tenant_id, version)
            if retired is not None:
                return RotationResult(tenant_id, version, done[PATIENTS.name], retired, done)
            idle_passes += 1  # rows remain, locked by other transactions right now
            if idle_passes >= MAX_IDLE_PASSES:
                msg = (
                    f"care account {tenant_id}: some records stay locked by other "
                    "transactions; run the rotation again with --resume later"
                )
                raise RotationError(msg)
            await asyncio.sleep(IDLE_PAUSE_SECONDS)

    async def reencrypt_pass(self, tenant_id: uuid.UUID, version: int) -> int:
        """One pass over every sealed table of the care account; returns rows re-sealed."""
        done = 0
        for sealed in SEALED_TABLES:
            done += await self.reencrypt_table_pass(tenant_id, version, sealed)
        return done

    async def reencrypt_table_pass(
        self, tenant_id: uuid.UUID, version: int, sealed: SealedTable
    ) -> int:
        """One pass over one table in key order; returns rows re-sealed. Rows locked by
        someone else are skipped; the next pass comes back for them."""
        done, after = 0, None
        while True:
            count, after = await self.reencrypt_batch(tenant_id, version, after, sealed)
            done += count
            if after is None:
                return done

    async def reencrypt_batch(
        self,
        tenant_id: uuid.UUID,
        version: int,
        after: uuid.UUID | None = None,
        sealed: SealedTable = PATIENTS,
    ) -> tuple[int, uuid.UUID | None]:
        """Re-seal up to `batch_size` rows of `sealed` below `version` with keys after
        `after`, in one transaction; returns (rows re-sealed, the key to continue after,
        or None)."""
        table, key_column = sealed.table, sealed.key()
        async with await self._session(tenant_id) as db, db.begin():
            statement = (
                select(key_column.label("row_key"), *(table.c[c] for c in sealed.columns))
                .where(table.c.tenant_id == tenant_id, table.c.key_version < version)
                .order_by(key_column)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            if after is not None:
                statement = statement.where(key_column > after)
            rows = (await db.execute(statement)).all()
            if not rows:
                return 0, None
            key = await self.keyring.get(db, tenant_id, DATA, version)
            params = [
                await self._resealed(db, tenant_id, sealed, row, version, key) for row in rows
            ]
            await db.execute(sealed.reseal(), params)
        return len(rows), rows[-1].row_key

    async def _resealed(
        self,
        db: AsyncSession,
        tenant_id: uuid.UUID,
        sealed: SealedTable,
        row: Any,
        version: int,
        key: bytes,
    ) -> dict[str, Any]:
        """One row's update: every field opened with the key version in its own header
        (a row may mix versions) and sealed again with `key`, bound to the same place."""
        values: dict[str, Any] = {
            "b_tenant": tenant_id,
            "b_id": row.row_key,
            "b_version": version,
        }
        for column in sealed.columns:
            ciphertext = getattr(row, column)
            if ciphertext is not None and key_version(ciphertext) != version:
                context = field_context(tenant_id, sealed.name, column, row.row_key)
                old = await self.keyring.get(db, tenant_id, DATA, key_version(ciphertext))
                ciphertext = seal(key, version, open_sealed(old, ciphertext, context), context)
            values[f"b_{column}"] = ciphertext
        return values

    async def retire(self, tenant_id: uuid.UUID, version: int) -> list[int] | None:
        """Mark older data keys `retired` once no sealed row is on one; None while some
        still are (the caller sweeps again)."""
        async with await self._session(tenant_id) as db, db.begin():
            for sealed in SEALED_TABLES:
                table = sealed.table
                left = await db.scalar(
                    select(
                        exists().where(
                            table.c.tenant_id == tenant_id, table.c.key_version < version
                        )
                    )
                )
                if left:
                    return None
            retired = (
                await db.scalars(
                    update(TenantKey)
                    .where(
                        TenantKey.tenant_id == tenant_id,
                        TenantKey.purpose == DATA,
                        TenantKey.version < version,
                        TenantKey.state != "retired",
                    )
                    .values(state="retired")
                    .returning(TenantKey.version)
                )
            ).all()
            if retired:
                await append(
                    db,
                    tenant_id,
                    None,
                    KEYS_RETIRE,
                    "tenant_keys",
                    detail={"retired": sorted(retired), "active": version},
                )
        return sorted(retired)

    async def _active_data_key(self, tenant_id: uuid.UUID) -> int:
        async with await self._session(tenant_id) as db, db.begin():
            version = await db.scalar(
                select(func.max(TenantKey.version)).where(
                    TenantKey.tenant_id == tenant_id,
                    TenantKey.purpose == DATA,
                    TenantKey.state == "active",
                )
            )
            if version is None:
                msg = f"care account {tenant_id} has no active data key"
                raise RotationError(msg)
            return int(version)

    async def _settle_wait(self, tenant_id: uuid.UUID, version: int) -> float:
        """Seconds until every app process has seen that `version` is active."""
        async with await self._session(tenant_id) as db, db.begin():
            wait = await db.scalar(
                text(
                    "SELECT greatest(0, extract(epoch FROM created_at - now())::float8 + :settle) "
                    "FROM tenant_keys WHERE tenant_id = :tenant AND purpose = :purpose "
                    "AND version = :version"
                ),
                {
                    "settle": float(self.settle_seconds),
                    "tenant": tenant_id,
                    "purpose": DATA,
                    "version": version,
                },
            )
        return float(wait or 0)
