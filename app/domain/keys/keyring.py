"""A tenant's data and search keys, unwrapped from the database and cached per process.

A key version never changes once written, so unwrapped keys are cached for the life of
the process. Which version is *active* can change (rotation), so that answer is cached
only briefly; a write sealed with the previous version stays readable, and the rotation
sweeps it up before the old version is retired.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TenantKey
from app.lib.crypto import DecryptionError, MasterKeys, fingerprint, new_key

DATA = "data"
SEARCH = "search"
ACTIVE_TTL_SECONDS = 30.0


@dataclass
class Keyring:
    master: MasterKeys
    _keys: dict[tuple[uuid.UUID, str, int], bytes] = field(default_factory=dict)
    _active: dict[tuple[uuid.UUID, str], tuple[int, float]] = field(default_factory=dict)

    async def create_for_tenant(self, db: AsyncSession, tenant_id: uuid.UUID) -> None:
        """A new care account's first data and search keys."""
        for purpose in (DATA, SEARCH):
            await self.add_version(db, tenant_id, purpose, 1)

    async def add_version(
        self, db: AsyncSession, tenant_id: uuid.UUID, purpose: str, version: int
    ) -> bytes:
        key = new_key()
        db.add(
            TenantKey(
                tenant_id=tenant_id,
                purpose=purpose,
                version=version,
                wrapped=self.master.wrap(key, tenant_id, version, purpose),
                wrapped_by=fingerprint(self.master.current),
                state="active",
            )
        )
        await db.flush()
        self._keys[(tenant_id, purpose, version)] = key
        self._active.pop((tenant_id, purpose), None)
        return key

    async def active(
        self, db: AsyncSession, tenant_id: uuid.UUID, purpose: str
    ) -> tuple[int, bytes]:
        """(version, key) that new data is sealed with."""
        cached = self._active.get((tenant_id, purpose))
        if cached and time.monotonic() - cached[1] < ACTIVE_TTL_SECONDS:
            return cached[0], await self.get(db, tenant_id, purpose, cached[0])
        await self._load(db, tenant_id)
        cached = self._active.get((tenant_id, purpose))
        if cached is None:
            msg = f"tenant {tenant_id} has no active {purpose} key"
            raise DecryptionError(msg)
        return cached[0], self._keys[(tenant_id, purpose, cached[0])]

    async def get(
        self, db: AsyncSession, tenant_id: uuid.UUID, purpose: str, version: int
    ) -> bytes:
        key = self._keys.get((tenant_id, purpose, version))
        if key is None:
            await self._load(db, tenant_id)
            key = self._keys.get((tenant_id, purpose, version))
        if key is None:
            msg = f"tenant {tenant_id} has no {purpose} key version {version}"
            raise DecryptionError(msg)
        return key

    async def _load(self, db: AsyncSession, tenant_id: uuid.UUID) -> None:
        rows = (await db.scalars(select(TenantKey).where(TenantKey.tenant_id == tenant_id))).all()
        now = time.monotonic()
        newest: dict[str, int] = {}
        for row in rows:
            ident = (tenant_id, row.purpose, row.version)
            if ident not in self._keys:
                self._keys[ident] = self.master.unwrap(
                    row.wrapped, row.wrapped_by, tenant_id, row.version, row.purpose
                )
            if row.state == "active":
                newest[row.purpose] = max(newest.get(row.purpose, 0), row.version)
        for purpose, version in newest.items():
            self._active[(tenant_id, purpose)] = (version, now)
