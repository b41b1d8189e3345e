"""Running `tend` commands in-process against the test database, as an operator would.

The commands commit for real and open their own event loop, so they run in a thread,
and each test makes care accounts of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.cli import main
from app.config import get_settings
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.lib.crypto import MasterKeys, encode_key, new_key
from tests.conftest import DatabaseUnderTest
from tests.factories import make_tenant

MASTER = new_key()


def environment(
    database: DatabaseUnderTest, master: bytes = MASTER, previous: Sequence[bytes] = ()
) -> dict[str, str | None]:
    return {
        "DATABASE_URL": database.app_url,
        "DATABASE_OWNER_URL": database.owner_url,
        "TEND_MASTER_KEY": encode_key(master),
        "TEND_MASTER_KEY_PREVIOUS": ",".join(encode_key(k) for k in previous),
    }


def _invoke(args: Sequence[str], env: dict[str, str | None], stdin: str | None) -> Result:
    get_settings.cache_clear()  # settings are read once per process; here, once per command
    try:
        return CliRunner().invoke(main, list(args), input=stdin, env=env)
    finally:
        get_settings.cache_clear()


async def tend(
    database: DatabaseUnderTest,
    *args: str,
    stdin: str | None = None,
    master: bytes = MASTER,
    previous: Sequence[bytes] = (),
) -> Result:
    env = environment(database, master, previous)
    return await asyncio.to_thread(_invoke, args, env, stdin)


async def care_account(app_engine: AsyncEngine, master: bytes = MASTER) -> uuid.UUID:
    """A committed care account with keys wrapped by `master`."""
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db)
        await Keyring(MasterKeys(master)).create_for_tenant(db, tenant.id)
        await db.commit()
    return tenant.id


async def bound_session(app_engine: AsyncEngine, tenant_id: uuid.UUID) -> AsyncSession:
    db = AsyncSession(app_engine, expire_on_commit=False)
    await bind_tenant(db, tenant_id)
    return db
